"""A transformer's meta trace counts the same with its fast paths as without them.

The fast paths under test: attention answered from the first call with the same arguments'
metadata (``trace/composites.py``), reads of a tensor's metadata that skip the recording
(``recorder_parts.METADATA_READS``), and the whole-function shortcuts of ``shortcuts_sequence.py``
(indexing, ``cat``, powers, means, casts). The independent truth is the trace with all of them
off, where every call runs PyTorch's own meta kernels through the cost counter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
import transformers

import torchscope
from torchscope.errors import TraceError
from torchscope.trace import composites, fastpaths, recorder

logging.getLogger("transformers").setLevel(logging.ERROR)


@contextmanager
def _fast_paths_off() -> Iterator[None]:
    with (
        mock.patch.dict(fastpaths.META_SHORTCUTS, clear=True),
        mock.patch.object(composites, "COMPOSITES", frozenset()),
        mock.patch.object(recorder, "METADATA_READS", frozenset()),
    ):
        yield


@contextmanager
def _counting_replays() -> Iterator[list[int]]:
    replays: list[int] = [0]
    real = composites.Composites.replay

    def counted(self: composites.Composites, key: object) -> Any:
        found = real(self, key)
        replays[0] += found is not None
        return found

    with mock.patch.object(composites.Composites, "replay", counted):
        yield replays


def _llama() -> torch.nn.Module:
    config = transformers.LlamaConfig(
        num_hidden_layers=3, hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=128, vocab_size=500,
    )  # fmt: skip
    with torch.device("meta"):
        return transformers.LlamaForCausalLM(config).eval()


def _gpt2() -> torch.nn.Module:
    with torch.device("meta"):
        return transformers.GPT2LMHeadModel(
            transformers.GPT2Config(n_layer=3, n_embd=64, n_head=4, vocab_size=500)
        )


@pytest.mark.parametrize(
    ("build", "dtype"), [(_llama, torch.float32), (_llama, torch.bfloat16), (_gpt2, torch.float32)]
)
def test_a_transformer_traces_the_same_with_its_fast_paths_and_without(
    build: Any, dtype: torch.dtype
) -> None:
    model = build().to(dtype)
    with _counting_replays() as replays:
        fast = torchscope.trace(model, [1, 16], dtype=torch.long).to_json()
    with _fast_paths_off():
        slow = torchscope.trace(model, [1, 16], dtype=torch.long).to_json()
    assert fast == slow
    assert replays[0] == 2  # attention in layers 2 and 3, from layer 1's call
    assert fast["totals"]["macs"] > 0


class _Attention(torch.nn.Module):
    """Attention called five ways; only the second call repeats an earlier one's metadata."""

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        b = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # the first call's twin
        c = F.scaled_dot_product_attention(q, k, v)  # no mask: other ops
        d = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        e = F.scaled_dot_product_attention(q, k, v.transpose(-1, -2), scale=0.5)  # another shape
        return a + b + c + d + e.transpose(-1, -2)


def test_attention_is_replayed_only_for_a_call_with_the_same_metadata() -> None:
    shapes = [[2, 4, 8, 8], [2, 4, 8, 8], [2, 4, 8, 8], [8, 8]]
    with _counting_replays() as replays:
        fast = torchscope.trace(_Attention(), shapes).to_json()
    with _fast_paths_off():
        slow = torchscope.trace(_Attention(), shapes).to_json()
    assert replays[0] == 1
    by_id = {n["id"]: n["stats"] for n in slow["nodes"]}
    for node in fast["nodes"]:
        assert node["stats"] == by_id[node["id"]], node["id"]
    # two batched matmuls of 8×8 by 8×8 per head: 2 · (2·4) · 8·8·8 MACs a call
    attention = [n for n in fast["nodes"] if n["op"] == "scaled_dot_product_attention"]
    assert [n["stats"]["macs"] for n in attention] == [2 * 8 * 512] * 5


class _ReadsABadDim(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(x.size(5))


def test_a_failing_metadata_read_is_still_named_where_it_failed() -> None:
    with pytest.raises(TraceError, match=r"\bsize\b") as failed:
        torchscope.trace(_ReadsABadDim(), [2, 4])
    assert "Dimension out of range" in str(failed.value)
