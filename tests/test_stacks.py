"""A parallel step over a stack of alike blocks, measured on 3, 4 and 5 of them and extended.

The truth is the same step run over the whole stack (``extend_repeats=False``): every figure of
the record must be the same, byte for byte. Where the figures are not linear in the stack's
length, or the members are not alike, the whole stack must run.
"""

from __future__ import annotations

import dataclasses
from itertools import combinations

import pytest
import torch
from torch import nn

import torchscope
from torchscope.parallel import RankRecord
from torchscope.trace import stacks

LAYERS = 9


def _llama(layers: int = LAYERS) -> nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(num_hidden_layers=layers, hidden_size=64, intermediate_size=128,
                         num_attention_heads=4, num_key_value_heads=2, vocab_size=256)  # fmt: skip
    return LlamaForCausalLM(config)


def _rank(
    model: nn.Module,
    parallel: torchscope.FSDP | torchscope.TP,
    shape: list[int] | None = None,
    checkpointed: tuple[str, ...] = (),
) -> RankRecord:
    """One rank's record of a bf16-mixed step: of a Llama on 2 x 16 tokens, or on ``shape``."""
    if shape is not None:
        spec = torchscope.Training(precision="bf16-mixed")
        graph = torchscope.trace(model, shape, training=spec, parallel=parallel)
    else:
        graph = torchscope.trace(
            model,
            inputs=torch.zeros(2, 16, dtype=torch.long),
            kwargs={"use_cache": False},
            training=torchscope.Training(
                precision="bf16-mixed", loss="logits", activation_checkpointing=checkpointed
            ),
            parallel=parallel,
        )
    assert graph.trace.parallel is not None
    return graph.trace.parallel


def _figures(record: RankRecord) -> dict[str, object]:
    """Every figure of the record, less how it was measured."""
    return {k: v for k, v in dataclasses.asdict(record).items() if k not in ("stack", "measured_lengths")}


@pytest.mark.parametrize(
    ("parallel", "checkpointed"),
    [
        (torchscope.FSDP(4), ()),
        (torchscope.FSDP(3, reshard_after_forward=False), ()),
        (torchscope.FSDP(4), ("LlamaDecoderLayer",)),
        (torchscope.TP(2), ()),
    ],
    ids=["fsdp", "fsdp-kept-gathered", "fsdp-checkpointed", "tp"],
)
def test_a_llama_extended_from_three_short_steps_reads_as_its_whole_step(
    parallel: torchscope.FSDP | torchscope.TP, checkpointed: tuple[str, ...]
) -> None:
    model = _llama()
    extended = _rank(model, parallel, checkpointed=checkpointed)
    whole = _rank(model, dataclasses.replace(parallel, extend_repeats=False), checkpointed=checkpointed)
    assert (extended.stack, extended.measured_lengths) == ("model.layers", (3, 4, 5))
    assert (whole.stack, whole.measured_lengths) == ("", ())
    assert _figures(extended) == _figures(whole)
    assert extended.peak_bytes > extended.param_bytes > 0
    charged = extended.all_gather_bytes or extended.collective_bytes
    layers = {p.split(".")[2] for p in charged if p.startswith("model.layers.")}
    assert layers == {str(i) for i in range(LAYERS)}  # every layer has its figure


class _Pairs(nn.Module):
    """Alike members whose outputs the parent multiplies pairwise: saved bytes grow as length²."""

    def __init__(self, length: int = 8) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Sequential(nn.Linear(16, 16), nn.ReLU()) for _ in range(length))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [layer(x) for layer in self.layers]
        return torch.stack([a * b for a, b in combinations(outs, 2)]).sum()


def test_figures_off_a_line_run_the_whole_stack() -> None:
    model = _Pairs()
    assert stacks.alike_stack(model, torchscope.trace(model, [4, 16]).trace.groups) is not None
    extended = _rank(model, torchscope.FSDP(2, blocks=["Sequential"]), shape=[4, 16])
    whole = _rank(model, torchscope.FSDP(2, blocks=["Sequential"], extend_repeats=False), shape=[4, 16])
    assert extended.measured_lengths == ()  # 3, 6 and 10 pairs: the steps from 3 to 4 and 4 to 5 differ
    assert _figures(extended) == _figures(whole)


def test_a_strategy_that_treats_one_member_apart_runs_the_whole_stack() -> None:
    # no short replica holds layer 6: on them alone, its all-gather would be lost
    model = _llama()
    record = _rank(model, torchscope.FSDP(4, blocks=["model.layers.6"]))
    whole = _rank(model, torchscope.FSDP(4, blocks=["model.layers.6"], extend_repeats=False))
    assert record.measured_lengths == ()
    assert record.blocks == ["model.layers.6"]
    assert _figures(record) == _figures(whole)
    assert record.all_gather_bytes["model.layers.6"] > 0


class _Members(nn.Module):
    def __init__(self, member: type[nn.Module], length: int = 8) -> None:
        super().__init__()
        self.layers = nn.ModuleList(member(i) for i in range(length))  # type: ignore[call-arg]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class _Indexed(nn.Module):
    def __init__(self, index: int) -> None:
        super().__init__()
        self.layer_idx = index  # each member's own index: what tells alike members apart
        self.lin = nn.Linear(16, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x).relu()


class _OneSetApart(_Indexed):
    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.kind = "full" if index == 5 else "sliding"


class _OneRunsApart(_Indexed):
    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.mode = [index == 6]  # not a plain setting: only the forward trace tells this one apart

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.lin(x)
        return y.tanh() if self.mode[0] else y.relu()


class _OneWider(nn.Module):
    def __init__(self, index: int) -> None:
        super().__init__()
        width = 32 if index == 2 else 16
        self.lin = nn.Sequential(nn.Linear(16, width), nn.Linear(width, 16))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lin(x)


@pytest.mark.parametrize(
    ("member", "alike"),
    [(_Indexed, True), (_OneSetApart, False), (_OneRunsApart, False), (_OneWider, False)],
)
def test_a_stack_is_alike_only_if_every_member_is(member: type[nn.Module], alike: bool) -> None:  # noqa: FBT001
    model = _Members(member)
    found = stacks.alike_stack(model, torchscope.trace(model, [4, 16]).trace.groups)
    assert found == (stacks.Stack("layers", 8) if alike else None)


def test_a_short_stack_is_not_worth_extending() -> None:
    model = _Members(_Indexed, length=stacks.MIN_LENGTH - 1)
    assert stacks.alike_stack(model, torchscope.trace(model, [4, 16]).trace.groups) is None


def _run(length: int, *, member: int, outside: int, peak: int) -> stacks.Figures:
    """Figures of a short run: each member charged ``member`` (the last one 1 more), the root ``outside``."""
    charged = {f"s.{i}": member + (i == length - 1) for i in range(length)}
    return stacks.Figures(
        state=(10 * length, 10 * length, 20 * length),
        phases={"forward": {"Total": peak, "Activation": peak - 5}},
        by_module={"gathered": {**charged, "": outside}},
    )


def test_extension_by_hand() -> None:
    stack = stacks.Stack("s", 80)
    runs = [_run(n, member=7, outside=3, peak=100 + 12 * n) for n in (3, 4, 5)]
    full = stacks.extended(runs, stack)
    assert full is not None
    assert full.state == (800, 800, 1600)
    assert full.phases == {"forward": {"Total": 1060, "Activation": 1055}}
    gathered = full.by_module["gathered"]
    assert len(gathered) == 81
    assert (gathered["s.0"], gathered["s.40"], gathered["s.79"], gathered[""]) == (7, 7, 8, 3)


@pytest.mark.parametrize(
    "runs",
    [
        [_run(n, member=7, outside=3, peak=100 + n * n) for n in (3, 4, 5)],  # a peak off its line
        [_run(n, member=7, outside=n * n, peak=100) for n in (3, 4, 5)],  # a root's figure off its line
        [_run(n, member=7 + (n == 5), outside=3, peak=100) for n in (3, 4, 5)],  # a member that changes
    ],
)
def test_no_extension_off_a_line(runs: list[stacks.Figures]) -> None:
    assert stacks.extended(runs, stacks.Stack("s", 80)) is None


def test_a_peak_is_the_first_phase_at_the_top() -> None:
    figures = stacks.Figures(
        state=(0, 0, 0),
        phases={
            "forward": {"Total": 9, "Activation": 9},
            "backward": {"Total": 9, "Temp": 9},
            "optimizer": {"Total": 7, "OptState": 7},
        },
    )
    assert figures.peak() == (9, {"Activation": 9})


def test_bad_extend_repeats() -> None:
    with pytest.raises(TypeError, match=r"FSDP\(extend_repeats='no'\)"):
        torchscope.FSDP(2, extend_repeats="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"TP\(extend_repeats=1\)"):
        torchscope.TP(2, extend_repeats=1)  # type: ignore[arg-type]
