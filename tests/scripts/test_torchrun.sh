#!/usr/bin/env bash
# The rank programs read only the launcher's environment, so they run under torchrun itself.
#  (a) torchrun's contract pinned without torch: the ranks are started by hand with every
#      variable torchrun 2.x sets (as captured from `torchrun --no-python env`), one node of 2
#      and 2 nodes of 1, while another process holds MASTER_PORT as torchrun's agent store does
#      (TORCHELASTIC_USE_AGENT_STORE=True: our store must take the next port);
#  (b) the real torchrun --no-python, where torch is installed (tools/test.sh installs it; a
#      run of this script alone without torch reports (b) skipped, exit 77, never passed).
# Every run's outputs are compared with torch's reference outputs.
set -u
BIN=${PIPPY_BIN:-build/bin}
SRC=${PIPPY_SRC:-.}
M=$SRC/tests/models/lm_dyn
CMP="python3 $SRC/tests/scripts/compare.py"
out=$(mktemp -d); trap 'pkill -f "$out/" 2>/dev/null; kill $holder 2>/dev/null; rm -rf "$out"' EXIT
pass=0; fail=0; holder=
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
IDS=$M/test_data_set_0/input_0.pb

$BIN/pippyc "$M/model.onnx" --ranks 2 --chunks 2 --input-shape input_ids=4x16 -o "$out/p" > /dev/null ||
  { echo "FAIL compile"; echo "0 passed, 1 failed"; exit 1; }

# A process holding a free port, as torchrun's agent holds MASTER_PORT; prints the port.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(300)' > "$out/port" &
holder=$!
for _ in $(seq 50); do [ -s "$out/port" ] && break; sleep 0.1; done
port=$(cat "$out/port")

by_hand() { # label nnodes
  local label=$1 nn=$2 run_id; run_id=$(python3 -c 'import uuid; print(uuid.uuid4())')
  local res="$out/$label" pids=() r
  for r in 0 1; do
    local lws=$((2 / nn)) lr=$((r % (2 / nn))) gr=$((r / (2 / nn)))
    mkdir -p "$out/err/$r"
    env RANK=$r LOCAL_RANK=$lr WORLD_SIZE=2 LOCAL_WORLD_SIZE=$lws GROUP_RANK=$gr \
      GROUP_WORLD_SIZE=$nn ROLE_NAME=default ROLE_RANK=$r ROLE_WORLD_SIZE=2 \
      MASTER_ADDR=localhost MASTER_PORT=$port OMP_NUM_THREADS=1 \
      TORCHELASTIC_ERROR_FILE="$out/err/$r/error.json" TORCHELASTIC_MAX_RESTARTS=0 \
      TORCHELASTIC_RESTART_COUNT=0 TORCHELASTIC_RUN_ID=$run_id \
      TORCHELASTIC_SIGNALS_TO_HANDLE=SIGTERM,SIGINT,SIGHUP,SIGQUIT \
      TORCHELASTIC_USE_AGENT_STORE=True TORCH_NCCL_ASYNC_ERROR_HANDLING=1 PIPPY_TIMEOUT=60 \
      timeout 120 "$out/p/rank" --threads 1 --input input_ids="$IDS" --output-dir "$res" \
      > "$out/$label.$r.log" 2>&1 &
    pids+=($!)
  done
  local rc=0
  for r in 0 1; do wait "${pids[$r]}" || { rc=$?; tail -3 "$out/$label.$r.log"; }; done
  local c
  if [ $rc -ne 0 ]; then bad "(a) $label: a rank exited $rc"
  elif c=$($CMP "$M/test_data_set_0" "$res"); then ok "(a) $label with torchrun's environment, agent on MASTER_PORT: $c"
  else bad "(a) $label outputs: $c"; fi
}
by_hand "1node" 1
by_hand "2nodes" 2

# torchrun is torch.distributed.run; run it through python3 (a pip console script may not be
# on PATH, e.g. before a pyenv rehash)
if command -v torchrun > /dev/null; then TORCHRUN=torchrun
elif python3 -c "import torch.distributed.run" 2> /dev/null; then TORCHRUN="python3 -m torch.distributed.run"
else
  echo "skip (b): torchrun not installed (pip install torch; tools/test.sh installs it)"
  echo "$pass passed, $fail failed"
  [ $fail -eq 0 ] && exit 77 || exit 1
fi
# --standalone: torchrun picks a free port (its fixed default 29500 may be taken)
if ! timeout 300 $TORCHRUN --standalone --nproc-per-node 2 --no-python "$out/p/rank" --threads 1 \
     --input input_ids="$IDS" --output-dir "$out/res" > "$out/log" 2>&1; then
  bad "(b) torchrun run"; grep -E "^rank [0-9]|error" "$out/log" | head -10
  grep -v "^W" "$out/log" | tail -12
elif r=$($CMP "$M/test_data_set_0" "$out/res"); then
  ok "(b) torchrun --nproc-per-node 2 --no-python DIR/rank: $r"
else
  bad "(b) torchrun outputs: $r"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
