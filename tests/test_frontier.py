"""Published frontier shapes on meta, in bf16 and float32: params and MACs exact, by hand.

The truths are in tests/frontier_shapes.py: parameter counts and per-token matmul weights written
out weight by weight for each architecture, and the totals their authors published. Trace time
and memory against a bare FlopCounterMode pass are measured in bench/frontier.py, not here.
"""

from __future__ import annotations

import warnings

import pytest
import torch

import torchscope

frontier_shapes = pytest.importorskip("frontier_shapes")  # needs transformers
SHAPES = frontier_shapes.SHAPES
TOKENS = 128

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", list(SHAPES))
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32], ids=["bf16", "float32"])
def test_frontier_shape_on_meta(name: str, dtype: torch.dtype) -> None:
    shape = SHAPES[name]
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        model = shape.build().to(dtype)
    payload = torchscope.trace(model, [1, TOKENS], dtype=torch.long).to_json()
    totals = payload["totals"]
    assert payload["model"]["device"] == "meta"
    assert (totals["uncounted"], "estimated" in totals) == ("", False)
    assert totals["params"] == shape.params
    assert totals["param_bytes"] == shape.params * dtype.itemsize
    assert totals["macs"] == frontier_shapes.macs(shape, TOKENS)
    experts = next(g for g in payload["groups"] if "attrs" in g)
    assert (experts["attrs"]["experts"], experts["attrs"]["top_k"]) == (shape.experts, shape.top_k)


@pytest.mark.parametrize("name", list(SHAPES))
def test_frontier_params_match_the_published_totals(name: str) -> None:
    shape = SHAPES[name]
    total = shape.params
    if name == "Llama-4-Scout":  # the published figure counts the vision tower as well
        total += frontier_shapes.llama4_scout_vision_params()
    assert round(total / 1e9, shape.digits) == shape.published
