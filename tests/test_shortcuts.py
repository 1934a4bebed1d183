"""Every whole-function meta shortcut agrees with PyTorch's own meta kernel, over randomised calls.

For each call (valid or not: random shapes, strides, layouts, dtypes, broadcasting, padding,
stride, dilation, groups, ceil_mode, negative and out-of-range dims), the shortcut either declines
(the call then runs PyTorch's kernel, as without shortcuts) or answers exactly what PyTorch's meta
kernel returns: shape, dtype, strides, the input itself for an in-place op, a view of the input for
a view. It never answers a call that PyTorch refuses, and the cost it charges is what the registry
charges the ATen ops that PyTorch's own call reaches.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from torchscope import costs
from torchscope.trace import fastpaths
from torchscope.trace.costing import CostCounter

CASES = 250
FLOATS = [torch.float32, torch.float16, torch.bfloat16, torch.float64]
Call = tuple[Callable[..., Any], tuple[object, ...], dict[str, object]]


class _Sum:
    """The registry's cost of every ATen op a call reaches."""

    def __init__(self) -> None:
        self.macs = 0
        self.flops = 0
        self.uncounted: list[str] = []

    def charge(self, func: object, cost: costs.OpCost, estimated: object = ()) -> None:
        del estimated
        if cost.counted:
            self.macs += cost.macs
            self.flops += cost.flops
        else:
            self.uncounted.append(costs.op_label(func))


def _tensor(rng: random.Random, shape: tuple[int, ...], dtype: torch.dtype | None = None) -> torch.Tensor:
    """A meta tensor of ``shape``: contiguous, channels-last, transposed, or a strided slice."""
    dtype = dtype or rng.choice([*FLOATS, torch.float32, torch.float32, torch.int64])
    kind = rng.choice(["contiguous"] * 4 + ["channels_last", "transposed", "sliced", "expanded"])
    if kind == "channels_last" and len(shape) == 4:
        return torch.empty(shape, dtype=dtype, device="meta").to(memory_format=torch.channels_last)
    if kind == "transposed" and len(shape) >= 2:
        return torch.empty((*shape[:-2], shape[-1], shape[-2]), dtype=dtype, device="meta").transpose(-1, -2)
    if kind == "sliced" and shape:
        return torch.empty((*shape[:-1], shape[-1] * 2), dtype=dtype, device="meta")[..., ::2]
    if kind == "expanded" and shape and shape[0] > 1:
        return torch.empty((1, *shape[1:]), dtype=dtype, device="meta").expand(shape)
    return torch.empty(shape, dtype=dtype, device="meta")


def _shape(rng: random.Random, rank: int, low: int = 1, high: int = 6) -> tuple[int, ...]:
    return tuple(rng.randint(low, high) for _ in range(rank))


def _sometimes(rng: random.Random, good: object, bad: object, p: float = 0.12) -> object:
    return bad if rng.random() < p else good


def _ints(rng: random.Random, n: int, low: int, high: int) -> object:
    """An int, or a tuple/list of one or ``n`` ints (sometimes the wrong length)."""
    form = rng.choice(["int", "tuple", "list", "one", "int", "tuple", "wrong"])
    if form == "int":
        return rng.randint(low, high)
    if form == "one":
        return (rng.randint(low, high),)
    if form == "wrong":
        return tuple(rng.randint(low, high) for _ in range(n + 1))
    values = [rng.randint(low, high) for _ in range(n)]
    return tuple(values) if form == "tuple" else values


def _conv_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        dims = rng.randint(1, 3)
        func = {1: torch.conv1d, 2: torch.conv2d, 3: torch.conv3d}[dims]
        groups = rng.choice([1, 1, 2, 3])
        per_group = rng.randint(1, 3)
        out = groups * rng.randint(1, 3)
        kernel = _shape(rng, dims, 1, 3)
        size = _shape(rng, dims, 1, 9)
        rank = dims + 2 if rng.random() > 0.05 else dims + 1
        x_shape = (rng.randint(1, 2), groups * per_group + (rng.random() < 0.05), *size)[-rank:]
        dtype = _sometimes(rng, rng.choice(FLOATS), torch.int64, 0.05)
        x = _tensor(rng, x_shape, dtype)  # type: ignore[arg-type]
        w = torch.empty((out + (rng.random() < 0.05), per_group, *kernel), dtype=dtype, device="meta")
        w = _sometimes(rng, w, w.to(torch.float64 if dtype != torch.float64 else torch.float32), 0.05)
        bias = rng.choice([None, torch.empty(out, dtype=dtype, device="meta")])  # type: ignore[arg-type]
        bias = _sometimes(rng, bias, torch.empty(out + 1, device="meta"), 0.05)
        args: tuple[object, ...] = (
            x, w, bias, _sometimes(rng, _ints(rng, dims, 1, 3), _ints(rng, dims, 0, 3)),
            _sometimes(rng, _ints(rng, dims, 0, 3), rng.choice(["same", -1])),
            _sometimes(rng, _ints(rng, dims, 1, 2), _ints(rng, dims, 0, 2)),
            _sometimes(rng, groups, rng.choice([0, groups + 1])),
        )  # fmt: skip
        cut = rng.randint(2, 7)
        yield func, args[:cut], {}


def _linear_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        k, n = rng.randint(1, 6), rng.randint(1, 6)
        x_shape = (*_shape(rng, rng.randint(0, 3)), _sometimes(rng, k, k + 1, 0.08))
        dtype = rng.choice([*FLOATS, torch.int64])
        x = _tensor(rng, x_shape, dtype)
        w = _sometimes(
            rng, torch.empty(n, k, dtype=dtype, device="meta"), torch.empty(n, k, device="meta"), 0.08
        )
        bias = rng.choice(
            [None, torch.empty(n, dtype=dtype, device="meta"), torch.empty(1, dtype=dtype, device="meta")]
        )
        yield F.linear, (x, w, bias), {}


UNARY = [
    F.relu, F.hardswish, F.hardsigmoid, F.silu, F.relu6, torch.sigmoid, torch.tanh, torch.relu, F.gelu,
    torch.neg, torch.Tensor.neg, torch.Tensor.__neg__, torch.rsqrt, torch.Tensor.rsqrt, torch.sqrt,
    torch.exp, torch.cos, torch.sin,
]  # fmt: skip


def _unary_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        func = rng.choice(UNARY)
        x = _tensor(rng, _shape(rng, rng.randint(0, 4)))
        kwargs: dict[str, object] = {}
        if func in (F.relu, F.hardswish, F.hardsigmoid, F.silu, F.relu6):
            kwargs["inplace"] = rng.choice([True, False])
        if func is F.gelu:
            kwargs["approximate"] = rng.choice(["none", "tanh", "bad"])
        yield func, (x,), kwargs


BINARY = [
    torch.Tensor.add, torch.Tensor.__add__, torch.add, torch.Tensor.mul, torch.Tensor.__mul__, torch.mul,
    torch.Tensor.sub, torch.Tensor.div, torch.Tensor.__truediv__, torch.Tensor.__radd__,
    torch.Tensor.__rmul__,
    torch.Tensor.add_, torch.Tensor.__iadd__, torch.Tensor.mul_, torch.Tensor.sub_, torch.Tensor.div_,
]  # fmt: skip


def _binary_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        func = rng.choice(BINARY)
        shape = _shape(rng, rng.randint(0, 4), 1, 4)
        x = _tensor(rng, shape)
        kind = rng.choice(["same", "broadcast", "bigger", "any", "int", "float", "bool"])
        if kind in ("int", "float", "bool"):
            other: object = {"int": 2, "float": 0.5, "bool": True}[kind]
        else:
            other_shape = tuple(rng.choice([s, 1]) for s in shape) if kind == "broadcast" else shape
            if kind == "any":  # the same rank, any sizes: some broadcast x itself, which in place refuses
                other_shape = tuple(rng.randint(1, 3) for _ in shape)
            if kind == "bigger" or rng.random() < 0.1:
                other_shape = (rng.randint(1, 3), *other_shape)
            dropped = rng.randint(0, len(other_shape)) if kind == "broadcast" else 0
            other = _tensor(rng, other_shape[dropped:],
                            x.dtype if rng.random() > 0.2 else None)  # fmt: skip
        yield func, (x, other), {}


def _pool_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        x = _tensor(rng, _shape(rng, _sometimes(rng, rng.choice([3, 4, 4]), 2), 1, 9))  # type: ignore[arg-type]
        kernel = _sometimes(rng, _ints(rng, 2, 1, 3), _ints(rng, 2, 0, 4))
        stride = rng.choice([None, (), _sometimes(rng, _ints(rng, 2, 1, 3), _ints(rng, 2, 0, 3))])
        padding = _sometimes(rng, _ints(rng, 2, 0, 1), _ints(rng, 2, 0, 3))
        ceil_mode = rng.choice([True, False])
        if rng.random() < 0.5:
            dilation = _sometimes(rng, _ints(rng, 2, 1, 2), _ints(rng, 2, 0, 2))
            kwargs = {"stride": stride, "padding": padding, "dilation": dilation, "ceil_mode": ceil_mode}
            yield F.max_pool2d, (x, kernel), kwargs
        else:
            kwargs = {"stride": stride, "padding": padding, "ceil_mode": ceil_mode}
            kwargs["count_include_pad"] = rng.choice([True, False])
            yield F.avg_pool2d, (x, kernel), kwargs


def _adaptive_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        x = _tensor(rng, _shape(rng, rng.choice([3, 4, 4, 2]), 1, 9))
        size = rng.choice([1, 1, (1, 1), _ints(rng, 2, 0, 5)])
        yield F.adaptive_avg_pool2d, (x, size), {}


def _batch_norm_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        x = _tensor(rng, _shape(rng, _sometimes(rng, rng.randint(2, 5), 1), 1, 5), rng.choice(FLOATS))  # type: ignore[arg-type]
        c = x.shape[1] if x.dim() > 1 else 1

        def stat(c: int = c, dtype: torch.dtype = x.dtype) -> torch.Tensor | None:
            good = torch.empty(c, dtype=dtype, device="meta")
            return _sometimes(rng, good, rng.choice([None, torch.empty(c + 1, device="meta")]))  # type: ignore[return-value]

        yield (
            F.batch_norm,
            (x, stat(), stat()),
            {"weight": stat(), "bias": stat(), "training": False, "eps": 1e-5},
        )


def _layer_norm_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        x = _tensor(
            rng, _shape(rng, rng.randint(1, 4), 1, 5), _sometimes(rng, rng.choice(FLOATS), torch.int64, 0.05)
        )  # type: ignore[arg-type]
        last = list(x.shape[-rng.randint(1, x.dim()) :])
        if rng.random() < 0.1:
            last[0] += 1
        normalized = rng.choice([tuple(last), last, torch.Size(last)])

        def affine(last: list[int] = last, dtype: torch.dtype = x.dtype) -> object:
            good = torch.empty(last, dtype=dtype, device="meta")
            return rng.choice(
                [None, good, good, _sometimes(rng, good, torch.empty([*last, 2], device="meta"))]
            )

        yield F.layer_norm, (x, normalized), {"weight": affine(), "bias": affine(), "eps": 1e-5}


VIEWS = [
    torch.Tensor.view, torch.Tensor.reshape, torch.reshape, torch.Tensor.transpose, torch.transpose,
    torch.Tensor.permute, torch.permute, torch.Tensor.flatten, torch.flatten, torch.Tensor.unsqueeze,
    torch.Tensor.squeeze, torch.Tensor.expand, torch.Tensor.t, torch.Tensor.contiguous,
]  # fmt: skip


def _view_calls(rng: random.Random) -> Iterator[Call]:  # noqa: C901  # one branch per view op
    for _ in range(CASES):
        func = rng.choice(VIEWS)
        shape = _shape(rng, rng.randint(0, 4), 1, 4)
        x = _tensor(rng, shape)
        rank = len(shape)

        def dim(rank: int = rank) -> int:
            return rng.randint(-rank - 1, rank)

        if func in (torch.Tensor.view, torch.Tensor.reshape, torch.reshape):
            size = list(shape)
            rng.shuffle(size)
            if size and rng.random() < 0.4:
                size[rng.randrange(len(size))] = -1
            if rng.random() < 0.1:
                size.append(2)
            args: tuple[object, ...] = (x, tuple(size)) if func is torch.reshape else (x, *size)
        elif func in (torch.Tensor.transpose, torch.transpose):
            args = (x, dim(), dim())
        elif func in (torch.Tensor.permute, torch.permute):
            order = list(range(rank))
            rng.shuffle(order)
            if order and rng.random() < 0.1:
                order[0] = rank
            args = (x, order) if func is torch.permute else (x, *order)
        elif func in (torch.Tensor.flatten, torch.flatten):
            args = (x, dim(), dim())
        elif func is torch.Tensor.unsqueeze:
            args = (x, dim(rank + 1))
        elif func is torch.Tensor.squeeze:
            args = (x, dim()) if rng.random() < 0.7 else (x,)
        elif func is torch.Tensor.expand:
            args = (x, *[rng.choice([s, -1, 2 * s]) for s in shape])
        else:
            args = (x,)
        yield func, args, {}


def _index(rng: random.Random, rank: int) -> object:
    """A basic index (ints, slices, None, ...) or, sometimes, one that gathers or is out of range."""

    def part() -> object:
        kind = rng.choice(["int", "slice", "slice", "none", "ellipsis", "gather"])
        if kind == "int":
            return rng.randint(-5, 5)
        if kind == "slice":
            bound = lambda: rng.choice([None, rng.randint(-4, 4)])  # noqa: E731
            return slice(bound(), bound(), rng.choice([None, None, 1, 2, _sometimes(rng, 3, 0)]))
        if kind == "none":
            return None
        if kind == "ellipsis":
            return ...
        return rng.choice([True, [0], torch.tensor([0]), 1.5])

    parts = tuple(part() for _ in range(rng.randint(1, rank + 1)))
    return parts[0] if len(parts) == 1 and rng.random() < 0.5 else parts


def _indexing_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        shape = _shape(rng, rng.randint(1, 4), 1, 5)
        yield torch.Tensor.__getitem__, (_tensor(rng, shape), _index(rng, len(shape))), {}


def _cat_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        rank = _sometimes(rng, rng.randint(1, 4), 0, 0.03)
        shape = _shape(rng, rank, 0 if rng.random() < 0.05 else 1, 4)  # type: ignore[arg-type]
        dim = rng.randint(-rank - 1, rank)  # type: ignore[operator]
        dtype = rng.choice(FLOATS)
        tensors = []
        for _ in range(rng.randint(1, 3)):
            size = list(shape)
            if rank and -rank <= dim < rank:  # type: ignore[operator]
                size[dim] = rng.randint(1, 4)
            if size and rng.random() < 0.1:
                size[rng.randrange(len(size))] += 1
            kind: torch.dtype = _sometimes(rng, dtype, rng.choice(FLOATS), 0.1)  # type: ignore[assignment]
            dense = torch.empty(size, dtype=kind, device="meta")
            tensors.append(_sometimes(rng, dense, _tensor(rng, tuple(size), kind), 0.2))
        func = rng.choice([torch.cat, torch.concat, torch.concatenate])
        container = rng.choice([tuple, list])
        yield func, (container(tensors), dim), {}


def _pow_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        x = _tensor(rng, _shape(rng, rng.randint(0, 4)))
        exponent = rng.choice([2, 3, 0.5, -1, 2.0, True, _sometimes(rng, 2, torch.tensor(2.0))])
        yield rng.choice([torch.Tensor.pow, torch.Tensor.__pow__, torch.pow]), (x, exponent), {}


def _mean_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        rank: int = _sometimes(rng, rng.randint(1, 4), 0, 0.05)  # type: ignore[assignment]
        x = _tensor(rng, _shape(rng, rank), _sometimes(rng, rng.choice(FLOATS), torch.int64, 0.1))  # type: ignore[arg-type]
        dims = rng.sample(range(-rank, rank), min(rng.randint(1, 3), 2 * rank)) if rank else [0]
        if rng.random() < 0.1:
            dims.append(dims[0])  # a repeated dim, or the same dim spelled twice (1 and -rank+1)
        dim = rng.choice([rng.randint(-rank - 1, rank), dims, dims, []])
        kwargs: dict[str, object] = {"keepdim": rng.choice([True, False])}
        if rng.random() < 0.05:
            kwargs["dtype"] = torch.float64
        yield rng.choice([torch.Tensor.mean, torch.mean]), (x, dim), kwargs


def _to_calls(rng: random.Random) -> Iterator[Call]:
    for _ in range(CASES):
        x = _tensor(rng, _shape(rng, rng.randint(0, 4)))
        target = rng.choice([*FLOATS, torch.int32, "meta", _sometimes(rng, torch.float32, "nonsense")])
        yield torch.Tensor.to, (x, target), {}


def _run(
    func: Callable[..., Any], args: tuple[object, ...], kwargs: dict[str, object]
) -> tuple[object, _Sum]:
    """PyTorch's own result of the call on meta, and the registry's cost of the ATen ops it reaches."""
    result = func(*args, **kwargs)
    spent = _Sum()
    with CostCounter(spent):
        func(*_fresh(args), **kwargs)
    return result, spent


def _fresh(args: tuple[object, ...]) -> tuple[object, ...]:
    """The same arguments with new tensors of the same metadata (an in-place call writes its input)."""
    return tuple(_fresh_one(a) for a in args)


def _fresh_one(value: object) -> object:
    if isinstance(value, torch.Tensor) and value.is_meta:
        return torch.empty_strided(value.shape, value.stride(), dtype=value.dtype, device="meta")
    if type(value) in (tuple, list):  # torch.cat's tensors
        return type(value)(map(_fresh_one, value))  # type: ignore[call-overload]
    return value


def _describe(tensor: torch.Tensor) -> tuple[object, ...]:
    return (tuple(tensor.shape), tensor.stride(), tensor.dtype, tensor.storage_offset())


FAMILIES = {
    "conv": _conv_calls, "linear": _linear_calls, "unary": _unary_calls, "binary": _binary_calls,
    "pool": _pool_calls, "adaptive_pool": _adaptive_calls, "batch_norm": _batch_norm_calls,
    "layer_norm": _layer_norm_calls,
    "views": _view_calls, "indexing": _indexing_calls, "cat": _cat_calls, "pow": _pow_calls,
    "mean": _mean_calls, "to": _to_calls,
}  # fmt: skip


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_shortcut_answers_what_the_meta_kernel_answers(family: str) -> None:
    rng = random.Random(f"shortcuts-{family}")  # noqa: S311  # seeded: the same calls on every run
    answered = refused = 0
    for func, args, kwargs in FAMILIES[family](rng):
        try:
            answer = fastpaths.META_SHORTCUTS[func](args, kwargs)
        except Exception as error:  # noqa: BLE001  # a view's own C++ kernel: PyTorch's error, compared below
            answer = error
        try:
            expected, spent = _run(func, args, kwargs)
        except Exception as error:  # noqa: BLE001  # whatever PyTorch raises, it must be PyTorch that raises it
            refused += 1
            # a call PyTorch refuses is declined, to fail in PyTorch, or fails with PyTorch's own error
            same = isinstance(answer, Exception) and (type(answer), str(answer)) == (type(error), str(error))
            assert answer is None or same, (func, args, kwargs, error, answer)  # noqa: PT017
            continue
        assert not isinstance(answer, Exception), (func, args, kwargs, answer)
        if answer is None:
            continue
        answered += 1
        result, _, cost = answer
        where = (func, [_describe(a) if isinstance(a, torch.Tensor) else a for a in args], kwargs)
        assert isinstance(result, torch.Tensor), where
        assert isinstance(expected, torch.Tensor), where
        assert _describe(result) == _describe(expected), where
        assert (result is args[0]) == (expected is args[0]), where
        if family in ("views", "indexing"):  # a view's base is what an in-place write through it changes
            assert result._base is expected._base or result._base is args[0], where  # noqa: SLF001
        assert (cost.macs, cost.flops) == (spent.macs, spent.flops), where
        assert cost.counted, where
        assert not spent.uncounted, where
    # the random calls reach both sides: answers to compare, and refusals that must go to PyTorch
    assert answered > CASES // 5, (family, answered, refused)
    assert refused > 0 or family in ("views", "batch_norm", "layer_norm", "pow"), (answered, refused)


def test_a_shortcut_declines_tensors_it_does_not_know() -> None:
    x = torch.empty(1, 3, 8, 8, device="meta")
    w = torch.empty(4, 3, 3, 3, device="meta")
    assert fastpaths.META_SHORTCUTS[torch.conv2d]((x, w), {}) is not None
    # a tensor that needs grad, a real tensor, a subclass: PyTorch's own path, with its autograd
    assert fastpaths.META_SHORTCUTS[torch.conv2d]((x.requires_grad_(), w), {}) is None
    assert fastpaths.META_SHORTCUTS[F.relu]((torch.zeros(2),), {}) is None

    class Sub(torch.Tensor):
        pass

    assert fastpaths.META_SHORTCUTS[F.relu]((torch.empty(2, device="meta").as_subclass(Sub),), {}) is None
