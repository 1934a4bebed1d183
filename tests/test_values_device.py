"""The accelerator path of ``values=True``: the statistics never wait for the host.

No GPU is lent to these tests, so the path an accelerator takes (the masked reductions and
``histc``, chosen by :func:`~torchscope.trace.observe.host_reads_free`) is forced on CPU tensors.
Two truths: the ops it dispatches include none that makes a CUDA stream wait for the host (a scalar
read back, a result sized by the data, a copy to another device), and its figures equal those of
the CPU path, which ``test_values.py`` checks against forward hooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

import torchscope as ts
from torchscope.trace import observe

_aten = torch.ops.aten
# what int(tensor) and .item() dispatch: ATen's names, private to Python's eyes only
_READ_BACK = _aten._local_scalar_dense.default  # noqa: SLF001
_TO_COPY = _aten._to_copy.default  # noqa: SLF001
# ops whose result the host must see before it can go on: on CUDA each one is a synchronisation
_WAITS = {
    _READ_BACK,
    _aten.item.default,
    _aten.nonzero.default,
    _aten.bincount.default,
    _aten.masked_select.default,
    _aten._unique2.default,  # noqa: SLF001
    _aten.unique_consecutive.default,
}


class _Dispatched(TorchDispatchMode):
    """Every ATen op called, and every copy that left the tensor's device."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: list[Any] = []
        self.transfers: list[str] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        self.ops.append(func)
        if func is _TO_COPY and "device" in kwargs:
            self.transfers.append(str(kwargs["device"]))
        return func(*args, **kwargs)


@contextmanager
def _accelerator_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as patch:
        patch.setattr(observe, "host_reads_free", lambda _device: False)
        yield


def _tensors() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    with_nonfinite = torch.randn(64, 33)
    with_nonfinite[3, 4] = float("nan")
    with_nonfinite[7, 1] = float("inf")
    with_nonfinite[9, 9] = float("-inf")
    return {
        "finite": torch.randn(5, 7, 11) * 1e3,
        "nonfinite": with_nonfinite,
        "half": torch.randn(300).half(),
        "ids": torch.randint(0, 50, (4, 16)),
        "zeros": torch.zeros(10),
        "all nan": torch.full((6,), float("nan")),
    }


@pytest.mark.parametrize("name", list(_tensors()))
def test_the_accelerator_path_never_waits_for_the_host(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tensor = _tensors()[name]
    hashed = observe.sketch_hash(tensor.numel(), tensor.device)
    on_cpu = observe.summarise(tensor, hashed)
    seen = _Dispatched()
    with _accelerator_path(monkeypatch), seen:
        on_accelerator = observe.summarise(tensor, hashed)
    assert seen.ops, "the recording mode saw nothing: the check below would prove nothing"
    assert not [op for op in seen.ops if op in _WAITS]
    assert seen.transfers == []
    torch.testing.assert_close(on_accelerator, on_cpu, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_the_cpu_path_does_ask_the_host() -> None:
    # the recorder above can see a wait: the CPU path reads the finite count back on purpose
    tensor = _tensors()["finite"]
    seen = _Dispatched()
    with seen:
        observe.summarise(tensor, observe.sketch_hash(tensor.numel(), tensor.device))
    assert _READ_BACK in seen.ops


class _Broken(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 16)
        self.norm = nn.LayerNorm(16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(torch.log(self.fc(x))).relu()  # log of the negative half: NaN from here on


def test_a_values_trace_reads_the_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = _Broken().eval()
    x = torch.randn(8, 16)
    on_cpu = ts.trace(model, inputs=x, values=True)
    with _accelerator_path(monkeypatch):
        on_accelerator = ts.trace(model, inputs=x, values=True)
    assert on_accelerator.trace.values is not None
    assert on_cpu.trace.values is not None
    assert on_accelerator.trace.values.keys() == on_cpu.trace.values.keys()
    for node, summaries in on_cpu.trace.values.items():
        assert on_accelerator.trace.values[node] == summaries, node
    assert on_accelerator.first_nonfinite() == on_cpu.first_nonfinite() is not None
