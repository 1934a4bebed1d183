"""The ``torchscope`` command line. For now one command: ``demo`` writes the AlexNet page.

``python -m torchscope demo -o alexnet.html`` needs nothing from the user; the drawing and stats
commands of the outside-the-notebook issue join it here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from torchscope.api import save_html


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = argparse.ArgumentParser(prog="torchscope", description="See a PyTorch model.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="write the AlexNet diagram as a standalone HTML page")
    demo.add_argument("-o", "--output", type=Path, default=Path("alexnet.html"), help="where to write it")
    args = parser.parse_args(argv)
    return _demo(args.output)


def _demo(output: Path) -> int:
    try:
        import torchvision  # type: ignore[import-untyped]  # noqa: PLC0415  # only the demo needs it
    except ImportError:
        print("torchscope demo needs torchvision: pip install torchvision", file=sys.stderr)  # noqa: T201
        return 2
    path = save_html(torchvision.models.alexnet(), [1, 3, 224, 224], output).resolve()
    print(f"wrote {path}\nopen it in a browser: {path.as_uri()}")  # noqa: T201  # the CLI's output
    return 0
