"""Where the built front end lives: one ESM file and one CSS file, made by ``npm run build``."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"
ESM = STATIC / "widget.js"
CSS = STATIC / "widget.css"


def read_bundle() -> tuple[str, str]:
    """Return the bundle's JavaScript and CSS sources.

    Raises
    ------
    FileNotFoundError
        with the command that builds them, when this is a source checkout that was never built.
    """
    missing = [p.name for p in (ESM, CSS) if not p.exists()]
    if missing:
        raise FileNotFoundError(
            f"the torchscope front end is not built ({', '.join(missing)} missing in {STATIC}); "
            "run `npm install && npm run build` in the source tree, or reinstall the package"
        )
    return ESM.read_text(encoding="utf-8"), CSS.read_text(encoding="utf-8")
