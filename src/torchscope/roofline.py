"""A roofline estimate: how long each node takes at best on a given accelerator.

``trace(..., hardware="h100-sxm")`` gives every node the larger of two times: its FLOPs at the
accelerator's peak rate and the bytes it moves at its memory bandwidth. This is a **lower bound**:
real kernels reach neither peak, launch overheads, communication and the host are left out.
Bytes moved are a perfectly fused kernel's (``read_bytes + write_bytes``: inputs, owned
parameters and buffers read once, outputs written once); matmul work (``2 × MACs``) runs at the
tensor-core rate of the node's dtype, the rest of its FLOPs at the vector (CUDA-core) rate.

With a training step, a node's backward is bounded the same way: its ``backward_flops``, and the
bytes the gradients move at least (the gradient of every output read, of every input written, the
parameters read and their gradients written: ``read_bytes + write_bytes + grad_bytes``). The
optimizer step reads parameters, gradients and state and writes parameters and state. The step
time is forward + backward + optimizer.

The table holds dense (no sparsity) figures from the vendors' data sheets, cited per entry; a
:class:`Hardware` of your own works the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from torchscope import schema

if TYPE_CHECKING:
    from torchscope.trace.records import Trace

TERA = 1e12


@dataclass(frozen=True)
class Hardware:
    """An accelerator: dense peak FLOP/s by dtype (matmul units), vector FLOP/s, memory bandwidth.

    Parameters
    ----------
    name
        what the table and the totals call it.
    matmul_flops
        peak FLOP/s of matrix math by dtype name (``"bfloat16"``, ``"float32"``...); a dtype not
        listed uses ``"float32"``'s.
    vector_flops
        peak FLOP/s of element-wise math (CUDA cores or the vector unit).
    bandwidth
        memory bandwidth in bytes per second.
    memory
        memory capacity in bytes (0: unknown).
    source
        where the figures come from.
    """

    name: str
    matmul_flops: Mapping[str, float]
    vector_flops: float
    bandwidth: float
    memory: int = 0
    source: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "float32" not in self.matmul_flops:
            raise ValueError(f"Hardware {self.name!r}: matmul_flops needs a 'float32' entry (the fallback)")
        for what, value in (("vector_flops", self.vector_flops), ("bandwidth", self.bandwidth)):
            if not value > 0:
                raise ValueError(f"Hardware {self.name!r}: {what} must be positive, got {value!r}")

    def matmul_rate(self, dtype: str) -> float:
        """Return the peak matmul FLOP/s for ``dtype`` (float32's when it is not listed)."""
        return self.matmul_flops.get(dtype, self.matmul_flops["float32"])


def _gpu(name: str, tflops: tuple[float, float, float], tb_s: float, gb: int, source: str) -> Hardware:
    """One row: (BF16/FP16, TF32, FP32) dense TFLOP/s, bandwidth in TB/s, memory in GB."""
    half, tf32, fp32 = (t * TERA for t in tflops)
    rates = {"bfloat16": half, "float16": half, "float32": tf32, "float64": fp32}
    return Hardware(name, rates, fp32, tb_s * TERA, gb * 10**9, source)


# Dense figures (the data sheets' "with sparsity" numbers are twice these). float32 matmuls are
# taken at the TF32 tensor-core rate, PyTorch's default for convolutions and what
# `torch.backends.cuda.matmul.allow_tf32` allows for matmuls.
HARDWARE: dict[str, Hardware] = {
    h.name: h
    for h in (
        # NVIDIA H100 Tensor Core GPU data sheet (nvidia.com/en-us/data-center/h100): SXM5 —
        # BF16/FP16 989 TFLOPS, TF32 495, FP32 67, FP64 34 (67 on tensor cores); HBM3 3.35 TB/s, 80 GB
        _gpu("h100-sxm", (989.4, 494.7, 67.0), 3.35, 80, "NVIDIA H100 data sheet (SXM5)"),
        # same data sheet, PCIe: BF16 756 TFLOPS, TF32 378, FP32 51; HBM2e 2.0 TB/s, 80 GB
        _gpu("h100-pcie", (756.5, 378.0, 51.2), 2.0, 80, "NVIDIA H100 data sheet (PCIe)"),
        # NVIDIA H200 data sheet (nvidia.com/en-us/data-center/h200): H100 SXM compute, HBM3e
        # 4.8 TB/s, 141 GB
        _gpu("h200", (989.4, 494.7, 67.0), 4.8, 141, "NVIDIA H200 data sheet"),
        # NVIDIA A100 data sheet (nvidia.com/en-us/data-center/a100): BF16 312 TFLOPS, TF32 156,
        # FP32 19.5; 80 GB SXM HBM2e 2.039 TB/s
        _gpu("a100-sxm", (312.0, 156.0, 19.5), 2.039, 80, "NVIDIA A100 data sheet (80 GB SXM)"),
        # NVIDIA L4 data sheet: BF16 121 TFLOPS (242 sparse), TF32 60, FP32 30.3; GDDR6 300 GB/s, 24 GB
        _gpu("l4", (121.0, 60.0, 30.3), 0.3, 24, "NVIDIA L4 data sheet"),
        # AMD Instinct MI300X data sheet (amd.com): BF16 1307 TFLOPS dense, TF32 653.7, FP32 163.4
        # (matrix and vector); HBM3 5.3 TB/s, 192 GB
        _gpu("mi300x", (1307.4, 653.7, 163.4), 5.3, 192, "AMD Instinct MI300X data sheet"),
    )
}

COLUMNS: list[schema.Column] = [
    schema.Column(key="time_ms", label="Time (roofline, lower bound)", unit="ms", kind="count"),
    schema.Column(key="intensity", label="FLOPs per byte", unit="", kind="count"),
    schema.Column(key="bound", label="Bound by", unit="", kind="text"),
]
TRAINING_COLUMNS: list[schema.Column] = [
    schema.Column(key="backward_time_ms", label="Backward time (lower bound)", unit="ms", kind="count"),
]
TOTALS_ONLY: list[schema.Column] = [
    schema.Column(key="step_time_ms", label="Step time (lower bound)", unit="ms", kind="count"),
    schema.Column(key="hardware", label="Hardware", unit="", kind="text"),
]


def resolve(hardware: object) -> Hardware | None:
    """Read the ``hardware=`` keyword: None, a name from :data:`HARDWARE`, or a :class:`Hardware`."""
    if hardware is None or isinstance(hardware, Hardware):
        return hardware
    if isinstance(hardware, str) and hardware in HARDWARE:
        return HARDWARE[hardware]
    raise ValueError(
        f"hardware={hardware!r}: choose one of {', '.join(HARDWARE)}, or pass a torchscope.Hardware(...)"
    )


@dataclass(frozen=True)
class Estimate:
    """A node's two bounds, in seconds."""

    compute_s: float
    memory_s: float

    @property
    def seconds(self) -> float:
        """Return the roofline time: the larger bound."""
        return max(self.compute_s, self.memory_s)


def estimate(hw: Hardware, *, macs: int, flops: int, moved: int, dtype: str) -> Estimate:
    """Return the compute and memory bounds of ``flops`` (``macs`` of them matmul) moving ``moved`` bytes."""
    matmul = 2 * macs
    compute = matmul / hw.matmul_rate(dtype) + max(flops - matmul, 0) / hw.vector_flops
    return Estimate(compute_s=compute, memory_s=moved / hw.bandwidth)


# -- statistics -------------------------------------------------------------------------------------

Stats = dict[str, schema.StatValue]
Bounds = dict[str, tuple[Estimate, Estimate | None]]  # node id → (forward, backward) estimates


def node_bounds(hw: Hardware, nodes: Mapping[str, tuple[str, Stats]], *, training: bool) -> Bounds:
    """Return each node's forward (and, in a training step, backward) estimate from its statistics.

    ``nodes`` maps a node id to its dtype and its statistics (``macs``, ``flops``, ``read_bytes``,
    ``write_bytes``; with a step also ``backward_macs``, ``backward_flops``, ``grad_bytes``).
    """
    found: Bounds = {}
    for node_id, (dtype, stats) in nodes.items():
        if "macs" not in stats:
            continue
        moved = _int(stats, "read_bytes") + _int(stats, "write_bytes")
        forward = estimate(hw, macs=_int(stats, "macs"), flops=_int(stats, "flops"), moved=moved, dtype=dtype)
        backward = None
        if training:
            backward = estimate(
                hw,
                macs=_int(stats, "backward_macs"),
                flops=_int(stats, "backward_flops"),
                moved=moved + _int(stats, "grad_bytes"),
                dtype=dtype,
            )
        found[node_id] = (forward, backward)
    return found


def stats_of(bounds: list[tuple[Estimate, Estimate | None]], stats: Stats) -> Stats:
    """Return the roofline statistics of one node, or of a group (or the model) from its nodes' bounds."""
    flops, moved = _int(stats, "flops"), _int(stats, "read_bytes") + _int(stats, "write_bytes")
    compute = sum(f.compute_s for f, _ in bounds)
    memory = sum(f.memory_s for f, _ in bounds)
    result: Stats = {
        "time_ms": sum(f.seconds for f, _ in bounds) * 1e3,
        "intensity": flops / moved if moved else None,
        "bound": "compute" if compute > memory else "memory",
    }
    backward = [b for _, b in bounds if b is not None]
    if backward:
        result["backward_time_ms"] = sum(b.seconds for b in backward) * 1e3
    return result


def annotate_nodes(trace: Trace, per_node: dict[str, Stats]) -> Bounds:
    """Add each node's roofline statistics to ``per_node`` and return the bounds (none without hardware)."""
    if trace.hardware is None:
        return {}
    nodes = {
        n.id: ((n.outputs or n.inputs)[0].dtype if (n.outputs or n.inputs) else trace.dtype, per_node[n.id])
        for n in trace.nodes
    }
    bounds = node_bounds(trace.hardware, nodes, training=trace.step is not None)
    for node_id, pair in bounds.items():
        per_node[node_id].update(stats_of([pair], per_node[node_id]))
    return bounds


def totals(trace: Trace, bounds: Bounds, model: Stats) -> Stats:
    """Return the model's roofline totals: forward, backward and step times (none without hardware)."""
    hw = trace.hardware
    if hw is None:
        return {}
    found = stats_of(list(bounds.values()), model)
    seconds = _float(found, "time_ms") / 1e3
    if trace.step is not None:
        seconds += _float(found, "backward_time_ms") / 1e3
        seconds += optimizer_seconds(
            hw,
            param_bytes=_int(model, "grad_bytes"),  # the master parameters: the gradients' dtype
            grad_bytes=_int(model, "grad_bytes"),
            optimizer_bytes=_int(model, "optimizer_bytes"),
        )
    return {**found, "step_time_ms": seconds * 1e3, "hardware": hw.name}


def optimizer_seconds(hw: Hardware, *, param_bytes: int, grad_bytes: int, optimizer_bytes: int) -> float:
    """Return the optimizer step's memory bound: parameters, gradients, state read; params, state written."""
    return (2 * param_bytes + grad_bytes + 2 * optimizer_bytes) / hw.bandwidth


def columns(hw: Hardware | None, *, training: bool) -> list[schema.Column]:
    """Return the columns a payload declares for a roofline estimate (none without hardware)."""
    if hw is None:
        return []
    return [*COLUMNS, *(TRAINING_COLUMNS if training else []), *TOTALS_ONLY]


def _float(stats: Stats, key: str) -> float:
    value = stats.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def _int(stats: Stats, key: str) -> int:
    value = stats.get(key)
    return value if isinstance(value, int) else 0
