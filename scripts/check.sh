#!/usr/bin/env bash
# Sets everything up, then runs every check: lint and types for Python and TypeScript, vitest,
# pytest (unit tests, the notebooks executed headless, the wheel build, and the real-browser tests
# in JupyterLab 4 and Notebook 7). Runs them all, then exits non-zero if any failed.
#   scripts/check.sh [extra pytest arguments]
# Ends with the time each step took (CI must stay under ~20 minutes).
set -uo pipefail
cd "$(dirname "$0")/.."
begin=$SECONDS
scripts/setup.sh --browser || exit 1
times=("setup $((SECONDS - begin))s")
VENV=${TORCHSCOPE_VENV:-$PWD/.venv}
export PATH=$VENV/bin:$PATH

failed=()
step() {
  local name=$1; shift
  printf '\n\033[1m== %s\033[0m  (%s)\n' "$name" "$*"
  local start=$SECONDS
  if "$@"; then
    printf '\033[1m== %s: ok in %ss\033[0m\n' "$name" $((SECONDS - start))
  else
    printf '\033[1;31m== %s: FAILED in %ss\033[0m\n' "$name" $((SECONDS - start))
    failed+=("$name")
  fi
  times+=("$name $((SECONDS - start))s")
}

step "ruff check" ruff check src tests bench
step "ruff format" ruff format --check src tests bench
step "mypy --strict" mypy
step "tsc --noEmit" npx tsc --noEmit
step "biome ci" npx biome ci js tests/js
step "vitest" npx vitest run
# the slowest tests are named, so that a step growing past its share can be traced to them;
# two workers (pytest-xdist): the browser tests, one group, run in one of them, one at a time,
# while the other takes unit tests (TORCHSCOPE_TEST_WORKERS=0 runs everything in one process)
step "pytest" pytest -n "${TORCHSCOPE_TEST_WORKERS:-2}" --dist loadgroup --durations=12 "$@"

printf '\n\033[1mstep times:\033[0m '
printf '%s, ' "${times[@]}"
printf 'total %ss\n' $((SECONDS - begin))
if ((${#failed[@]})); then
  printf '\n\033[1;31mFAILED: %s\033[0m\n' "${failed[*]}"
  exit 1
fi
printf '\n\033[1mall checks passed\033[0m\n'
