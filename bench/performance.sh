#!/usr/bin/env bash
# The README's Performance section, regenerated in one run: every bench it quotes, one after the
# other, with the machine and its load stated before each. Run it on a quiet machine (nothing else
# running); it takes about 20 minutes on 2 cores.
#
#   bench/performance.sh [out_dir]        (default: bench/.performance/<UTC date and time>)
#
# Each bench's output goes to its own file in out_dir, and everything to out_dir/all.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-bench/.performance/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"
py=.venv/bin/python

machine() {
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
    "load $(cut -d' ' -f1-3 /proc/loadavg); torch $($py -c 'import torch; print(torch.__version__)'); $($py -V)"
}

run() {  # run NAME COMMAND...: the bench's output to NAME.txt, headed by the machine and its load
  local name=$1
  shift
  {
    echo "## $name: $*"
    echo "machine: $(machine)"
    "$@"
    echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
  } 2>&1 | grep -v -e '^Warning' -e 'UserWarning' | tee "$out/$name.txt" | tee -a "$out/all.txt"
}

run trace "$py" bench/trace.py
run scale "$py" bench/scale.py
run wire "$py" bench/payloads.py --wire --repeats 3
run display "$py" bench/interaction.py --repeats 3 --no-browser
run frontend "$py" bench/frontend.py
run cell-to-picture "$py" bench/frontend.py --lab --repeats 3
echo "written to $out"
