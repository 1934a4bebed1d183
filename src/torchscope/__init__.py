"""torchscope: see a PyTorch model — its layers, tensor flow, shapes and costs."""

from importlib import metadata

from torchscope.api import draw_model, model_stats, save_html, trace
from torchscope.diff import ModelDiff, diff
from torchscope.errors import TraceError, TraceWarning
from torchscope.graph import ModelGraph
from torchscope.parallel import FSDP, TP
from torchscope.roofline import Hardware
from torchscope.schema import SCHEMA_VERSION
from torchscope.sources import LoadedModel, SourceError, load_model
from torchscope.stats import StatsTable
from torchscope.training import Training
from torchscope.widget import ModelView

# the one version number is pyproject.toml's; package.json carries the same (tests/test_startup.py)
try:
    __version__ = metadata.version("torchscope")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "FSDP",
    "SCHEMA_VERSION",
    "TP",
    "Hardware",
    "LoadedModel",
    "ModelDiff",
    "ModelGraph",
    "ModelView",
    "SourceError",
    "StatsTable",
    "TraceError",
    "TraceWarning",
    "Training",
    "__version__",
    "diff",
    "draw_model",
    "load_model",
    "model_stats",
    "save_html",
    "trace",
]
