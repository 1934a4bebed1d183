"""The meta trace's own CPU time under two checkouts of torchscope, interleaved model by model.

    .venv/bin/python bench/trace_ab.py BEFORE_SRC AFTER_SRC [--repeats 3] [model ...]

For a machine too loaded for ``bench/trace.py``'s ratios to a (multi-threaded) forward: each
model is traced by a fresh process per checkout (``PYTHONPATH=<src>``), before then after, each
running one warm-up and ``--repeats`` timed ``torchscope.trace(model, shape).to_json()`` calls on
the default device and printing their median *process CPU time* (single-threaded Python work:
far less sensitive to other processes than wall time). The table gives both medians and
after / before, per model and as medians over the classification families and transformers of
``bench/trace.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER = """
import statistics, sys, time, warnings
sys.path.insert(0, {bench!r})
import trace as bench
import torch, torchscope
warnings.simplefilter("ignore")
name, repeats = sys.argv[1], int(sys.argv[2])
cases = bench.classification_cases([name]) if name in bench.FAMILIES else bench.transformer_cases()
case = next(c for c in cases if c.name == name)
torch.manual_seed(0)
model = case.build().eval()
run = lambda: torchscope.trace(model, case.shape, dtype=case.dtype).to_json()
run()
times = []
for _ in range(repeats):
    start = time.process_time()
    run()
    times.append(time.process_time() - start)
print(statistics.median(times))
"""


def cpu_seconds(src: str, name: str, repeats: int) -> float:
    """Median CPU seconds of one model's meta trace + stats, with torchscope imported from ``src``."""
    env = {**os.environ, "PYTHONPATH": src}
    code = WORKER.format(bench=str(HERE))
    done = subprocess.run(
        [sys.executable, "-c", code, name, str(repeats)], env=env, capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the src/ directory of the first checkout")
    parser.add_argument("after", help="the src/ directory of the second checkout")
    parser.add_argument("models", nargs="*", help="default: bench/trace.py's 22 families and 3 transformers")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import trace as bench  # noqa: PLC0415  # bench/trace.py, for its model set

    names = args.models or [*bench.FAMILIES, "gpt2", "bert_base", "llama_12x768"]
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print(f"{'model':22} {'before ms':>10} {'after ms':>10} {'after/before':>13}")
    ratios: dict[str, list[float]] = {"classification": [], "transformer": []}
    for name in names:
        before = cpu_seconds(args.before, name, args.repeats)
        after = cpu_seconds(args.after, name, args.repeats)
        kind = "classification" if name in bench.FAMILIES else "transformer"
        ratios[kind].append(after / before)
        print(f"{name:22} {before * 1000:10.0f} {after * 1000:10.0f} {after / before:13.2f}", flush=True)
    for kind, values in ratios.items():
        if values:
            print(f"median after/before, {len(values)} {kind} models: {statistics.median(values):.2f}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
