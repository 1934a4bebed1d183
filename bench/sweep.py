"""The sweep over transformers' auto mappings: every class, tiny, traced and checked.

    python bench/sweep.py                 # all of them (an hour or more on two cores)
    python bench/sweep.py --every 2       # every second class
    python bench/sweep.py --only MixtralForCausalLM FNetModel
    python bench/sweep.py --json sweep.json

For each class (see tests/hf_sweep.py for the rules): skip when the tiny model has no eager CPU
forward, pass when params are exact and MACs equal FlopCounterMode/2 of the eager reference with no
uncounted op, fail otherwise. Prints one line per class, every failure with its reason, and the
counts that README's "Frontier models" section quotes. tests/test_sweep.py runs a fixed sample.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import hf_sweep  # lives with the tests, which run a sample of it


class _TimedOut(Exception):  # noqa: N818  # a signal, not an error of the model's
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise _TimedOut


def main() -> None:
    """Run the sweep and print its counts."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--every", type=int, default=1, help="take every n-th class (default: all)")
    parser.add_argument("--start", type=int, default=0, help="skip the first n classes chosen")
    parser.add_argument("--shard", default="0/1", help="i/n: run every n-th of them from the i-th (0/1)")
    parser.add_argument("--only", nargs="*", default=None, help="class names to run")
    parser.add_argument("--timeout", type=int, default=120, help="seconds a class may take (default 120)")
    parser.add_argument("--json", type=Path, default=None, help="write every outcome here")
    args = parser.parse_args()
    shard, shards = (int(part) for part in args.shard.split("/"))
    chosen = hf_sweep.entries()[:: args.every][args.start :][shard::shards]
    if args.only:
        chosen = [e for e in chosen if e.class_name in set(args.only)]
    signal.signal(signal.SIGALRM, _alarm)
    outcomes: list[hf_sweep.Outcome] = []
    started = time.perf_counter()
    for i, entry in enumerate(chosen):
        signal.alarm(args.timeout)
        try:
            outcome = hf_sweep.check(entry)
        except _TimedOut:
            outcome = hf_sweep.Outcome(entry, "skip", f"took over {args.timeout} s")
        finally:
            signal.alarm(0)
        outcomes.append(outcome)
        line = f"[{i + 1}/{len(chosen)}] {outcome.status:4} {entry.class_name} ({entry.task})"
        print(f"{line} {outcome.reason[:160]}", flush=True)
    ran = [o for o in outcomes if o.status != "skip"]
    took = time.perf_counter() - started
    print(f"\n{len(chosen)} classes from {len(hf_sweep.TASKS)} auto mappings in {took:.0f} s")
    print(f"eager CPU forward runs: {len(ran)}; skipped: {len(outcomes) - len(ran)}")
    print(f"traced with params exact, MACs = FlopCounterMode/2, 0 uncounted: {hf_sweep.share(ran, 'pass')}")
    for outcome in ran:
        if outcome.status == "fail":
            print(f"  FAIL {outcome.entry.class_name}: {outcome.reason}")
    if args.json is not None:
        rows = [
            {"class": o.entry.class_name, "task": o.entry.task, "model_type": o.entry.model_type,
             "status": o.status, "reason": o.reason, "params": o.params, "macs": o.macs,
             "reference": o.reference}
            for o in outcomes
        ]  # fmt: skip
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
