#!/usr/bin/env bash
# Sets everything up, then runs every check: lint and types for Python and TypeScript, vitest,
# pytest (unit tests, the notebooks executed headless, the wheel build, and the real-browser tests
# in JupyterLab 4 and Notebook 7). Runs them all, then exits non-zero if any failed.
#   scripts/check.sh [extra pytest arguments]
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser || exit 1
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
}

step "ruff check" ruff check src tests bench
step "ruff format" ruff format --check src tests bench
step "mypy --strict" mypy
step "tsc --noEmit" npx tsc --noEmit
step "biome ci" npx biome ci js tests/js
step "vitest" npx vitest run
step "pytest" pytest "$@"

if ((${#failed[@]})); then
  printf '\n\033[1;31mFAILED: %s\033[0m\n' "${failed[*]}"
  exit 1
fi
printf '\n\033[1mall checks passed\033[0m\n'
