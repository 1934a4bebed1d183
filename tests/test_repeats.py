"""Repeated blocks: each part of a block's signature, changed alone, makes siblings stop repeating.

Every model here has sibling blocks that are the same class and differ, by construction, in exactly
one thing the signature covers (an attribute, the wiring, the nesting, an output shape, the class of
the block, the parent), so which groups repeat which is known by hand.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F  # noqa: N812  # the conventional name
from torch import nn

import torchscope


def _repeats(model: nn.Module, shape: list[int]) -> dict[str, str | None]:
    return {g.id: g.repeat_of for g in torchscope.trace(model, shape).groups}


class Softmaxed(nn.Module):
    """Reads its own parameter through a function (the attribute `parameters` names it)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 8))
        self.dim = dim
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(torch.softmax(F.linear(x, self.weight), dim=self.dim))


def test_an_attribute_tells_blocks_apart_and_a_parameter_name_does_not() -> None:
    # the three read 0.weight, 1.weight, 2.weight; only the third softmaxes along another dim
    model = nn.Sequential(Softmaxed(-1), Softmaxed(-1), Softmaxed(0))
    assert _repeats(model, [8, 8]) == {"0": None, "1": "0", "2": None}


class Wired(nn.Module):
    """The same ops either way; only where the add's inputs come from differs."""

    def __init__(self, *, residual: bool) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        return x + y if self.residual else y + y


def test_the_wiring_tells_blocks_apart() -> None:
    model = nn.Sequential(Wired(residual=True), Wired(residual=True), Wired(residual=False))
    assert _repeats(model, [2, 8]) == {"0": None, "1": "0", "2": None}


class Skip(nn.Module):
    """Three Linears and an add of the last with an earlier one: which one is the only difference."""

    def __init__(self, *, back: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(8, 8)
        self.fc2 = nn.Linear(8, 8)
        self.fc3 = nn.Linear(8, 8)
        self.back = back

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.fc1(x)
        b = self.fc2(a)
        return self.fc3(b) + (a if self.back == 2 else b)


def test_how_far_back_an_input_comes_from_tells_blocks_apart() -> None:
    # the add has two inputs from inside the block either way: fc3 and fc1, or fc3 and fc2
    model = nn.Sequential(Skip(back=2), Skip(back=2), Skip(back=1))
    assert _repeats(model, [2, 8]) == {"0": None, "1": "0", "2": None}


class Nested(nn.Module):
    """Linear then ReLU either way; the ReLU sits inside `inner` or beside it."""

    def __init__(self, *, inside: bool) -> None:
        super().__init__()
        self.inside = inside
        self.inner = nn.Sequential(nn.Linear(8, 8), nn.ReLU()) if inside else nn.Sequential(nn.Linear(8, 8))
        self.act = nn.Identity() if inside else nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.inner(x)
        return y if self.inside else self.act(y)


def test_the_nesting_tells_blocks_apart() -> None:
    model = nn.Sequential(Nested(inside=True), Nested(inside=True), Nested(inside=False))
    repeats = _repeats(model, [2, 8])
    assert {k: repeats[k] for k in ("0", "1", "2")} == {"0": None, "1": "0", "2": None}
    # the inner Sequentials are the only children of their blocks: none has an earlier sibling
    assert {k: repeats[k] for k in ("0.inner", "1.inner", "2.inner")} == dict.fromkeys(
        ("0.inner", "1.inner", "2.inner")
    )


class ReluBeside(nn.Module):
    """Linear then ReLU, two Sequentials deep; the ReLU inside the inner one, or beside the outer one.

    Walked in call order both are Sequential, Sequential, Linear, ReLU: only the ReLU's parent (the
    inner Sequential, at the second place, or the block itself) tells them apart.
    """

    def __init__(self, *, inside: bool) -> None:
        super().__init__()
        self.inside = inside
        layers = [nn.Linear(8, 8), nn.ReLU()] if inside else [nn.Linear(8, 8)]
        self.inner = nn.Sequential(nn.Sequential(*layers))
        self.act = nn.Identity() if inside else nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.inner(x)
        return y if self.inside else self.act(y)


class TailBeside(nn.Module):
    """The same with the ReLU wrapped in a Sequential: only that group's parent differs."""

    def __init__(self, *, inside: bool) -> None:
        super().__init__()
        self.inside = inside
        tail = nn.Sequential(nn.ReLU())
        self.inner = nn.Sequential(
            nn.Sequential(nn.Linear(8, 8), tail) if inside else nn.Sequential(nn.Linear(8, 8))
        )
        self.tail = nn.Identity() if inside else tail

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.inner(x)
        return y if self.inside else self.tail(y)


@pytest.mark.parametrize("block", [ReluBeside, TailBeside])
def test_a_parent_outside_the_block_is_told_from_one_at_the_second_place(block: type[nn.Module]) -> None:
    model = nn.Sequential(block(inside=True), block(inside=True), block(inside=False))
    repeats = _repeats(model, [2, 8])
    assert {k: repeats[k] for k in ("0", "1", "2")} == {"0": None, "1": "0", "2": None}


class Projected(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class AlsoProjected(Projected):
    """The same body as Projected under another class name."""


class TwoBatches(nn.Module):
    """The same block run on 8 rows and on 4: only the output shapes differ."""

    def __init__(self) -> None:
        super().__init__()
        self.a = Projected()
        self.b = Projected()
        self.c = Projected()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.a(x), self.b(x), self.c(x[:4])


def test_an_output_shape_tells_blocks_apart() -> None:
    assert _repeats(TwoBatches(), [8, 8]) == {"a": None, "b": "a", "c": None}


def test_the_class_of_a_block_tells_blocks_apart() -> None:
    model = nn.Sequential(Projected(), AlsoProjected(), Projected())
    assert _repeats(model, [2, 8]) == {"0": None, "1": None, "2": "0"}


def test_a_repeat_names_the_first_sibling_under_its_own_parent() -> None:
    # all four inner blocks have one signature; a repeat points within its own Sequential
    model = nn.Sequential(nn.Sequential(Projected(), Projected()), nn.Sequential(Projected(), Projected()))
    assert _repeats(model, [2, 8]) == {
        "0": None,
        "0.0": None,
        "0.1": "0.0",
        "1": "0",
        "1.0": None,
        "1.1": "1.0",
    }
