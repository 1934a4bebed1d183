"""Property-based tests: random small models, and what must hold for every one of them.

Hypothesis builds stacks of common layers (Linear, Conv2d, the norms, activations, Dropout,
pooling) of random widths, nested in Sequentials, ModuleLists and custom blocks, with residual
adds, concatenations, a module called twice, a submodule under two names and weights tied between
two layers, over vector, sequence and image inputs. The model's state is then scrambled
(train/eval flags per module, frozen parameters, real gradients, a user hook) before each trace.

The truths checked come from outside the tracer: PyTorch's own forward (output shapes, the calls
of every leaf module, counted with hooks of our own), ``FlopCounterMode`` (MACs),
``model.parameters()`` (unique parameter counts, tied weights once) and the bytes of every tensor
(leave no trace). Structural ones: the graph is a DAG, edges agree with the nodes they join,
group statistics are the sums of their children's, the payload validates, and a meta trace and a
CPU trace give the same payload.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx
import pytest
import torch
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope
from torchscope import ModelGraph, TraceError, schema
from torchscope.stats import ADDITIVE
from unchanged import Fingerprint

Kind = Literal["vec", "seq", "img"]
BATCH, LENGTH, SIDE = 2, 3, 4  # batch > 1: BatchNorm in train mode needs two values per channel

SETTINGS = settings(
    # TORCHSCOPE_EXAMPLES=1000 explores further by hand; CI keeps the suite quick
    max_examples=int(os.environ.get("TORCHSCOPE_EXAMPLES", "40")),
    deadline=None,
    # CI replays the same examples every run; locally each run explores new ones
    derandomize=os.environ.get("CI") == "true",
    database=None,  # the shared working tree gets no .hypothesis/ folder; failures print a blob
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- building blocks ------------------------------------------------------------------------


class Residual(nn.Module):
    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Concat(nn.Module):
    def __init__(self, a: nn.Module, b: nn.Module, dim: int) -> None:
        super().__init__()
        self.a = a
        self.b = b
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.a(x), self.b(x)], dim=self.dim)


class Twice(nn.Module):
    """The same submodule called twice."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(self.inner(x))


class Aliased(nn.Module):
    """One submodule under two names (``again`` is ``first``), each name called once."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.first = inner
        self.again = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.again(self.first(x))


class Tied(nn.Module):
    """Two layers sharing one weight tensor (each keeps its own bias)."""

    def __init__(self, a: nn.Linear | nn.Conv2d, b: nn.Linear | nn.Conv2d) -> None:
        super().__init__()
        self.a = a
        self.b = b
        self.b.weight = self.a.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.a(x) - self.b(x)


class Functional(nn.Module):
    """Torch functions outside any leaf module: each becomes a function node."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x) * 0.5 + x


class Block(nn.Module):
    """A custom container: a ModuleList iterated by hand."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


Output = Literal["tensor", "tuple", "dict"]


class Model(nn.Module):
    def __init__(self, body: nn.Module, head: nn.Module | None, output: Output) -> None:
        super().__init__()
        self.body = body
        self.head = head
        self.output = output

    def forward(self, x: torch.Tensor) -> object:
        y = self.body(x)
        if self.head is not None:
            y = self.head(y)
        if self.output == "tuple":
            return y, y.sum(dim=-1)
        if self.output == "dict":
            return {"main": y, "mean": y.mean()}
        return y


# -- strategies -----------------------------------------------------------------------------

Draw = Callable[[st.SearchStrategy[Any]], Any]


def _projection(kind: Kind, width: int, out: int, *, bias: bool = True) -> nn.Linear | nn.Conv2d:
    return nn.Conv2d(width, out, 1, bias=bias) if kind == "img" else nn.Linear(width, out, bias=bias)


ACTIVATIONS: list[Callable[[], nn.Module]] = [
    nn.ReLU,
    lambda: nn.ReLU(inplace=True),
    nn.GELU,
    nn.Tanh,
    nn.SiLU,
    nn.Sigmoid,
    lambda: nn.LeakyReLU(0.1),
    nn.Hardswish,
]


def _norms(kind: Kind, width: int) -> list[Callable[[], nn.Module]]:
    if kind == "vec":
        return [lambda: nn.BatchNorm1d(width), lambda: nn.LayerNorm(width)]
    if kind == "seq":
        return [lambda: nn.LayerNorm(width), lambda: nn.LayerNorm(width, elementwise_affine=False)]
    return [lambda: nn.BatchNorm2d(width), lambda: nn.GroupNorm(1, width), lambda: nn.InstanceNorm2d(width)]


@st.composite
def simple_layers(draw: Draw, kind: Kind, width: int) -> tuple[nn.Module, int]:
    """One leaf layer and its output width."""
    choice = draw(st.sampled_from(["project", "act", "norm", "dropout", "identity", "softmax", "pool"]))
    layer: nn.Module = nn.Identity()
    if choice == "project":
        out = draw(st.integers(1, 6))
        bias = draw(st.booleans())
        if kind == "img" and draw(st.booleans()):
            return nn.Conv2d(width, out, 3, padding=1, bias=bias), out
        return _projection(kind, width, out, bias=bias), out
    if choice == "act":
        layer = draw(st.sampled_from(ACTIVATIONS))()
    elif choice == "norm":
        layer = draw(st.sampled_from(_norms(kind, width)))()
    elif choice == "dropout":
        p = draw(st.sampled_from([0.0, 0.3, 0.5]))
        layer = nn.Dropout2d(p) if kind == "img" and draw(st.booleans()) else nn.Dropout(p)
    elif choice == "softmax":
        layer = nn.Softmax(dim=-1)
    elif choice == "pool" and kind == "img":
        layer = nn.MaxPool2d(3, 1, 1) if draw(st.booleans()) else nn.AvgPool2d(3, 1, 1)
    return layer, width


@st.composite
def layers(  # noqa: PLR0911  # one return per kind of composite
    draw: Draw, kind: Kind, width: int, depth: int
) -> tuple[nn.Module, int]:
    """A leaf layer or, while depth allows, a composite one: residual, concat, twice, tied, nested."""
    composite = ["residual", "concat", "twice", "aliased", "tied", "functional", "nested"]
    choice = draw(st.sampled_from(["simple", "simple", *composite])) if depth > 0 else "simple"
    if choice == "simple":
        return draw(simple_layers(kind, width))
    if choice == "residual":
        body, out = draw(stacks(kind, width, depth - 1))
        if out != width:
            body = nn.Sequential(body, _projection(kind, out, width))
        return Residual(body), width
    if choice == "concat":
        a, wa = draw(stacks(kind, width, depth - 1))
        b, wb = draw(stacks(kind, width, depth - 1))
        return Concat(a, b, dim=-1 if kind == "seq" else 1), wa + wb
    if choice == "twice":
        inner = draw(st.sampled_from(["project", "act"]))
        return Twice(_projection(kind, width, width) if inner == "project" else nn.ReLU()), width
    if choice == "aliased":
        return Aliased(_projection(kind, width, width)), width
    if choice == "tied":
        out = draw(st.integers(1, 6))
        return Tied(_projection(kind, width, out), _projection(kind, width, out)), out
    if choice == "functional":
        return Functional(), width
    return draw(stacks(kind, width, depth - 1))


@st.composite
def stacks(draw: Draw, kind: Kind, width: int, depth: int) -> tuple[nn.Module, int]:
    """One to three layers in a Sequential, a hand-iterated ModuleList, or bare when alone."""
    count = draw(st.integers(1, 3))
    made: list[nn.Module] = []
    for _ in range(count):
        layer, width = draw(layers(kind, width, depth))
        made.append(layer)
    container = draw(st.sampled_from(["sequential", "block", "bare"]))
    if container == "bare" and count == 1:
        return made[0], width
    return (Block(made) if container == "block" else nn.Sequential(*made)), width


@dataclass
class Case:
    model: Model
    shape: list[int]
    train: bool
    real_inputs: bool

    def example(self) -> torch.Tensor:
        return torch.randn(self.shape, generator=torch.Generator().manual_seed(1))


@st.composite
def cases(draw: Draw) -> Case:
    kind: Kind = draw(st.sampled_from(["vec", "seq", "img"]))
    width = draw(st.integers(1, 5))
    body, out = draw(stacks(kind, width, depth=2))
    head = None
    if kind == "img" and draw(st.booleans()):
        head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(out, draw(st.integers(1, 4))))
    model = Model(body, head, draw(st.sampled_from(["tensor", "tuple", "dict"])))
    shape = {"vec": [BATCH, width], "seq": [BATCH, LENGTH, width], "img": [BATCH, width, SIDE, SIDE]}[kind]
    case = Case(model, shape, train=draw(st.booleans()), real_inputs=draw(st.booleans()))
    _scramble(draw, case)
    note(f"kind={kind} shape={shape} train={case.train} real_inputs={case.real_inputs}\n{model}")
    event(f"input: {kind}")
    for part in (
        "Residual",
        "Concat",
        "Twice",
        "Aliased",
        "Tied",
        "Functional",
        "Block",
        "ReLU(inplace=True)",
    ):
        if part in repr(model):
            event(f"has {part}")
    return case


def _scramble(draw: Draw, case: Case) -> None:
    """Give the trace something to disturb: mixed flags, frozen weights, real gradients, a hook."""
    model = case.model
    modules = list(model.modules())
    for module in modules:
        module.training = draw(st.booleans())
    for param in model.parameters():
        param.requires_grad_(draw(st.sampled_from([True, True, False])))
    if draw(st.booleans()) and any(p.requires_grad for p in model.parameters()):
        out = _first_tensor(model(case.example()))
        if out.requires_grad:
            # real .grad values, and BatchNorm statistics that moved; an in-place ReLU on a tensor
            # autograd saved makes backward refuse, which leaves whatever gradients it reached
            with contextlib.suppress(RuntimeError):
                out.sum().backward()
    if draw(st.booleans()):
        calls: list[str] = []

        def log(module: nn.Module, args: object, output: object) -> None:
            del args, output
            calls.append(type(module).__name__)  # a side effect outside the model: it stays

        draw(st.sampled_from(modules)).register_forward_hook(log)


def _first_tensor(value: object) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, tuple):
        return _first_tensor(value[0])
    assert isinstance(value, dict)
    return _first_tensor(value["main"])


def _tensors(value: object) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, tuple):
        return [t for v in value for t in _tensors(v)]
    assert isinstance(value, dict)
    return [t for v in value.values() for t in _tensors(v)]


# -- the oracles ----------------------------------------------------------------------------


def _reference(case: Case) -> tuple[list[torch.Tensor], Counter[str], int]:
    """PyTorch's own run of a copy: outputs, calls of every leaf module, and FlopCounterMode's MACs."""
    twin = copy.deepcopy(case.model).train(case.train)
    rng = torch.get_rng_state()  # train-mode dropout draws from it; the next trace is checked against it
    paths = {id(m): name for name, m in twin.named_modules()}
    calls: Counter[str] = Counter()

    def count(module: nn.Module, args: object, output: object) -> None:
        del args, output
        calls[paths[id(module)]] += 1

    for module in twin.modules():
        if next(module.children(), None) is None:
            module.register_forward_hook(count)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        outputs = _tensors(twin(case.example()))
    torch.set_rng_state(rng)
    return outputs, calls, counter.get_total_flops() // 2


def _trace(case: Case, device: str) -> ModelGraph:
    if case.real_inputs:
        return torchscope.trace(case.model, inputs=case.example(), device=device, train=case.train)
    return torchscope.trace(case.model, case.shape, device=device, train=case.train)


# -- the properties -------------------------------------------------------------------------


@SETTINGS
@given(cases())
def test_every_random_model_traces_exactly_and_leaves_no_trace(case: Case) -> None:
    model = case.model
    before = Fingerprint.of(model)
    x = case.example()
    graph = _trace(case, "auto")
    before.assert_same(model)
    assert torch.equal(case.example(), x), "the example input changed"
    payload = schema.validate(graph.to_json())
    assert graph.device == "meta"

    _assert_a_dag_whose_edges_agree_with_their_nodes(graph)
    _assert_groups_sum_their_children(payload)
    _assert_owned_counts_come_from_the_model(graph, payload, model)

    outputs, calls, macs = _reference(case)
    traced_outputs = [n.inputs[0] for n in graph.nodes if n.kind == "output"]
    assert [(m.shape, m.dtype) for m in traced_outputs] == [
        (tuple(t.shape), str(t.dtype).removeprefix("torch.")) for t in outputs
    ]
    assert Counter(n.module_path for n in graph.nodes if n.kind == "module") == calls
    assert payload["totals"]["macs"] == macs

    # a real pass on the CPU draws the same graph with the same numbers
    on_cpu = _trace(case, "cpu")
    before.assert_same(model)
    cpu_payload = on_cpu.to_json()
    assert cpu_payload["model"]["device"] == "cpu"
    cpu_payload["model"]["device"] = "meta"
    assert cpu_payload == payload


def _assert_a_dag_whose_edges_agree_with_their_nodes(graph: ModelGraph) -> None:
    assert nx.is_directed_acyclic_graph(graph.to_networkx())
    nodes = {n.id: n for n in graph.nodes}
    for edge in graph.trace.edges:
        source, target = nodes[edge.source], nodes[edge.target]
        assert edge.tensor in source.outputs, f"{edge} does not leave {source.id}'s outputs {source.outputs}"
        assert edge.tensor in target.inputs, f"{edge} does not reach {target.id}'s inputs {target.inputs}"
    # every computing node is reached from an input: nothing floats
    reached = nx.descendants(graph.to_networkx(), "input") if "input" in nodes else set()
    assert all(n.id in reached for n in graph.nodes if n.kind in ("module", "output") and n.inputs)


def _assert_groups_sum_their_children(payload: schema.Payload) -> None:
    stats = {n["id"]: n["stats"] for n in payload["nodes"]}
    stats.update({g["id"]: g["stats"] for g in payload["groups"]})
    for group in payload["groups"]:
        for key in ADDITIVE:
            assert group["stats"][key] == sum(stats[c][key] for c in group["children"]), (group["id"], key)
    top = [g["id"] for g in payload["groups"] if g["parent"] is None]
    top += [n["id"] for n in payload["nodes"] if n["parent"] is None and n["kind"] in ("module", "function")]
    for key in ADDITIVE:
        assert payload["totals"][key] == sum(stats[m][key] for m in top), key


def _assert_owned_counts_come_from_the_model(
    graph: ModelGraph, payload: schema.Payload, model: nn.Module
) -> None:
    totals = payload["totals"]
    # parameters() yields each tensor once: a tied weight counts once
    assert totals["params"] == sum(p.numel() for p in model.parameters())
    assert totals["params_trainable"] == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert totals["buffer_bytes"] == sum(b.numel() * b.element_size() for b in model.buffers())
    modules = dict(model.named_modules())
    by_id = {g["id"]: g for g in payload["groups"]}
    for group in graph.groups:
        module = modules[group.module_path]
        assert by_id[group.id]["stats"]["params"] == sum(p.numel() for p in module.parameters())


# -- failures -------------------------------------------------------------------------------


class Boom(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise ValueError(f"boom with {tuple(x.shape)}")


@SETTINGS
@given(cases(), st.data())
def test_a_layer_raising_anywhere_is_named_and_leaves_no_trace(case: Case, data: st.DataObject) -> None:
    model = case.model
    # replace a random leaf by one that raises, under the same name
    leaves = [name for name, m in model.named_modules() if name and next(m.children(), None) is None]
    victim = data.draw(st.sampled_from(leaves), label="victim")
    parent_path, _, attr = victim.rpartition(".")
    parent = model.get_submodule(parent_path)
    boom = Boom()
    parent.add_module(attr, boom)
    # a module reachable under two names takes the first one: that is the name the error gives
    first_name = next(name for name, m in model.named_modules() if m is boom)
    before = Fingerprint.of(model)
    # every generated leaf runs, so the trace must fail there
    with pytest.raises(TraceError) as caught:
        _trace(case, "auto")
    before.assert_same(model)
    message = str(caught.value)
    assert message.startswith(f"forward failed in Boom {first_name!r} at forward with input shapes ")
    assert isinstance(caught.value.__cause__, ValueError)
    payload = schema.validate(caught.value.graph.to_json())
    failed = [n for n in payload["nodes"] if "error" in n]
    assert [n["module_path"] for n in failed] == [first_name]
    assert not any(n["kind"] == "output" for n in payload["nodes"])
