"""``torchscope diff A B``: compare two models from the command line.

::

    torchscope diff torchvision.models:resnet50 torchvision.models:resnet101 --input-shape 1,3,224,224
    torchscope diff model.py:small model.py:large --input-shape 1,128 --dtype long --markdown
    torchscope diff torchvision.models:vit_b_16 torchvision.models:vit_b_16 --kwargs-b '{"image_size": 384}'
        --input-shape 1,3,224,224 --input-shape-b 1,3,384,384 -o vit.html   (one line)

Prints the text report (``--markdown``: a Markdown one); ``-o diff.html`` writes the merged
diagram as one offline page; ``--csv out.csv`` writes every row. Exit status as for the other
commands: 1 when a forward pass failed (stderr names the side and the layer), 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torchscope import cli
from torchscope.diff.api import diff
from torchscope.diff.model import ModelDiff
from torchscope.errors import TraceError
from torchscope.progress import Progress
from torchscope.sources import LoadedModel, SourceError, load_model
from torchscope.widget import ORIENTATIONS


def add_diff_command(commands: Any, common: argparse.ArgumentParser) -> None:  # noqa: ANN401  # argparse's private subparsers type
    """Add the ``diff`` subcommand to the ``torchscope`` parser's ``commands``."""
    parser = commands.add_parser(
        "diff", parents=[common], help="compare two models: structure, shapes and costs, side by side"
    )
    parser.add_argument(
        "target_a",
        metavar="A",
        help="the first model: hf:PATH, timm:NAME, torchvision:NAME or module:callable",
    )
    parser.add_argument("target_b", metavar="B", help="the second model, given the same ways")
    parser.add_argument(
        "--input-shape",
        action="append",
        metavar="SHAPE",
        help="an input's shape, e.g. 1,3,224,224; repeat it for each positional input "
        "(needed where A's inputs are not inferred)",
    )
    parser.add_argument("--batch", type=int, default=1, help="batch size of inferred inputs (1)")
    parser.add_argument("--seq-len", type=int, help="tokens of inferred text inputs (128)")
    parser.add_argument(
        "--input-shape-b",
        action="append",
        metavar="SHAPE",
        help="B's input shapes, where they differ from A's",
    )
    parser.add_argument("--kwargs", default="{}", help="JSON object of arguments for A's callable")
    parser.add_argument("--kwargs-b", help="JSON object of arguments for B's callable (default: --kwargs)")
    parser.add_argument("--dtype", help="dtype of the inputs (float32 by default; long for token ids)")
    parser.add_argument("--device", default="auto", help="auto (meta when it can), meta, cpu, cuda")
    parser.add_argument("--names", help="what to call the two models, as A,B (default: their names)")
    parser.add_argument("-o", "--output", type=Path, help="write the merged diagram as an HTML page here")
    parser.add_argument("--orientation", choices=ORIENTATIONS, default="TB", help="of the page's diagram")
    parser.add_argument("--csv", type=Path, help="also write every row to this CSV file")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown report instead of text")
    parser.set_defaults(run=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    """Run ``torchscope diff``; returns the exit status."""
    kwargs_a = cli.parse_kwargs(args.kwargs)
    kwargs_b = kwargs_a if args.kwargs_b is None else cli.parse_kwargs(args.kwargs_b)
    loaded_a = _load(args.target_a, kwargs_a, args)
    loaded_b = _load(args.target_b, kwargs_b, args)
    names = _names(args.names, loaded_a.name, loaded_b.name)
    inputs = _inputs(args, loaded_a, loaded_b)
    enabled = {"auto": None, "always": True, "never": False}[args.progress]
    try:
        with Progress(f"comparing {names[0]} with {names[1]}", enabled=enabled):
            result = diff(
                loaded_a.model,  # type: ignore[arg-type]  # a .pt2 program is refused by diff itself
                loaded_b.model,  # type: ignore[arg-type]
                names=names,
                device=args.device,
                **inputs,
            )
    except TraceError as error:
        raise cli.CommandError(" ".join(str(error).split()), status=1) from error
    except (TypeError, ValueError) as error:
        raise cli.CommandError(" ".join(str(error).split())) from error
    _write_outputs(result, args)
    print(result.to_markdown() if args.markdown else f"{result}\n", end="")  # noqa: T201  # the output
    return 0


def _load(target: str, kwargs: dict[str, object], args: argparse.Namespace) -> LoadedModel:
    try:
        return load_model(target, batch=args.batch, seq_len=args.seq_len, kwargs=kwargs)
    except SourceError as error:
        raise cli.CommandError(" ".join(str(error).split())) from error


def _inputs(args: argparse.Namespace, a: LoadedModel, b: LoadedModel) -> dict[str, Any]:
    """Return both sides' inputs: the shapes given, or each model's inferred inputs."""
    if args.input_shape:
        shapes_b = None if args.input_shape_b is None else [cli.parse_shape(t) for t in args.input_shape_b]
        return {
            "input_shape": [cli.parse_shape(t) for t in args.input_shape],
            "input_shape_b": shapes_b,
            "dtype": cli.parse_dtype(args.dtype),
        }
    if args.input_shape_b is not None or args.dtype is not None:
        raise cli.CommandError("--input-shape-b and --dtype go with --input-shape")
    try:
        args_a, kwargs_a = a.example()
        args_b, kwargs_b = b.example()
    except SourceError as error:
        raise cli.CommandError(f"{' '.join(str(error).split())} (e.g. --input-shape 1,3,224,224)") from error
    return {"inputs": args_a, "kwargs": kwargs_a, "inputs_b": args_b, "kwargs_b": kwargs_b}


def _names(text: str | None, name_a: str, name_b: str) -> tuple[str, str]:
    if text is None:
        return (name_a, name_b) if name_a != name_b else (f"{name_a} (A)", f"{name_b} (B)")
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise cli.CommandError(f"--names {text!r} must be two names separated by a comma, like small,large")
    return parts[0], parts[1]


def _write_outputs(result: ModelDiff, args: argparse.Namespace) -> None:
    writers: list[tuple[Path | None, Callable[[Path], object]]] = [
        (args.output, lambda path: result.save_html(path, orientation=args.orientation)),
        (args.csv, result.to_csv),
    ]
    for path, write in writers:
        if path is None:
            continue
        try:
            write(path)
        except OSError as error:
            raise cli.CommandError(f"cannot write {path}: {error.strerror or error}", status=1) from error
        # stderr, so that stdout stays the report (``--markdown > report.md``)
        print(f"wrote {path.resolve()}", file=sys.stderr)  # noqa: T201  # the CLI's messages
