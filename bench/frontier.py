"""Published frontier shapes on meta: torchscope's trace against a bare FlopCounterMode pass.

    python bench/frontier.py                      # every shape, bf16 and float32
    python bench/frontier.py --only DeepSeek-V3   # one shape

Each measurement runs in a fresh process that builds the model under ``torch.device("meta")``
(tests/frontier_shapes.py) and then times one call: ``torchscope.trace(...).to_json()`` (trace,
costs, statistics, payload) or a bare forward under ``FlopCounterMode`` (PyTorch's own counter,
nothing recorded). Peak RSS is the process's high-water mark after the call minus the one after
building, so the two tools pay the same for Python, torch and the model's meta stand-ins. Also
printed: each tool's MACs against the by-hand count (FlopCounterMode has no formula for
``_grouped_mm``, and its meta kernel refuses float32). Times are ratios of one run; the absolute
seconds depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

TOKENS = 128
DTYPES = ("bfloat16", "float32")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(name: str, dtype_name: str, tool: str) -> dict[str, object]:
    """Build ``name`` on meta in ``dtype_name`` and run ``tool`` once; this process's numbers."""
    import torch  # noqa: PLC0415  # the child process imports what it measures
    from torch.utils.flop_counter import FlopCounterMode  # noqa: PLC0415

    import frontier_shapes  # noqa: PLC0415
    import torchscope  # noqa: PLC0415

    warnings.simplefilter("ignore")
    shape = frontier_shapes.SHAPES[name]
    dtype = getattr(torch, dtype_name)
    with torch.device("meta"):
        model = shape.build().to(dtype).eval()
    ids = torch.zeros(1, TOKENS, dtype=torch.long, device="meta")
    built = _peak_mib()
    started = time.perf_counter()
    macs: int | None = None
    error = ""
    try:
        if tool == "torchscope":
            macs = int(torchscope.trace(model, inputs=ids).to_json()["totals"]["macs"])  # type: ignore[call-overload]
        else:
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                model(input_ids=ids)
            macs = int(counter.get_total_flops()) // 2
    except Exception as failure:  # noqa: BLE001  # a tool that cannot run this shape: reported as such
        error = f"{type(failure).__name__}: {str(failure)[:120]}"
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds, "peak_mib": _peak_mib() - built, "macs": macs, "error": error,
        "expected": frontier_shapes.macs(shape, TOKENS), "params": shape.params,
    }  # fmt: skip


def _child(name: str, dtype_name: str, tool: str) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", name, dtype_name, tool]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # our own script
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _tera(value: object) -> str:
    return f"{value / 1e12:.3f} T" if isinstance(value, int) else "-"


def main() -> None:
    """Measure every shape (or those asked for) with both tools, and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(*args.child)))
        return
    import frontier_shapes  # noqa: PLC0415

    names = args.only or list(frontier_shapes.SHAPES)
    print(f"meta, {TOKENS} tokens; peak RSS above the built model; MACs against the count by hand\n")
    header = f"{'shape':15} {'dtype':9} {'params':>9} {'by hand':>10} {'torchscope':>11} {'FlopCounter':>12}"
    print(f"{header} {'time ratio':>10} {'RSS ts / FC':>16}")
    for name in names:
        for dtype_name in DTYPES:
            ours = _child(name, dtype_name, "torchscope")
            bare = _child(name, dtype_name, "flopcounter")
            ratio = "-"
            rss = f"{ours.get('peak_mib', 0):.0f} MiB / -"
            if not bare.get("error") and not ours.get("error"):
                ratio = f"{ours['seconds'] / bare['seconds']:.2f}×"  # type: ignore[operator]
                rss = f"{ours['peak_mib']:.0f} / {bare['peak_mib']:.0f} MiB"
            counted = _tera(bare.get("macs")) if not bare.get("error") else "fails"
            params = f"{int(ours.get('params', 0)) / 1e9:>8.2f}B"  # type: ignore[call-overload]
            print(
                f"{name:15} {dtype_name:9} {params} {_tera(ours.get('expected')):>10} "
                f"{_tera(ours.get('macs')):>11} {counted:>12} {ratio:>10} {rss:>16}"
            )
            for tool, result in (("torchscope", ours), ("FlopCounterMode", bare)):
                if result.get("error"):
                    print(f"    {tool}: {result['error']}")


if __name__ == "__main__":
    main()
