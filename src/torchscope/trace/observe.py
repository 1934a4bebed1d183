"""What flows through a real pass: each tensor summarised on its own device, never copied to the host.

With ``values=True`` the recorder hands every tensor a node produces (and every parameter, the first
time a node reads it) to an :class:`Observer`. :func:`summarise` turns the tensor into one small
float64 vector *on the tensor's device*, with a fixed handful of reductions over it (masks, sums,
min/max, counts, a ``bucketize`` and an ``index_add``), so a CUDA pass never waits for the host: nothing
is synchronised while the model runs. At the end of the pass every vector is stacked and moved to
the host in one transfer (:meth:`Observer.finish`), a few hundred numbers per tensor.

The vector holds, over the finite elements: their count, float64 sum and sum of squares, min and
max, and over all elements the exact zero, NaN and Inf counts, then :data:`BINS` histogram counts
and :data:`SKETCH` sketch buckets. A CPU tensor without NaN or Inf skips the masks (about a dozen
passes over it in all); on an accelerator every tensor takes the masked path, which never waits.

* **Histogram.** Symmetric log scale: an element ``x`` of a tensor whose largest magnitude is ``A``
  maps to ``sign(x) · log1p(|x| / (A·LINEAR)) / log1p(1 / LINEAR)`` in ``[-1, 1]``, cut into
  :data:`BINS` equal bins. Magnitudes below ``A·LINEAR`` read linearly, above it by decades: one
  chart shows the bulk and the outliers three decades apart. An exact zero falls in the bin just
  above zero; the zero count says how many there are.
* **Sketch.** A CountSketch of :data:`SKETCH` buckets: each position ``i`` of a tensor of ``n``
  elements goes to a seeded random bucket with a seeded random sign (the same for every tensor of
  ``n`` elements on the same kind of device). The sketch is linear, so the sketch of ``b − a`` is
  the difference of two runs' sketches, and its squared norm is an unbiased estimate of
  ``‖b − a‖²`` with a relative standard deviation of at most ``sqrt(2 / SKETCH)``. It stays in
  Python (the diff reads it); the payload never carries it.

The work runs past the recorder and the cost counter (:func:`unobserved`): it is neither a node nor
an op of the model.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch.utils._python_dispatch import _disable_current_modes

from torchscope.trace.records import ValueSummary

BINS = 32
LINEAR = 1e-3
SKETCH = 256
SKETCH_SEED = 20261201
_HEAD = 9  # count, finite, total, squares, min, max, zeros, nan, inf
_HASHES_KEPT = 8  # bucket/sign vectors of the last few tensor sizes, reused within one pass


@contextmanager
def unobserved() -> Iterator[None]:
    """Run torch code past every torch-function and dispatch mode (the recorder, the cost counter)."""
    with torch._C.DisableTorchFunction(), _disable_current_modes():  # noqa: SLF001  # torch's one switch
        yield


class Observer:
    """Collects the on-device summaries of one pass and brings them to the host once."""

    def __init__(self, parameters: dict[str, torch.Tensor]) -> None:
        self._parameters = parameters
        # module path → the parameters under it (a leaf module's own, and its children's)
        self._under: dict[str, list[str]] = {}
        for name in parameters:
            path = name
            while path:
                path = path.rpartition(".")[0]
                self._under.setdefault(path, []).append(name)
        self._pending: list[torch.Tensor] = []
        self.outputs: dict[str, list[int | None]] = {}
        self.params: dict[str, dict[str, int]] = {}
        self.seen_params: set[str] = set()
        self._hashes: OrderedDict[tuple[int, str], tuple[torch.Tensor, torch.Tensor]] = OrderedDict()

    def outputs_of(self, node_id: str, tensors: list[torch.Tensor]) -> None:
        """Summarise the tensors node ``node_id`` produced (again: a later call replaces them)."""
        with unobserved():
            self.outputs[node_id] = [self._add(t) for t in tensors]

    def module_parameters(self, node_id: str, path: str) -> None:
        """Summarise the parameters of the leaf module at ``path``, for its node ``node_id``."""
        for name in self._under.get(path, []):
            self.parameter(node_id, name)

    def parameter(self, node_id: str, name: str) -> None:
        """Summarise parameter ``name`` for the first node that reads it; later readers add nothing."""
        if name in self.seen_params or name not in self._parameters:
            return
        self.seen_params.add(name)
        with unobserved():
            slot = self._add(self._parameters[name])
        if slot is not None:
            self.params.setdefault(node_id, {})[name] = slot

    def _add(self, tensor: torch.Tensor) -> int | None:
        vector = self._summarise(tensor)
        if vector is None:
            return None
        self._pending.append(vector)
        return len(self._pending) - 1

    def finish(self) -> tuple[dict[str, list[ValueSummary | None]], dict[str, dict[str, ValueSummary]]]:
        """Move every summary to the host, one transfer per device, and return them by node."""
        rows: list[list[float]] = [[] for _ in self._pending]
        with unobserved():
            for device in {v.device for v in self._pending}:
                slots = [i for i, v in enumerate(self._pending) if v.device == device]
                for slot, row in zip(
                    slots, torch.stack([self._pending[i] for i in slots]).cpu().tolist(), strict=True
                ):
                    rows[slot] = row
        made = [_summary(row) for row in rows]
        outputs = {
            node: [None if s is None else made[s] for s in slots] for node, slots in self.outputs.items()
        }
        params = {node: {name: made[s] for name, s in named.items()} for node, named in self.params.items()}
        return outputs, params

    def _summarise(self, tensor: torch.Tensor) -> torch.Tensor | None:
        if tensor.is_complex() or tensor.device.type == "meta" or tensor.layout != torch.strided:
            return None
        return summarise(tensor, self._hash(tensor.numel(), tensor.device))

    def _hash(self, n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        key = (n, str(device))
        if key in self._hashes:
            self._hashes.move_to_end(key)
            return self._hashes[key]
        made = sketch_hash(n, device)
        self._hashes[key] = made
        if len(self._hashes) > _HASHES_KEPT:
            self._hashes.popitem(last=False)
        return made


def sketch_hash(n: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the bucket and sign of each position of an ``n``-element tensor (seeded; not global RNG)."""
    generator = torch.Generator(device=device).manual_seed(SKETCH_SEED + n)
    buckets = torch.randint(0, SKETCH, (n,), generator=generator, device=device, dtype=torch.int32)
    signs = torch.randint(0, 2, (n,), generator=generator, device=device, dtype=torch.int8) * 2 - 1
    return buckets, signs


def host_reads_free(device: torch.device) -> bool:
    """Whether reading a number back to Python costs no wait: on the CPU nothing runs ahead of it."""
    return device.type == "cpu"


def summarise(tensor: torch.Tensor, hashed: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """One float64 vector on ``tensor``'s device: the head, the histogram, the sketch (see above)."""
    x = tensor.detach().reshape(-1)
    if not x.is_floating_point():
        x = x.to(torch.float32)  # ids, masks and bools: their values still read as numbers
    n = x.numel()
    device = x.device
    if n == 0:
        return torch.zeros(_HEAD + BINS + SKETCH, dtype=torch.float64, device=device)
    finite = torch.isfinite(x)
    finite_count = finite.sum()
    # a tensor with no NaN or Inf (the usual case) skips the masks where asking is free; on an
    # accelerator the masked path runs, never waiting
    if host_reads_free(device) and int(finite_count) == n:
        kept = x
        nan = torch.zeros((), dtype=torch.int64)
        low, high = (t.to(torch.float64) for t in torch.aminmax(x))
    else:
        kept = torch.where(finite, x, 0)
        nan = torch.isnan(x).sum()
        low = torch.where(finite, x, math.inf).min().to(torch.float64)
        high = torch.where(finite, x, -math.inf).max().to(torch.float64)
    inf = n - finite_count - nan
    total = kept.sum(dtype=torch.float64)
    squares = torch.linalg.vector_norm(kept, dtype=torch.float64) ** 2
    top = torch.where(finite_count > 0, torch.maximum(low.abs(), high.abs()), 0.0)
    zeros = n - torch.count_nonzero(x)  # NaN is not zero
    histogram = _histogram(kept.to(torch.float32), top.to(torch.float32), n - finite_count)
    buckets, signs = hashed
    sketch = torch.zeros(SKETCH, dtype=torch.float64, device=device)
    sketch.index_add_(0, buckets, kept.to(torch.float64) * signs)
    head = torch.stack(
        [
            torch.tensor(float(n), dtype=torch.float64, device=device),
            finite_count.to(torch.float64),
            total,
            squares,
            low,
            high,
            zeros.to(torch.float64),
            nan.to(torch.float64),
            inf.to(torch.float64),
        ]
    )
    return torch.cat([head, histogram, sketch])


def _histogram(kept: torch.Tensor, top: torch.Tensor, nonfinite: torch.Tensor) -> torch.Tensor:
    """Count ``kept`` (non-finite elements set to 0) in the :data:`BINS` bins over ``[-top, top]``.

    The bins' edges are the symmetric-log mapping's inverse (so one pass of ``bucketize`` places
    every element); the ends are ``±top`` themselves, so the extremes always fall inside, the last
    bin holding its upper edge as ``histc`` does. The non-finite elements, counted at zero, are
    taken back out of the bin just above zero.
    """
    device = kept.device
    scale = torch.clamp_min(top * LINEAR, 1e-30)  # all zeros: edges still strictly increasing
    folded = torch.linspace(-1, 1, BINS + 1, device=device)
    edges = torch.sign(folded) * scale * torch.expm1(folded.abs() * math.log1p(1 / LINEAR))
    end = torch.clamp_min(top, 1e-27)  # ±top exactly, not its rounded image: the extremes fall inside
    edges[0], edges[-1] = -end, end
    slot = torch.bucketize(kept, edges, right=True)  # edges[i-1] <= x < edges[i] → i
    if host_reads_free(device):
        counts = torch.bincount(slot, minlength=BINS + 2).to(torch.float64)
    else:  # bincount sizes its result from the data (a wait for the host); histc does not
        counts = torch.histc(slot.to(torch.float32), BINS + 2, 0, BINS + 1).to(torch.float64)
    histogram = counts[1 : BINS + 1].clone()
    histogram[-1] += counts[BINS + 1]  # the upper edge itself
    histogram[BINS // 2] -= nonfinite.to(torch.float64)
    return histogram


def _summary(row: list[float]) -> ValueSummary:
    count, finite, total, squares, low, high, zeros, nan, inf = row[:_HEAD]
    has = finite > 0
    return ValueSummary(
        count=int(count),
        finite=int(finite),
        total=total,
        squares=squares,
        min=low if has else None,
        max=high if has else None,
        absmax=max(abs(low), abs(high)) if has else 0.0,
        zeros=int(zeros),
        nan=int(nan),
        inf=int(inf),
        histogram=tuple(int(c) for c in row[_HEAD : _HEAD + BINS]),
        sketch=tuple(row[_HEAD + BINS :]),
    )
