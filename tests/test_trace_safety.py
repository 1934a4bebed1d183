"""Leave no trace, fail helpfully: the model and inputs are untouched after every call, and a
failing forward names the layer, the op and the shapes that reached it."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
import torch
import torchvision
from torch import nn

import torchscope
from torchscope import TraceError, schema


def snapshot(model: nn.Module) -> dict[str, Any]:
    """Everything a trace must leave exactly as it was, copied."""
    return {
        "state": {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()},
        "params": {k: (p.requires_grad, p.device, p.data_ptr()) for k, p in model.named_parameters()},
        "grads": {k: None if p.grad is None else p.grad.clone() for k, p in model.named_parameters()},
        "training": {k: m.training for k, m in model.named_modules()},
        "hooks": {
            k: [list(d.items()) for d in (m._forward_hooks, m._forward_pre_hooks, m._backward_hooks)]  # noqa: SLF001
            for k, m in model.named_modules()
        },
        "attributes": {k: dict(vars(m)) for k, m in model.named_modules()},
        "global_hooks": (
            len(nn.modules.module._global_forward_hooks),  # noqa: SLF001
            len(nn.modules.module._global_forward_pre_hooks),  # noqa: SLF001
        ),
        "rng": torch.get_rng_state(),
    }


def assert_unchanged(model: nn.Module, before: dict[str, Any]) -> None:
    after = snapshot(model)
    assert before["state"].keys() == after["state"].keys()
    for key, value in before["state"].items():
        assert torch.equal(value, after["state"][key]), f"{key} changed"
    assert before["params"] == after["params"]
    for key, grad in before["grads"].items():
        now = after["grads"][key]
        assert (grad is None and now is None) or torch.equal(grad, now), f"{key}.grad changed"
    assert before["training"] == after["training"]
    assert before["hooks"] == after["hooks"]
    for key, attrs in before["attributes"].items():
        now = after["attributes"][key]
        assert attrs.keys() == now.keys(), f"{key}: attributes added or removed"
        assert all(attrs[k] is now[k] for k in attrs), f"{key}: an attribute was replaced"
    assert before["global_hooks"] == after["global_hooks"]
    assert torch.equal(before["rng"], after["rng"])


class Busy(nn.Module):
    """BatchNorm, Dropout, a hook of its own, a cached attribute, and a switch to fail or need data."""

    def __init__(self, *, fail: bool = False, data_dependent: bool = False) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4 * 8 * 8, 10)
        self.fail = fail
        self.data_dependent = data_dependent
        self.calls = 0
        self.hook_log: list[str] = []
        self.cache: torch.Tensor | None = None
        self.conv.register_forward_hook(self._count)

    def _count(self, module: nn.Module, args: object, output: object) -> None:
        del module, args, output
        self.calls += 1  # rebinding an attribute: undone after a trace
        self.hook_log.append("conv")  # a side effect outside the module's attributes: stays

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x.mul_(1.0)  # an in-place op on the input itself
        y = self.drop(self.bn(self.conv(x)))
        self.cache = y  # forwards that store tensors on the module exist (torchvision's anchors)
        if self.data_dependent and y.abs().sum() < 0:
            y = -y
        y = torch.rand_like(y) + y  # consumes the RNG on a real pass
        if self.fail:
            return self.fc(y)  # 256 features missing the flatten: a shape error
        return self.fc(torch.flatten(y, 1))


def _trained(model: Busy) -> Busy:
    model.train()
    fail, model.fail = model.fail, False
    loss = model(torch.randn(2, 3, 8, 8)).sum()
    loss.backward()  # real .grad values and BatchNorm statistics to protect
    model.fc.requires_grad_(requires_grad=False)
    model.fail = fail
    model.calls = 0
    model.hook_log.clear()
    model.cache = None
    return model


@pytest.mark.parametrize(
    ("options", "device"),
    [
        ({}, "meta"),
        ({"train": True}, "meta"),
        ({"device": "cpu"}, "cpu"),
        ({"device": "cpu", "train": True}, "cpu"),
    ],
    ids=["meta-eval", "meta-train", "cpu-eval", "cpu-train"],
)
def test_nothing_changes_after_a_successful_trace(options: dict[str, Any], device: str) -> None:
    model = _trained(Busy())
    x = torch.randn(2, 3, 8, 8)
    x_before = x.clone()
    before = snapshot(model)
    graph = torchscope.trace(model, inputs=x, **options)
    assert graph.device == device
    assert_unchanged(model, before)
    assert torch.equal(x, x_before), "the input was changed"
    assert model.hook_log == ["conv"], "the model's own hooks run, as in any forward"
    assert model.calls == 0


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_a_trace_keeps_nothing_alive(device: str) -> None:
    # the graph and the process hold no reference to the model, its stand-ins or the frames of
    # its forward (a stored exception's traceback once kept every traced model alive)
    model = _trained(Busy())
    graph = torchscope.trace(model, [2, 3, 8, 8], device=device)
    graph.to_json()
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None


def test_nothing_changes_after_the_real_tensor_fallback() -> None:
    model = _trained(Busy(data_dependent=True))
    x = torch.randn(2, 3, 8, 8)
    x_before = x.clone()
    before = snapshot(model)
    graph = torchscope.trace(model, inputs=x, train=True)
    assert graph.device == "cpu"
    assert_unchanged(model, before)
    assert torch.equal(x, x_before)


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_nothing_changes_after_a_failing_forward(device: str) -> None:
    model = _trained(Busy(fail=True))
    before = snapshot(model)
    with pytest.raises(TraceError) as caught:
        torchscope.trace(model, [2, 3, 8, 8], device=device)
    assert_unchanged(model, before)
    message = str(caught.value)
    assert "Linear 'fc'" in message
    assert "linear" in message
    assert "[2, 4, 8, 8]" in message  # the shape that reached it
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert str(caught.value.__cause__) in message  # meta and CPU word it differently


def test_a_3d_input_to_a_conv2d_names_the_layer_and_keeps_the_partial_graph() -> None:
    model = torchvision.models.alexnet()
    with pytest.raises(TraceError) as caught:
        torchscope.trace(model, [1, 3, 224])
    error = caught.value
    assert "Conv2d 'features.0'" in str(error)
    assert "conv2d" in str(error)
    assert "[1, 3, 224]" in str(error)
    graph = error.graph
    schema.validate(graph.to_json())
    assert [n.id for n in graph.nodes] == ["input", "features.0"]
    assert graph.node("features.0").error == str(error)
    assert graph.error == str(error)


def test_a_linear_with_the_wrong_in_features() -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(5, 2))
    with pytest.raises(TraceError, match=r"Linear '2' at linear with input shapes \[1, 4\]") as caught:
        torchscope.trace(model, [1, 8])
    graph = caught.value.graph
    assert [n.id for n in graph.nodes] == ["input", "0", "1", "2"]
    assert graph.node("2").error is not None
    assert graph.node("1").error is None
    # the partial graph can be drawn
    view = torchscope.ModelView(graph.to_json())
    assert view.document["nodes"][-1]["error"].startswith("forward failed in Linear '2'")


def test_a_failing_functional_op_outside_modules_gets_a_marked_node() -> None:
    class Bad(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([self.fc(x), x.view(2, 2, 2)])

    with pytest.raises(
        TraceError, match=r"Bad \(the model's own forward\) at cat with input shapes \[2, 4\], \[2, 2, 2\]"
    ) as caught:
        torchscope.trace(Bad(), [2, 4])
    graph = caught.value.graph
    assert graph.node("cat").error is not None
    assert {(e.source, e.target) for e in graph.trace.edges} >= {("fc", "cat"), ("view", "cat")}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: torchscope.trace(42, [1, 3]),
            TypeError,
            "model must be a torch.nn.Module, a torch.export.ExportedProgram or a model spec .*, got int",
        ),
        (
            lambda: torchscope.trace(nn.Linear(3, 2), [1, 0]),
            ValueError,
            r"input_shape\[0\] = \[1, 0\] has a zero",
        ),
        (lambda: torchscope.trace(nn.Linear(3, 2), [1, -3]), ValueError, "zero or negative dimension"),
        (lambda: torchscope.trace(nn.Linear(3, 2), "1,3"), TypeError, "not the string '1,3'"),
        (lambda: torchscope.trace(nn.Linear(3, 2), [[1, 3], [1.5]]), TypeError, r"input_shape\[1\] must be"),
        (
            lambda: torchscope.trace(nn.Linear(3, 2), [1, 3], inputs=torch.ones(1, 3)),
            ValueError,
            "either input_shape or inputs, not both",
        ),
        (
            lambda: torchscope.trace(nn.Linear(3, 2), [1, 3], device="tpu"),
            ValueError,
            "device must be one of",
        ),
        (lambda: torchscope.trace(nn.Linear(3, 2)), ValueError, "pass input_shape"),
        (lambda: torchscope.trace(nn.Linear(3, 2), inputs=[1, 2]), ValueError, "contain no tensor"),
        (
            lambda: torchscope.trace(nn.Linear(3, 2), [1, 3], dtype="float"),
            TypeError,
            "dtype must be a torch.dtype",
        ),
        (lambda: torchscope.trace(nn.Linear(3, 2), [1, 3], kwargs=[1]), TypeError, "kwargs must be a dict"),
    ],
    ids=[
        "not-a-module",
        "zero-dim",
        "negative-dim",
        "string-shape",
        "float-dim",
        "shape-and-inputs",
        "unknown-device",
        "no-inputs",
        "no-tensor",
        "bad-dtype",
        "bad-kwargs",
    ],
)
def test_misuse_gets_a_clear_error(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_model_built_on_meta_that_needs_data_says_so() -> None:
    with torch.device("meta"):
        model = Busy(data_dependent=True)
    with pytest.raises(TraceError, match="parameters live on the meta device"):
        torchscope.trace(model, [2, 3, 8, 8])


def test_draw_model_still_draws_a_failing_model() -> None:
    model = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(5, 2))
    with pytest.warns(torchscope.TraceWarning, match="forward failed in Linear '2'"):
        view = torchscope.draw_model(model, [1, 8])
    nodes = {n["id"]: n for n in view.document["nodes"]}
    assert list(nodes) == ["input", "0", "1", "2"]
    assert nodes["2"]["error"].startswith("forward failed in Linear '2' at linear")
