"""Trace + stats time and MAC totals against the tools people use today, in one process, interleaved.

    .venv/bin/python bench/trace.py [--repeats 3] [--set all|classification|transformers] [model ...]
                                    [--tools "forward,ts meta,torchinfo"]  (a subset, for a loaded machine)

Peers (the `bench` extra: ``pip install -e .[bench]``): torchinfo, torchview, fvcore; a missing one
is reported and its columns left empty. For every model, each tool runs once as a warm-up and then
``--repeats`` times, round-robin (forward, torchscope, torchinfo, ... then again), after a
``gc.collect()`` outside the timed region; the table shows each tool's median as a ratio to the
median plain forward of the same model in the same run:

  forward      ``model(x)`` under ``torch.no_grad()`` on real CPU tensors (the reference, in ms)
  ts meta      ``torchscope.trace(model, shape).to_json()``: the default device (meta), every statistic
  ts cpu       the same with ``device="cpu"`` (real tensors)
  torchinfo    ``torchinfo.summary(model, input_data=x, verbose=0)``
  torchview    ``torchview.draw_graph(model, input_data=x)`` (graph only, nothing rendered)
  FCM          ``FlopCounterMode`` around a real ``no_grad`` forward
  FCM meta     ``FlopCounterMode`` around a meta forward (``functional_call`` with meta stand-ins):
               a bare dispatch pass, the floor for any meta tracer
  fvcore       ``FlopCountAnalysis(model, x).total()`` (a TorchScript trace)

The model set is fixed: one torchvision classification model per family (:data:`FAMILIES`, the
base size of each; ``--set every-classification`` takes all 80, well over ten minutes here),
``weights=None``, one 224×224 image; GPT-2 (``GPT2LMHeadModel``, default 124M config), BERT-base
(``BertModel``, default config) and a Llama-style model (``LlamaForCausalLM``, 12 layers, hidden 768,
12 heads, 4 KV heads, MLP 2048), each on 128 token ids. The second table gives each tool's MAC total
as a ratio to torchvision's published ``_ops`` (GMACs), for the models whose DEFAULT weights are
evaluated at 224 px and whose weight-free build has the published parameter count (the same
architecture); torchview counts no MACs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import torchscope

# one model per torchvision classification family, the base size of each
FAMILIES = [
    "alexnet", "convnext_tiny", "densenet121", "efficientnet_b0", "efficientnet_v2_s", "googlenet",
    "inception_v3", "maxvit_t", "mnasnet1_0", "mobilenet_v2", "mobilenet_v3_large", "regnet_y_1_6gf",
    "resnet18", "resnet50", "resnext50_32x4d", "shufflenet_v2_x1_0", "squeezenet1_1", "swin_t",
    "swin_v2_t", "vgg16", "vit_b_16", "wide_resnet50_2",
]  # fmt: skip
TOOLS = ["forward", "ts meta", "ts cpu", "torchinfo", "torchview", "FCM", "FCM meta", "fvcore"]
PEERS = {"torchinfo": "torchinfo", "torchview": "torchview", "fvcore": "fvcore.nn"}
TOKENS = 128


@dataclass
class Case:
    """One model and its input, made on demand (a model is built when its turn comes)."""

    name: str
    build: Callable[[], nn.Module]
    shape: list[int]
    dtype: torch.dtype = torch.float32
    published: tuple[float, int] | None = None  # (_ops GMACs, num_params) where comparable
    kind: str = "classification"


@dataclass
class Result:
    """Median seconds per tool, MAC totals per tool, and what failed."""

    times: dict[str, float] = field(default_factory=dict)
    macs: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def classification_cases(names: list[str]) -> list[Case]:
    """These torchvision classification models at 224 px."""
    cases = []
    for name in names:
        weights = torchvision.models.get_model_weights(name).DEFAULT
        crop = weights.transforms().crop_size[0]
        published = (weights.meta["_ops"], weights.meta["num_params"]) if crop == 224 else None
        cases.append(
            Case(
                name,
                lambda name=name: torchvision.models.get_model(name),
                [1, 3, 224, 224],
                published=published,
            )
        )
    return cases


def transformer_cases() -> list[Case]:
    """GPT-2, BERT-base and a Llama-style model, random weights, 128 token ids."""
    try:
        import transformers  # noqa: PLC0415  # a dev dependency, only for this set
    except ImportError:
        print("transformers is not installed (pip install -e .[dev]): skipping GPT-2, BERT and Llama")
        return []
    logging.getLogger("transformers").setLevel(logging.ERROR)
    llama = transformers.LlamaConfig(
        num_hidden_layers=12, hidden_size=768, num_attention_heads=12, num_key_value_heads=4,
        intermediate_size=2048, vocab_size=32000,
    )  # fmt: skip
    builds: dict[str, Callable[[], nn.Module]] = {
        "gpt2": lambda: transformers.GPT2LMHeadModel(transformers.GPT2Config()),
        "bert_base": lambda: transformers.BertModel(transformers.BertConfig()),
        "llama_12x768": lambda: transformers.LlamaForCausalLM(llama),
    }
    return [Case(n, b, [1, TOKENS], torch.long, kind="transformer") for n, b in builds.items()]


def peers() -> dict[str, Any]:
    """The peer modules that import, by tool name; a missing one is named once."""
    found = {}
    for tool, module in PEERS.items():
        try:
            found[tool] = importlib.import_module(module)
        except ImportError:
            print(f"{tool} is not installed: its columns stay empty (pip install -e .[bench])")
    return found


def runners(case: Case, model: nn.Module, have: dict[str, Any]) -> dict[str, Callable[[], float | None]]:
    """One callable per tool; each returns its MAC total (None where the tool counts none)."""
    x = torch.zeros(case.shape, dtype=case.dtype) if case.dtype == torch.long else torch.randn(case.shape)
    named = [*model.named_parameters(), *model.named_buffers()]
    stand_ins = {k: torch.empty_like(v, device="meta") for k, v in named}
    meta_x = torch.empty_like(x, device="meta")

    def forward() -> None:
        with torch.no_grad():
            model(x)

    def ts(device: str) -> Callable[[], float]:
        def run() -> float:
            payload = torchscope.trace(model, case.shape, dtype=case.dtype, device=device).to_json()
            return float(payload["totals"]["macs"] or 0)

        return run

    def fcm() -> float:
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(x)
        return counter.get_total_flops() / 2

    def fcm_meta() -> float:
        with FlopCounterMode(display=False) as counter:
            torch.func.functional_call(model, stand_ins, (meta_x,), tie_weights=True, strict=False)
        return counter.get_total_flops() / 2

    tools: dict[str, Callable[[], float | None]] = {
        "forward": forward, "ts meta": ts("auto"), "ts cpu": ts("cpu"), "FCM": fcm, "FCM meta": fcm_meta,
    }  # fmt: skip
    tools.update(peer_runners(model, x, have))
    return {t: tools[t] for t in TOOLS if t in tools}


def peer_runners(
    model: nn.Module, x: torch.Tensor, have: dict[str, Any]
) -> dict[str, Callable[[], float | None]]:
    """torchinfo, torchview and fvcore, those that are installed, as their documentation calls them."""
    tools: dict[str, Callable[[], float | None]] = {}
    if "torchinfo" in have:
        summary = have["torchinfo"].summary
        tools["torchinfo"] = lambda: float(summary(model, input_data=[x], verbose=0).total_mult_adds)
    if "torchview" in have:
        draw_graph = have["torchview"].draw_graph

        def torchview() -> None:
            draw_graph(model, input_data=[x], device="cpu", save_graph=False)

        tools["torchview"] = torchview
    if "fvcore" in have:
        analysis = have["fvcore"].FlopCountAnalysis

        def fvcore() -> float:
            with torch.no_grad():
                counter = analysis(model, (x,))
                counter.unsupported_ops_warnings(enabled=False).uncalled_modules_warnings(enabled=False)
                return float(counter.total())  # fvcore's "flops" are multiply-accumulates

        tools["fvcore"] = fvcore
    return tools


def measure(case: Case, have: dict[str, Any], repeats: int) -> Result:
    """Warm up every tool once, then time them round-robin ``repeats`` times."""
    result = Result()
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = case.build().eval()
        # the published figures describe the weights' architecture: compare only where it is this one
        if case.published is not None and sum(p.numel() for p in model.parameters()) != case.published[1]:
            case.published = None
        tools = runners(case, model, have)
        for tool, run in list(tools.items()):
            try:
                macs = run()
            except Exception as error:  # noqa: BLE001  # a peer failing on a model is a result
                result.failed[tool] = (
                    f"{type(error).__name__}: {str(error).splitlines()[0][:80] if str(error) else ''}"
                )
                del tools[tool]
                continue
            if macs is not None:
                result.macs[tool] = macs
        samples: dict[str, list[float]] = {t: [] for t in tools}
        for _ in range(repeats):
            for tool, run in tools.items():
                gc.collect()
                start = time.perf_counter()
                run()
                samples[tool].append(time.perf_counter() - start)
    result.times = {t: statistics.median(s) for t, s in samples.items()}
    return result


def machine() -> str:
    """CPU model, cores, threads torch uses, torch and Python versions."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"torchvision {torchvision.__version__}, Python {platform.python_version()}"
    )


def versions(have: dict[str, Any]) -> str:
    """Peer versions, as installed."""
    from importlib.metadata import version  # noqa: PLC0415

    return ", ".join(
        f"{p} {version(p)}" for p in ("torchinfo", "torchview", "fvcore") if p in have or p in PEERS
    )


def print_times(results: dict[str, tuple[Case, Result]]) -> None:
    """Each tool's median time as a ratio to the model's forward, and the medians of those ratios."""
    shown = [t for t in TOOLS[1:] if any(t in r.times or t in r.failed for _, r in results.values())]
    print(f"\n{'model':22} {'forward':>9}" + "".join(f" {t:>10}" for t in shown) + "   (× forward)")
    for name, (_, result) in results.items():
        base = result.times.get("forward")
        cells = [_ratio_cell(result, tool, base) for tool in shown]
        forward = f"{base * 1000:.0f} ms" if base else "fail"
        print(f"{name:22} {forward:>9}" + "".join(f" {c:>10}" for c in cells))
    for kind in ("classification", "transformer"):
        rows = [r for c, r in results.values() if c.kind == kind and "forward" in r.times]
        if rows:
            medians = [_median_ratio(rows, tool) for tool in shown]
            label = f"median ({len(rows)} {kind}s)" if len(rows) > 1 else f"({kind})"
            print(f"{label:32}" + "".join(f" {m:>10}" for m in medians))
    peers_only = ("forward", "ts meta", "ts cpu", "FCM meta")
    faster = [
        name
        for name, (_, r) in results.items()
        if "ts meta" in r.times
        and all(r.times["ts meta"] < r.times[t] for t in r.times if t not in peers_only)
    ]
    print(
        f"ts meta below every peer's pass (torchinfo, torchview, FCM, fvcore) on {len(faster)}/{len(results)}"
    )
    for name, (_, result) in results.items():
        for tool, why in result.failed.items():
            print(f"  {name}: {tool} failed: {why}")


def _ratio_cell(result: Result, tool: str, base: float | None) -> str:
    if tool in result.failed:
        return "fail"
    if tool in result.times and base:
        return f"{result.times[tool] / base:.2f}"
    return "-"


def _median_ratio(rows: list[Result], tool: str) -> str:
    ratios = [r.times[tool] / r.times["forward"] for r in rows if tool in r.times]
    return f"{statistics.median(ratios):.2f}" if ratios else "-"


def print_macs(results: dict[str, tuple[Case, Result]]) -> None:
    """Each tool's MAC total as a ratio to torchvision's ``_ops``, where comparable."""
    counted = [t for t in TOOLS if t not in ("forward", "torchview")]
    print(f"\n{'model':22} {'_ops GMACs':>10}" + "".join(f" {t:>10}" for t in counted) + "   (MACs / _ops)")
    exact: dict[str, list[bool]] = {t: [] for t in counted}
    for name, (case, result) in results.items():
        if case.published is None:
            continue
        ops = case.published[0]
        cells = []
        for tool in counted:
            ratio = result.macs[tool] / 1e9 / ops if tool in result.macs else None
            if ratio is not None:
                exact[tool].append(round(result.macs[tool] / 1e9, 3) == ops)
            cells.append("-" if ratio is None else f"{ratio:.3f}")
        print(f"{name:22} {ops:>10.3f}" + "".join(f" {c:>10}" for c in cells))
    tally = "".join(f" {f'{sum(e)}/{len(e)}':>10}" for e in exact.values())
    print(f"{'= _ops to 3 decimals':22} {'':>10}" + tally)
    for name, (case, result) in results.items():
        if case.kind == "transformer" and result.macs:
            print(f"{name}: GMACs " + ", ".join(f"{t} {m / 1e9:.2f}" for t, m in result.macs.items()))


# where a trace spends its time: (label, file suffix, function name), read from a cProfile run
PHASES = [
    ("whole trace + stats", "bench/trace.py", "profiled"),
    ("  forward under the recorder", "functorch/functional_call.py", "functional_call"),
    ("    module hooks (ours)", "trace/recorder.py", "pre_hook"),
    ("    module hooks (ours)", "trace/recorder.py", "post_hook"),
    ("    torch-function handler", "trace/recorder.py", "__torch_function__"),
    ("    dispatch handler", "trace/costing.py", "__torch_dispatch__"),
    ("      kernels run (memo misses)", "trace/costing.py", "_kernel"),
    ("      cost formulas", "torchscope/costs.py", "cost_of"),
    ("  leave-no-trace snapshot", "trace/preserve.py", "preserved"),
    ("  stand-ins", "trace/run.py", "_stand_ins"),
    ("  repeat signatures", "trace/repeats.py", "mark_repeats"),
    ("  ownership (params per module)", "trace/ownership.py", "module_infos"),
    ("  payload + statistics", "torchscope/graph.py", "to_json"),
]


def profile(case: Case) -> None:
    """Print where one meta trace + stats of ``case`` spends its time (cumulative, cProfile)."""
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = case.build().eval()

    def profiled() -> None:
        torchscope.trace(model, case.shape, dtype=case.dtype).to_json()

    profiled()
    profiler = cProfile.Profile()
    profiler.runcall(profiled)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]  # the raw table
    spent: dict[str, float] = {}
    for label, suffix, function in PHASES:
        for (path, _, name), (_, _, _, cumulative, _) in stats.items():
            if name == function and path.endswith(suffix):
                spent[label] = spent.get(label, 0.0) + cumulative
    total = spent.get(PHASES[0][0], 0.0)
    print(
        f"\nprofile of ts meta on {case.name} (cProfile, cumulative: nested rows are part of the row above)"
    )
    for label, _, _ in dict.fromkeys((p[0], "", "") for p in PHASES):
        if label in spent:
            print(f"  {label:34} {spent[label] * 1000:7.1f} ms  {spent[label] / total:5.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="only these (names from the sets)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per tool after the warm-up")
    sets = ["all", "classification", "transformers", "every-classification"]
    parser.add_argument("--set", choices=sets, default="all", help="all: families and transformers")
    parser.add_argument("--profile", action="store_true", help="where ts meta spends its time, instead")
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help=f"a comma-separated subset of {', '.join(TOOLS)}"
    )
    args = parser.parse_args()
    cases = []
    if args.set in ("classification", "all"):
        cases += classification_cases(FAMILIES)
    if args.set == "every-classification" or args.models:
        cases += classification_cases(torchvision.models.list_models(torchvision.models))
    if args.set in ("transformers", "all") or args.models:
        cases += transformer_cases()
    if args.models:
        cases = list({c.name: c for c in cases if c.name in args.models}.values())
    if args.profile:
        for case in cases:
            profile(case)
        return
    chosen = {"forward", *(t.strip() for t in args.tools.split(","))}
    if unknown := chosen - set(TOOLS):
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    TOOLS[:] = [t for t in TOOLS if t in chosen]
    have = {k: v for k, v in peers().items() if k in TOOLS}
    print(machine())
    print(f"peers: {versions(have)}; load average at start: {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    results: dict[str, tuple[Case, Result]] = {}
    for case in cases:
        result = measure(case, have, args.repeats)
        results[case.name] = (case, result)
        base = result.times.get("forward", 0.0)
        ours = result.times.get("ts meta", 0.0)
        print(f"  {case.name}: forward {base * 1000:.0f} ms, ts meta {ours * 1000:.0f} ms", flush=True)
    print_times(results)
    print_macs(results)
    minutes = (time.perf_counter() - started) / 60
    print(f"\n{len(cases)} models in {minutes:.1f} min; load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
