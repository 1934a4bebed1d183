#!/usr/bin/env bash
# Runs the browser tests RUNS times in a row while LOAD busy loops compete for the CPU beside them,
# and says how many runs failed: the check that the suite holds on a loaded machine.
#   scripts/browser-under-load.sh [RUNS=5] [LOAD=4] [extra pytest arguments]
# Both the busy loops and pytest run under `nice -n 10`, so they compete with each other as on a
# loaded CI machine, not with other work on a shared one. Failures leave their screenshot,
# console, dialogs and server log tail under test-artifacts/failures/.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
load=${2:-4}
shift $(($# < 2 ? $# : 2))
VENV=${TORCHSCOPE_VENV:-$PWD/.venv}

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; }
trap stop EXIT
for _ in $(seq "$load"); do
  nice -n 10 "$VENV/bin/python" -c 'while True: pass' &
  pids+=($!)
done

failed=0
for run in $(seq "$runs"); do
  start=$SECONDS
  if nice -n 10 "$VENV/bin/pytest" -q -p no:cacheprovider -m browser tests/browser "$@"; then
    result=passed
  else
    result=FAILED
    failed=$((failed + 1))
  fi
  printf '== run %s of %s: %s in %ss (load average %s)\n' "$run" "$runs" "$result" \
    $((SECONDS - start)) "$(cut -d' ' -f1-3 /proc/loadavg)"
done
printf '== %s of %s runs failed with %s busy loops beside them\n' "$failed" "$runs" "$load"
((failed == 0))
