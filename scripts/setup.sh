#!/usr/bin/env bash
# Sets up everything torchscope needs, idempotently; a second run with nothing changed takes seconds.
#   scripts/setup.sh            virtualenv (.venv), torch + torchvision, the package with its dev
#                               tools and the benchmark peers (editable), npm packages, and the
#                               built front-end bundle
#   scripts/setup.sh --browser  also Debian's chromium, for the real-browser tests
# Needs: Debian (or similar) with Python >= 3.11 and Node >= 20. Root (or sudo) only for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${TORCHSCOPE_VENV:-$PWD/.venv}
PYTHON=${PYTHON:-python3}
TORCH_PINS=(torch==2.14.1 torchvision==0.29.1)
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [[ $apt_updated == 0 ]]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- toolchains --------------------------------------------------------------------------------
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), sys.version' 2>/dev/null \
  || { echo "torchscope needs Python >= 3.11 as '$PYTHON' (set PYTHON=...)" >&2; exit 1; }
command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' \
  || { echo "torchscope needs Node.js >= 20 on PATH" >&2; exit 1; }
if [[ ${1:-} == --browser ]] && ! command -v chromium >/dev/null; then
  say "installing Debian's chromium for the browser tests"
  apt_install chromium
fi

# --- Python ------------------------------------------------------------------------------------
if [[ ! -x $VENV/bin/python ]]; then
  if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
    say "installing python3-venv"
    apt_install python3-venv
  fi
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# --- npm (before pip: the editable install builds the bundle with these packages) --------------
npm_stamp=node_modules/.torchscope-lock-hash
if [[ ! -f $npm_stamp || $(cat "$npm_stamp") != $(hash_of package-lock.json) ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  hash_of package-lock.json >"$npm_stamp"
fi

pip_stamp=$VENV/.torchscope-setup-hash
if [[ ! -f $pip_stamp || $(cat "$pip_stamp") != $(hash_of pyproject.toml scripts/setup.sh) ]]; then
  say "installing Python packages into $VENV (first time: a few minutes)"
  pip_install() {
    # this machine's pip configuration names local indexes that may be absent: not worth a warning
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" 2> >(grep -v "is ignored" >&2)
  }
  pip_install --upgrade pip
  # torch first, pinned: pip takes these two from the local wheel store instead of downloading
  pip_install "${TORCH_PINS[@]}"
  pip_install -e ".[dev,bench]" "${TORCH_PINS[@]}"
  hash_of pyproject.toml scripts/setup.sh >"$pip_stamp"
fi

# --- the front-end bundle (esbuild: well under a second) ---------------------------------------
npm run --silent build
say "ready: $VENV"
