#!/usr/bin/env bash
# Installs what is missing on a fresh Debian machine and builds pippyc into build/.
# Debian packages: the libraries pippyc links (protobuf-c, onnx.proto, libyaml, cgraph,
# OpenBLAS), the ONNX backend test data, graphviz's dot (to check DOT output) and clang
# (fuzzing, sanitizers). Python packages are for making test models and references only.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake pkg-config protobuf-c-compiler libprotobuf-c-dev libonnx-dev
      libonnx-testdata libyaml-dev graphviz libgraphviz-dev libopenblas-dev clang
      libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python side (tests compare against numpy / onnx / onnxruntime; PyYAML reads plans back).
if ! python3 -c "import numpy, onnx, onnxruntime, yaml" >/dev/null 2>&1; then
  echo "setup: pip install numpy onnx onnxruntime pyyaml"
  python3 -m pip install -q --root-user-action=ignore numpy onnx onnxruntime pyyaml
  python3 -c "import numpy, onnx, onnxruntime, yaml" ||
    { echo "setup: the Python test packages did not install" >&2; exit 1; }
fi

# A failed build fails setup (never a stale binary left to be tested): the log is kept.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
if ! cmake --build build -j"$(nproc)" > build/build.log 2>&1; then
  grep -E "error|Error" build/build.log | head -40 >&2
  echo "setup: build failed (full log: build/build.log)" >&2
  exit 1
fi
grep -E "warning" build/build.log || true
echo "setup: built build/bin/pippyc"
