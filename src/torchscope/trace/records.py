"""What one traced forward pass leaves behind: plain dataclasses, no torch objects kept alive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

NodeKind = Literal["input", "module", "function", "output"]
AttrValue = str | int | float | bool | list[int] | None


@dataclass(frozen=True)
class TensorMeta:
    """Shape and dtype of one tensor crossing a node boundary."""

    shape: tuple[int, ...]
    dtype: str


@dataclass
class NodeRecord:
    """One node: a graph input, a leaf-module call, a functional op outside leaves, or an output."""

    id: str
    kind: NodeKind
    op: str
    label: str
    parent: str | None
    module_path: str = ""
    attrs: dict[str, AttrValue] = field(default_factory=dict)
    repr: str = ""
    inputs: list[TensorMeta] = field(default_factory=list)
    outputs: list[TensorMeta] = field(default_factory=list)
    error: str | None = None


@dataclass
class GroupRecord:
    """One call of a module that has children: a container in the diagram."""

    id: str
    op: str
    label: str
    parent: str | None
    module_path: str
    children: list[str] = field(default_factory=list)
    repeat_of: str | None = None


@dataclass(frozen=True)
class EdgeRecord:
    """One tensor flowing from ``source`` to ``target``."""

    source: str
    target: str
    tensor: TensorMeta


@dataclass
class Trace:
    """Everything one pass recorded, in call order."""

    model_name: str
    device: str
    dtype: str
    input_shapes: list[tuple[int, ...]]
    nodes: list[NodeRecord]
    groups: list[GroupRecord]
    edges: list[EdgeRecord]
    module_types: dict[str, str]
    # parameter counts come from the real model; the pass itself only sees stand-ins
    module_params: dict[str, tuple[int, int]]
    total_params: int
    total_params_trainable: int
    error: str | None = None
