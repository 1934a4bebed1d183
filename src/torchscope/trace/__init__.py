"""Tracing: one forward pass of a model, recorded as plain data (no torch objects kept alive)."""

from torchscope.trace.inputs import Example, build_example, normalise_shapes
from torchscope.trace.recorder_parts import LEAF_TYPES
from torchscope.trace.records import EdgeRecord, GroupRecord, NodeRecord, TensorMeta, Trace
from torchscope.trace.run import DEVICES, model_device, trace_model

__all__ = [
    "DEVICES",
    "LEAF_TYPES",
    "EdgeRecord",
    "Example",
    "GroupRecord",
    "NodeRecord",
    "TensorMeta",
    "Trace",
    "build_example",
    "model_device",
    "normalise_shapes",
    "trace_model",
]
