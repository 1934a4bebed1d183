#!/usr/bin/env bash
# The quick start: set everything up, write alexnet.html (the diagram as one offline page), then
# open JupyterLab on notebooks/quickstart.ipynb. Ctrl-C stops JupyterLab.
#   TORCHSCOPE_PORT=8888   the port JupyterLab listens on (default: the first free one from 8888)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VENV=${TORCHSCOPE_VENV:-$PWD/.venv}

"$VENV/bin/python" -m torchscope demo -o alexnet.html

PORT=${TORCHSCOPE_PORT:-$("$VENV/bin/python" - <<'PY'
import socket
for port in range(8888, 8988):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
)}
TOKEN=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))')
URL="http://127.0.0.1:$PORT/lab/tree/notebooks/quickstart.ipynb?token=$TOKEN"

args=(--ip=127.0.0.1 "--port=$PORT" --ServerApp.port_retries=0 --ServerApp.root_dir="$PWD"
  "--IdentityProvider.token=$TOKEN")
[[ $EUID -eq 0 ]] && args+=(--ServerApp.allow_root=True)
[[ -z ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]] && args+=(--no-browser)
cat <<MSG

  The quickstart notebook in JupyterLab:   $URL
  No browser on this machine? The same diagram as one offline page: $PWD/alexnet.html
  (Ctrl-C stops JupyterLab)

MSG
exec "$VENV/bin/jupyter" lab notebooks/quickstart.ipynb "${args[@]}"
