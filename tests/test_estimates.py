"""Meta-only models whose forward looks at values: known values followed, assumptions stated.

Counts are checked against hand arithmetic under the assumption each test names.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

import torchscope
from torchscope import schema


class Selects(nn.Module):
    """Keeps the positive activations, then projects them: how many is up to the values."""

    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(4, 6)
        self.down = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.up(x)
        return self.down(h[h.sum(-1) > 0])


def test_a_boolean_index_of_activations_assumes_every_row_is_kept() -> None:
    with torch.device("meta"):
        model = Selects()
    graph = torchscope.trace(model, [5, 4])
    payload = schema.validate(graph.to_json())
    assert graph.device == "meta"
    # all 5 rows kept (the upper bound): up 5·4·6, down 5·6·3
    assert payload["totals"]["macs"] == 5 * 4 * 6 + 5 * 6 * 3
    down = next(n for n in payload["nodes"] if n["id"] == "down")
    assert down["estimated"] == ["boolean index: all 5 elements assumed selected (the upper bound)"]
    up = next(n for n in payload["nodes"] if n["id"] == "up")
    assert "estimated" not in up


class Gathers(nn.Module):
    """Projects the rows its mask input picks."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 6)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.fc(x[torch.nonzero(mask).squeeze(1)])


def test_values_that_come_from_the_inputs_are_followed_exactly() -> None:
    with torch.device("meta"):
        model = Gathers()
    mask = torch.tensor([True, False, True, True, False])
    payload = torchscope.trace(model, inputs=(torch.randn(5, 4), mask)).to_json()
    # 3 rows picked: 3·4·6, and nothing assumed
    assert payload["totals"]["macs"] == 3 * 4 * 6
    assert "estimated" not in payload["totals"]


class Switch(nn.Module):
    """Top-1 routing by argmax, then a loop over experts with a boolean index each (Switch style)."""

    def __init__(self, experts: int = 4) -> None:
        super().__init__()
        self.router = nn.Linear(8, experts)
        self.experts = nn.ModuleList(nn.Linear(8, 8) for _ in range(experts))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        choice = self.router(x).argmax(-1)
        out = torch.zeros_like(x)
        for i, expert in enumerate(self.experts):
            picked = choice == i
            out[picked] = expert(x[picked])
        return out


def test_argmax_routing_assumes_uniform_routing() -> None:
    with torch.device("meta"):
        model = Switch()
    payload = schema.validate(torchscope.trace(model, [12, 8]).to_json())
    # 12 tokens over 4 experts round-robin: 3 each, 3·8·8 MACs an expert; the router 12·8·4
    assert payload["totals"]["macs"] == 12 * 8 * 4 + 4 * 3 * 8 * 8
    note = "uniform routing: argmax picks 1 of 4 round-robin over 12 rows, so each is chosen 3 times"
    assert str(payload["totals"]["estimated"]).startswith(note)
    experts = [n for n in payload["nodes"] if n["id"].startswith("experts.")]
    assert len(experts) == 4
    assert all(n["estimated"][0].startswith(note) for n in experts)


class LooksAtActivations(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        return y * 2 if y.sum() > 0 else y


def test_a_branch_on_activation_values_has_no_assumption_and_says_so() -> None:
    with torch.device("meta"):
        model = LooksAtActivations()
    with pytest.raises(torchscope.TraceError) as caught:
        torchscope.trace(model, [2, 4])
    message = str(caught.value)
    assert message.startswith("LooksAtActivations (the model's own forward) at bool needs real tensors")
    assert "estimating on meta, with known inputs and stated assumptions, stopped too" in message
    assert "Tensor.item() cannot be called on meta tensors" in message
