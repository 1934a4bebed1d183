#!/usr/bin/env bash
# The quick start: set everything up, write alexnet.html (the diagram as one offline page), then
# open JupyterLab on notebooks/quickstart.ipynb. Ctrl-C stops JupyterLab.
#   TORCHSCOPE_PORT=8888   the port JupyterLab listens on (default: the first free one from 8888)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VENV=${TORCHSCOPE_VENV:-$PWD/.venv}

"$VENV/bin/python" -m torchscope demo -o alexnet.html
# the notebook is ours: trusted, it opens without the server's "not trusted" warning
"$VENV/bin/jupyter" trust notebooks/quickstart.ipynb >/dev/null

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

# A quiet log with nothing to worry about: kernels get CurveZMQ keys (their kernelspec supports it;
# without, ipykernel warns that its TCP traffic is plain text), and the websocket ping timeout is
# one ping interval, as tornado >= 6.5 requires (it warns about jupyter_server's default of three)
args=(--ip=127.0.0.1 "--port=$PORT" --ServerApp.port_retries=0 --ServerApp.root_dir="$PWD"
  "--IdentityProvider.token=$TOKEN" --KernelManager.transport_encryption=auto
  --ServerApp.tornado_settings=ws_ping_timeout=30000)
[[ $EUID -eq 0 ]] && args+=(--ServerApp.allow_root=True)
[[ -z ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]] && args+=(--no-browser)
cat <<MSG

  The quickstart notebook in JupyterLab:   $URL
  No browser on this machine? The same diagram as one offline page: $PWD/alexnet.html
  (Ctrl-C stops JupyterLab)

MSG
exec "$VENV/bin/jupyter" lab notebooks/quickstart.ipynb "${args[@]}"
