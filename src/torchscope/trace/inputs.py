"""Example inputs: from shapes (tensorwatch's way) or from real values, and their meta stand-ins."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch.utils import _pytree as pytree

from torchscope.trace.values import iter_tensors, meta_like

SHAPE_SEED = 0  # inputs made from shapes are torch.randn with this seed, the same on every run


@dataclass(frozen=True)
class ShapeSpec:
    """An input given only by its shape: made on the device of the pass, never before."""

    shape: tuple[int, ...]
    dtype: torch.dtype

    def make(self, device: torch.device) -> torch.Tensor:
        """Make the tensor: empty on meta, seeded random floats or zero indices elsewhere."""
        if device.type == "meta":
            return torch.empty(self.shape, dtype=self.dtype, device=device)
        # integer inputs are token ids or indices: zeros are valid for every embedding
        if self.dtype.is_floating_point or self.dtype.is_complex:
            generator = torch.Generator(device=device).manual_seed(SHAPE_SEED)
            return torch.randn(self.shape, dtype=self.dtype, device=device, generator=generator)
        return torch.zeros(self.shape, dtype=self.dtype, device=device)


@dataclass
class Example:
    """Positional and keyword arguments for one forward call."""

    args: tuple[object, ...]
    kwargs: dict[str, object]
    # some inputs were made from shapes (random, seeded): what a values trace says it ran on
    made_from_shapes: bool = False

    def named_tensors(self) -> list[tuple[str, torch.Tensor]]:
        """Every input tensor with the name its input node gets (``input``, ``input.1``, ``input_ids``)."""
        keyword = list(iter_tensors(self.kwargs))
        positional = list(iter_tensors(self.positional()))
        return [(f"input.{key}" if key else "input", t) for key, t in positional] + keyword

    def positional(self) -> object:
        """Return what the input nodes named ``input…`` stand for: the one positional argument, or all."""
        # a single positional argument needs no index: `input`, or `input.pixels` inside a dict
        single = len(self.args) == 1 and not any(True for _ in iter_tensors(self.kwargs))
        return self.args[0] if single else self.args

    def input_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the input tensors, in the order of :meth:`named_tensors`."""
        return [tuple(t.shape) for _, t in self.named_tensors()]

    def to(self, device: torch.device) -> Example:
        """Return the same structure with every input made on ``device``: meta stand-ins or copies.

        Copies (never the caller's tensors) go into the real pass, so in-place ops in a forward
        cannot change the user's inputs.
        """

        def convert(t: torch.Tensor) -> torch.Tensor:
            if device.type == "meta":
                return meta_like(t)
            return t.detach().to(device, copy=True)

        def make(spec: ShapeSpec) -> torch.Tensor:
            return spec.make(device)

        args = pytree.tree_map_only(ShapeSpec, make, pytree.tree_map_only(torch.Tensor, convert, self.args))
        kwargs = pytree.tree_map_only(
            ShapeSpec, make, pytree.tree_map_only(torch.Tensor, convert, self.kwargs)
        )
        made = any(isinstance(leaf, ShapeSpec) for leaf in pytree.tree_leaves((self.args, self.kwargs)))
        return Example(args=tuple(args), kwargs=dict(kwargs), made_from_shapes=made or self.made_from_shapes)

    def known_values(self) -> Example:
        """Return the values a meta pass may know, in the same structure: real and made inputs, on the CPU.

        A meta input holds no values and stays as it is; an input given by shape gets the values a
        CPU pass would make for it.
        """
        cpu = torch.device("cpu")

        def convert(t: torch.Tensor) -> torch.Tensor:
            return t if t.device.type == "meta" else t.detach().to(cpu, copy=True)

        def make(spec: ShapeSpec) -> torch.Tensor:
            return spec.make(cpu)

        args = pytree.tree_map_only(ShapeSpec, make, pytree.tree_map_only(torch.Tensor, convert, self.args))
        kwargs = pytree.tree_map_only(
            ShapeSpec, make, pytree.tree_map_only(torch.Tensor, convert, self.kwargs)
        )
        return Example(args=tuple(args), kwargs=dict(kwargs))


def build_example(
    input_shape: object,
    inputs: object,
    kwargs: Mapping[str, object] | None,
    dtype: torch.dtype | None,
) -> Example:
    """Check the caller's choice of inputs and turn it into an :class:`Example` (on the CPU)."""
    if input_shape is not None and inputs is not None:
        raise ValueError("pass either input_shape or inputs, not both")
    if kwargs is not None and not isinstance(kwargs, Mapping):
        raise TypeError(f"kwargs must be a dict of keyword arguments, got {type(kwargs).__name__}")
    keyword = dict(kwargs or {})
    if bad := [k for k in keyword if not isinstance(k, str)]:
        raise TypeError(f"kwargs keys must be the names of forward's arguments, got {bad[0]!r}")
    if dtype is not None and not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float32 or torch.long, got {dtype!r}")
    if dtype is not None and input_shape is None:
        # real inputs keep their own dtypes: a dtype here would be silently ignored
        raise ValueError("dtype applies to inputs made from input_shape; convert real inputs yourself")
    if input_shape is not None:
        fill = dtype or torch.float32
        args: tuple[object, ...] = tuple(
            ShapeSpec(tuple(shape), fill) for shape in normalise_shapes(input_shape)
        )
    elif inputs is not None:
        # one tensor (or structure) is the single positional argument; a tuple spreads over several
        args = tuple(inputs) if isinstance(inputs, tuple) else (inputs,)
    elif keyword:
        args = ()
    else:
        raise ValueError("pass input_shape (e.g. [1, 3, 224, 224]) or example inputs")
    example = Example(args=args, kwargs=keyword)
    if not example.to(torch.device("meta")).named_tensors():
        raise ValueError("the example inputs contain no tensor")
    return example


def normalise_shapes(input_shape: object) -> list[list[int]]:
    """One shape or a list of shapes → a list of shapes, naming what is wrong."""
    if isinstance(input_shape, str | bytes):
        raise TypeError(f"input_shape must be a shape like [1, 3, 224, 224], not the string {input_shape!r}")
    if not isinstance(input_shape, Sequence):
        raise TypeError(
            f"input_shape must be a shape like [1, 3, 224, 224] or a list of shapes, got {input_shape!r}"
        )
    if not input_shape:
        raise ValueError("input_shape is empty: give a shape like [1, 3, 224, 224] or a list of shapes")
    # a list of scalars is one shape (even with a bad dimension in it); a list of lists is several
    nested = any(isinstance(d, Sequence) and not isinstance(d, str | bytes) for d in input_shape)
    shapes: list[object] = list(input_shape) if nested else [input_shape]
    return [_shape(shape, i) for i, shape in enumerate(shapes)]


def _shape(shape: object, i: int) -> list[int]:
    if not isinstance(shape, Sequence) or isinstance(shape, str | bytes) or not shape:
        raise TypeError(f"input_shape[{i}] must be a non-empty list of ints, got {shape!r}")
    for position, d in enumerate(shape):
        # numpy and torch integers are ints too; bools and floats are mistakes
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(
                f"input_shape[{i}] must be a non-empty list of ints, got {list(shape)!r}: "
                f"dimension {position} is {d!r} ({type(d).__name__})"
            )
    dims = [int(d) for d in shape]
    if any(d <= 0 for d in dims):
        raise ValueError(f"input_shape[{i}] = {dims} has a zero or negative dimension")
    return dims
