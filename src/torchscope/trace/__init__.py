"""Tracing: one forward pass of a model, recorded as plain data (no torch objects kept alive)."""

from torchscope.trace.leaf_calls import LeafCall, LeafTrace, TensorInfo, record_leaf_calls

__all__ = ["LeafCall", "LeafTrace", "TensorInfo", "record_leaf_calls"]
