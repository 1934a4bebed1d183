"""torchscope: see a PyTorch model — its layers, tensor flow, shapes and costs."""

from torchscope.api import draw_model, model_stats, save_html, trace
from torchscope.diff import ModelDiff, diff
from torchscope.errors import TraceError, TraceWarning
from torchscope.graph import ModelGraph
from torchscope.schema import SCHEMA_VERSION
from torchscope.stats import StatsTable
from torchscope.widget import ModelView

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "ModelDiff",
    "ModelGraph",
    "ModelView",
    "StatsTable",
    "TraceError",
    "TraceWarning",
    "__version__",
    "diff",
    "draw_model",
    "model_stats",
    "save_html",
    "trace",
]
