#!/usr/bin/env bash
# Mutation check of the test suite, on demand (not in CI: it rebuilds and reruns the fast
# tests once per planted bug, 20-40 minutes on 2 cores). Each mutant in mutate.py is planted
# alone in a scratch copy of the working tree (uncommitted changes included), the tree is
# rebuilt, the unit tests and then the fast script tests run (ctest -L unit, then -L script
# without slow, conformance, the fuzz run, the backend-test sweep and torchrun), and the
# mutant is caught when a test fails. Every mutant must be caught; one whose edit no longer
# matches the code is STALE and fails the run too: keep the list current as code moves.
#   tests/mutation/run.sh [MUTANT ...]     (default: all; names as mutate.py lists them)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
scratch=${PIPPY_MUTATION_DIR:-$(mktemp -d /tmp/pippy-mutation.XXXXXX)}
python3 "$src/tests/mutation/mutate.py" "$src" "$scratch" "$@"
