"""The ``torchscope`` command line (also ``python -m torchscope``): pages and tables without a notebook.

::

    torchscope draw torchvision.models:resnet50 --input-shape 1,3,224,224 -o resnet50.html
    torchscope draw torchvision.models:resnet50 --input-shape 1,3,224,224 -o resnet50.dot  # or .graphml
    torchscope stats torchvision.models:resnet50 --input-shape 1,3,224,224 --depth 1 --sort flops
    torchscope draw hf:path/to/Llama-3-70B/config.json      # inputs inferred: 128 token ids
    torchscope draw timm:convnext_tiny    |    torchscope draw torchvision:vit_b_16
    torchscope draw model.pt2            # a program written by torch.export.save
    torchscope demo                      # the AlexNet page, needs nothing but torchvision
    torchscope gallery -o gallery/       # the gallery notebooks' diagrams as standalone pages
    torchscope diff torchvision:resnet50 torchvision:resnet101   # what changed, layer by layer

``TARGET`` is ``hf:PATH``, ``timm:NAME``, ``torchvision:NAME``, a ``.pt2`` file, or
``module:callable`` / ``path/to/file.py:callable`` (see :mod:`torchscope.sources`). A callable is
called with the ``--kwargs`` JSON object (none by default) and must return a ``torch.nn.Module``
(a module-level model object is used as it is); the current directory is importable, as with
``python -m``. ``--input-shape`` is needed only where the inputs are not inferred (a callable);
``--batch`` and ``--seq-len`` size the inferred ones.

Each subcommand is a ``_parser`` entry plus one function taking the parsed arguments; those that
trace a model share :func:`model_options` and :func:`trace_target`. ``--training`` (with
``--optimizer``, ``--precision``, ``--checkpoint``) traces one training step on meta and
``--hardware`` adds a roofline estimate, as the same keywords of :func:`torchscope.trace` do.

Exit status: 0 on success; 1 when the forward pass failed (the page or table of the graph traced
up to the failing layer is still written, and stderr names that layer) or the output could not be
written; 2 for a bad argument, with one line on stderr saying which and what was wrong.
Progress on stderr (``tracing resnet50… 3 s``) appears only for steps slower than two seconds and
only on a terminal; ``--progress always`` or ``never`` overrides that (see :mod:`torchscope.progress`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from torchscope import schema
from torchscope.api import trace
from torchscope.errors import TraceError
from torchscope.graph import ModelGraph
from torchscope.progress import Progress
from torchscope.roofline import HARDWARE
from torchscope.sources import LoadedModel, SourceError, load_model
from torchscope.stats import ADDITIVE, OWNED, StatsTable
from torchscope.training import OPTIMIZERS, PRECISIONS, Training
from torchscope.widget import ORIENTATIONS, ModelView


class CommandError(Exception):
    """A command cannot go on; the message says what was wrong, ``status`` is the exit status."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = _parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except CommandError as error:
        _say(f"torchscope {args.command}: {error}")
        return error.status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="torchscope", description="See a PyTorch model.")
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="elapsed time on stderr for steps slower than 2 s (auto: only on a terminal)",
    )
    model = model_options(common)

    draw = commands.add_parser("draw", parents=[model], help="write the diagram as a standalone HTML page")
    draw.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to write it (default: NAME.html); a .dot or .gv file gets Graphviz DOT, "
        "a .graphml file GraphML",
    )
    draw.add_argument("--orientation", choices=ORIENTATIONS, default="TB", help="top-bottom or left-right")
    draw.add_argument(
        "--depth",
        type=_positive_int,
        help="open the module groups fewer than N levels down (1: the top-level ones); "
        "default: the deepest level that keeps the page readable",
    )
    draw.set_defaults(run=_draw)

    stats = commands.add_parser("stats", parents=[model], help="print the per-layer statistics table")
    stats.add_argument("--depth", type=_positive_int, help="one row per module group N levels down")
    stats.add_argument(
        "--sort", choices=[*OWNED, *ADDITIVE], help="order the rows by a column, largest first"
    )
    stats.add_argument("--csv", type=Path, help="also write every column to this CSV file")
    stats.add_argument("--markdown", action="store_true", help="print a Markdown table instead of text")
    stats.set_defaults(run=_stats)

    demo = commands.add_parser(
        "demo", parents=[common], help="write the AlexNet diagram as a standalone HTML page"
    )
    demo.add_argument("-o", "--output", type=Path, default=Path("alexnet.html"), help="where to write it")
    demo.set_defaults(run=_demo)

    gallery = commands.add_parser(
        "gallery", parents=[common], help="run the gallery notebooks and write their diagrams as pages"
    )
    gallery.add_argument("-o", "--output", type=Path, default=Path("gallery"), help="the folder to write")
    gallery.set_defaults(run=_gallery)

    from torchscope.diff.command import add_diff_command  # noqa: PLC0415  # it builds on this module

    add_diff_command(commands, common)
    return parser


def model_options(common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Return the parent parser of every subcommand that traces a model: TARGET and its inputs."""
    model = argparse.ArgumentParser(add_help=False, parents=[common])
    model.add_argument(
        "target",
        metavar="TARGET",
        help="hf:PATH (a config.json or its folder), timm:NAME, torchvision:NAME, a .pt2 file, "
        "or module:callable returning the model",
    )
    model.add_argument(
        "--input-shape",
        action="append",
        metavar="SHAPE",
        help="an input's shape, e.g. 1,3,224,224; repeat it for each positional input "
        "(needed where TARGET's inputs are not inferred)",
    )
    model.add_argument("--kwargs", default="{}", help="JSON object of arguments for the callable")
    model.add_argument(
        "--dtype", help="dtype of the --input-shape inputs (float32 by default; long for token ids)"
    )
    model.add_argument("--device", default="auto", help="auto (meta when it can), meta, cpu, cuda")
    model.add_argument("--batch", type=_positive_int, default=1, help="batch size of inferred inputs (1)")
    model.add_argument(
        "--values",
        action="store_true",
        help="run on real tensors and record what flows through: per-node mean, std, min, max, "
        "NaN/Inf counts and histograms (inputs from shapes: torch.randn, seed 0)",
    )
    model.add_argument(
        "--seq-len",
        type=_positive_int,
        help="tokens of inferred text inputs (128, at most the config's maximum)",
    )
    step = model.add_argument_group("training step (on meta) and roofline")
    step.add_argument("--training", action="store_true", help="trace one training step, not a forward")
    step.add_argument("--optimizer", choices=OPTIMIZERS, help="the step's optimizer (adamw)")
    step.add_argument("--precision", choices=PRECISIONS, help="the step's precision (the model's own)")
    step.add_argument(
        "--checkpoint", action="append", metavar="MODULE", help="recompute this module path or class"
    )
    step.add_argument(
        "--hardware", choices=list(HARDWARE), help="add a roofline time estimate (a lower bound)"
    )
    return model


def step_options(args: argparse.Namespace) -> dict[str, object]:
    """Return the ``training`` and ``hardware`` keywords the command's options ask for."""
    spec = [args.optimizer, args.precision, args.checkpoint]
    if not args.training and any(v is not None for v in spec):
        raise CommandError(
            "--optimizer, --precision and --checkpoint describe a training step: add --training"
        )
    training: object = False
    if args.training:
        training = Training(
            optimizer=args.optimizer or "adamw",
            precision=args.precision or "model",
            activation_checkpointing=tuple(args.checkpoint or ()),
        )
    return {"training": training, "hardware": args.hardware}


# -- commands ----------------------------------------------------------------------------------


def _draw(args: argparse.Namespace) -> int:
    loaded = load_target(args.target, args)
    output: Path = args.output or Path(f"{loaded.name}.html")
    graph, failure = trace_target(loaded, args)
    with Progress(f"writing {output}", enabled=_progress(args)):
        path = _write(lambda: _save_drawing(graph, output, args), output)
    _wrote(path)
    return _finish(failure, f"wrote the graph traced up to that layer to {path}")


def _save_drawing(graph: ModelGraph, output: Path, args: argparse.Namespace) -> None:
    """Write the page, or by the file's suffix the graph for Graphviz (.dot, .gv) or yEd (.graphml)."""
    suffix = output.suffix.lower()
    if suffix in (".dot", ".gv"):
        output.write_text(graph.to_dot(args.orientation), encoding="utf-8")
        return
    if suffix == ".graphml":
        graph.save_graphml(output)
        return
    payload = graph.to_json()
    view = ModelView(payload, orientation=args.orientation)
    if args.depth is not None:
        view.expanded = expanded_to_depth(payload, args.depth)
    view.save_html(output)


def _stats(args: argparse.Namespace) -> int:
    graph, failure = trace_target(load_target(args.target, args), args)
    table = StatsTable.from_payload(graph.to_json(), depth=args.depth)
    if args.sort is not None:
        table = table.sorted_by(args.sort)
    if args.csv is not None:
        _write(lambda: table.to_csv(args.csv), args.csv)
        _say(f"wrote {args.csv}")
    print(table.to_markdown() if args.markdown else f"{table}\n", end="")  # noqa: T201  # the output
    return _finish(failure, "the table shows the layers traced up to that point")


def _demo(args: argparse.Namespace) -> int:
    try:
        import torchvision  # type: ignore[import-untyped]  # noqa: PLC0415  # only the demo needs it
    except ImportError:
        raise CommandError("the demo needs torchvision: pip install torchvision") from None
    output: Path = args.output
    with Progress(f"drawing AlexNet to {output}", enabled=_progress(args)):
        graph = trace(torchvision.models.alexnet(), [1, 3, 224, 224])
        path = _write(lambda: graph.view().save_html(output), output)
    _wrote(path)
    return 0


def _gallery(args: argparse.Namespace) -> int:
    from torchscope import gallery  # noqa: PLC0415  # only this command runs notebooks

    found = gallery.notebooks()
    if not found:
        raise CommandError("no gallery notebooks found (they ship in the package's notebooks/ folder)")
    output: Path = args.output
    try:
        with Progress(f"running {len(found)} gallery notebooks", enabled=_progress(args)):
            pages = gallery.write_gallery(output, found)
    except RuntimeError as error:
        raise CommandError(_one_line(str(error)), status=1) from error
    except OSError as error:
        raise CommandError(f"cannot write {output}: {error.strerror or error}", status=1) from error
    for page in pages:
        print(f"wrote {page.path.resolve()}  ({page.notebook}: {page.model})")  # noqa: T201  # the output
    _wrote((output / "index.html").resolve())
    return 0


def load_target(target: str, args: argparse.Namespace) -> LoadedModel:
    """Build the model ``target`` names, with the command's ``--kwargs``, ``--batch`` and ``--seq-len``."""
    try:
        with Progress(f"building {target}", enabled=_progress(args)):
            return load_model(
                target, batch=args.batch, seq_len=args.seq_len, kwargs=parse_kwargs(args.kwargs)
            )
    except SourceError as error:
        raise CommandError(_one_line(str(error))) from error


def trace_target(loaded: LoadedModel, args: argparse.Namespace) -> tuple[ModelGraph, TraceError | None]:
    """Trace with the command's (or the inferred) inputs; a failing pass still gives its partial graph."""
    program = isinstance(loaded.model, torch.export.ExportedProgram)
    if program and args.input_shape:
        raise CommandError(f"{args.target} is an exported program with its own inputs: drop --input-shape")
    if not args.input_shape and not loaded.inferred:
        raise CommandError(f"{loaded.needs} (e.g. --input-shape 1,3,224,224)")
    if args.dtype is not None and not args.input_shape:
        raise CommandError(
            "--dtype applies to the inputs made from --input-shape; the inferred ones have theirs"
        )
    if program and args.values:
        raise CommandError(f"{args.target} is an exported program: it is read, not run; drop --values")
    try:
        with Progress(f"tracing {loaded.name}", enabled=_progress(args)):
            extra = {**(step_options(args) if "training" in args else {}), "values": args.values}
            if args.input_shape:
                shapes = [parse_shape(text) for text in args.input_shape]
                dtype = parse_dtype(args.dtype)
                return trace(loaded.model, shapes, device=args.device, dtype=dtype, **extra), None
            return trace(loaded, device=args.device, **extra) if not program else trace(loaded), None
    except TraceError as error:
        return error.graph, error
    except (TypeError, ValueError) as error:
        # the forward pass's own errors arrive as TraceError; these are about the arguments
        raise CommandError(_one_line(str(error))) from error


def _finish(failure: TraceError | None, what_was_kept: str) -> int:
    if failure is None:
        return 0
    raise CommandError(f"{_one_line(str(failure))} ({what_was_kept})", status=1)


def _write(save: Callable[[], object], path: Path) -> Path:
    try:
        save()
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}", status=1) from error
    return path.resolve()


def _wrote(path: Path) -> None:
    opening = f"\nopen it in a browser: {path.as_uri()}" if path.suffix.lower() in (".html", ".htm") else ""
    print(f"wrote {path}{opening}")  # noqa: T201  # the CLI's output


def _progress(args: argparse.Namespace) -> bool | None:
    return {"auto": None, "always": True, "never": False}[args.progress]


def _say(message: str) -> None:
    print(message, file=sys.stderr)  # noqa: T201  # the CLI's messages


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- arguments ---------------------------------------------------------------------------------


_DIMENSION = re.compile(r"-?\d+")


def parse_shape(text: str) -> list[int]:
    """``"1,3,224,224"`` (or ``1x3x224x224``) → ``[1, 3, 224, 224]``, naming the part that is wrong."""
    parts = re.split(r"[,x×]", text)
    shape: list[int] = []
    for position, raw in enumerate(parts, 1):
        part = raw.strip()
        where = f"--input-shape {text!r}: part {position}"
        if not part:
            raise CommandError(f"{where} is empty; write the dimensions like 1,3,224,224")
        if not _DIMENSION.fullmatch(part):
            raise CommandError(f"{where} ({part!r}) is not a whole number")
        if int(part) < 1:
            raise CommandError(f"{where} ({part}) must be at least 1")
        shape.append(int(part))
    return shape


def parse_kwargs(text: str) -> dict[str, object]:
    """Parse the ``--kwargs`` JSON object; a one-line error says where the JSON breaks."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"--kwargs is not valid JSON: {error.msg} at column {error.colno} of {text!r}"
        ) from None
    if not isinstance(value, dict):
        raise CommandError(
            f"--kwargs must be a JSON object like '{{\"num_classes\": 10}}', got {type(value).__name__}"
        )
    return value


def parse_dtype(name: str | None) -> torch.dtype | None:
    """``"float16"`` or ``"torch.long"`` → the torch dtype; ``None`` stays the default."""
    if name is None:
        return None
    value = getattr(torch, name.removeprefix("torch."), None)
    if not isinstance(value, torch.dtype):
        raise CommandError(f"--dtype {name!r} is not a torch dtype (e.g. float32, float16, bfloat16, long)")
    return value


def expanded_to_depth(payload: schema.Payload, depth: int) -> list[str]:
    """Ids of the groups fewer than ``depth`` levels down (top level = 0), as the page's depth menu."""
    parents = {g["id"]: g["parent"] for g in payload["groups"]}

    def level(group: str) -> int:
        parent = parents[group]
        return 0 if parent is None else level(parent) + 1

    return [g for g in parents if level(g) < depth]


def _positive_int(text: str) -> int:
    if not _DIMENSION.fullmatch(text.strip()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)
