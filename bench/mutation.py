"""Mutation scores: how many small breaks of a module its fast unit tests catch.

    .venv/bin/python bench/mutation.py [module ...]     # e.g. costs.py visible.ts; default: all
    .venv/bin/python bench/mutation.py --again costs.py  # re-check only what the last run left alive

Slow (minutes to an hour per module on two cores), so it is a script, not a CI step; run it under
``nice``. Python modules are mutated by mutmut, TypeScript ones by Stryker (its vitest runner),
one module at a time, each against the fast unit tests named in :data:`PYTHON` / :data:`TYPESCRIPT`.
Every mutant (an operator flipped, a constant changed, a call dropped...) runs against the tests
that cover it; it is *killed* when one fails or times out, and *survives* when all pass.

    score = killed / (killed + survived)       (a mutant no test runs counts as survived)

The table gives each module's counts and score, then the surviving mutants: each shows a missing
assertion to add, or is an *equivalent* mutant, one no test can kill because it changes nothing
observable. Those are listed with the reason in ``bench/mutation-equivalent.txt`` (one
``mutant: reason`` a line) and give the second score, with them left out:

    score w/o equivalent = killed / (killed + survived - equivalent)

mutmut works in ``bench/.mutation/python-<module>/`` (links to ``src`` and ``tests`` and a copy of
``pyproject.toml`` with its settings added); Stryker in ``bench/.stryker-tmp/``
(``bench/stryker.config.mjs``). Both are ignored by git.

``--again`` re-checks a module after tests were added, without the hours of a full run: mutmut
reruns the mutants that survived, had no test or timed out last time, keeping every other verdict, and
Stryker runs incrementally, rerunning the mutants whose code or covering tests changed. When the
module's test list in :data:`PYTHON` changed, mutmut starts over, as its verdicts no longer hold.
Stryker's incremental mode does not retest a static mutant (module-level code, run on import)
that survived: a full run settles those.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".mutation"
EQUIVALENT = ROOT / "bench" / "mutation-equivalent.txt"
VENV_BIN = Path(sys.executable).parent

# module → the fast unit tests that exercise it (mutmut runs, per mutant, those that cover it)
PYTHON = {
    # + the one test that reaches an op of another library's namespace (transformers') by name
    "costs.py": (
        "src/torchscope/costs.py",
        [
            "tests/test_costs.py",
            "tests/test_formulas.py::test_transformers_grouped_mm_fallback_counts_like_grouped_mm",
        ],
    ),
    # + the tests elsewhere that read the table's other views, a repeated call, a training step's
    "stats.py": (
        "src/torchscope/stats.py",
        [
            "tests/test_stats.py",
            "tests/test_stats_table.py",
            *(
                f"tests/test_exports.py::test_{name}"
                for name in (
                    "markdown_rows_are_the_hand_computed_numbers",
                    "markdown_humanises_large_numbers",
                    "markdown_escapes_user_strings",
                    "markdown_lists_uncounted_ops",
                    "tensorwatch_columns_of_a_linear_layer",
                    "tensorwatch_flops_of_a_convolution_match_torchstats_formula",
                    "sorted_by_orders_rows_largest_first",
                )
            ),
            "tests/test_costs.py::test_a_module_called_twice_owns_its_parameters_once",
            "tests/test_training.py::test_activation_checkpointing_recomputes_the_block_in_the_backward",
        ],
    ),
    "repeats.py": ("src/torchscope/trace/repeats.py", ["tests/test_trace.py", "tests/test_repeats.py"]),
}
# module → the vitest files that import it (Stryker's testFiles: a mutant runs only their tests that
# cover it; all of vitest, widget renders included, took ~15 s a mutant here)
_IMPORTERS = {
    "visible.ts": "diff drawing first-view layout rows-mutants rows search-mutants search visible",
    "rows.ts": "diff rows-mutants rows table-keys",
    "search.ts": "search-mutants search",
    "viewport.ts": "camera viewport viewport-mutants",
}
TYPESCRIPT = {
    name: (f"js/graph/{name}", [f"tests/js/{test}.test.ts" for test in tests.split()])
    for name, tests in _IMPORTERS.items()
}


@dataclass
class Score:
    module: str
    killed: int = 0
    survived: int = 0
    other: dict[str, int] = field(default_factory=dict)  # neither verdict: skipped, type errors...
    survivors: list[str] = field(default_factory=list)

    def score(self, equivalent: set[str] | None = None) -> float:
        left_out = len(equivalent & set(self.survivors)) if equivalent else 0
        judged = self.killed + self.survived - left_out
        return 100.0 * self.killed / judged if judged else 100.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("modules", nargs="*", help=f"of {', '.join([*PYTHON, *TYPESCRIPT])}")
    parser.add_argument("--again", action="store_true", help="re-check only what the last run left alive")
    arguments = parser.parse_args()
    modules = arguments.modules or [*PYTHON, *TYPESCRIPT]
    unknown = [m for m in modules if m not in PYTHON and m not in TYPESCRIPT]
    if unknown:
        parser.error(f"unknown modules {unknown}; choose from {[*PYTHON, *TYPESCRIPT]}")
    equivalent = _equivalent()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "src", "js"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    scores = [
        _mutmut(m, again=arguments.again) if m in PYTHON else _stryker(m, again=arguments.again)
        for m in modules
    ]
    print(f"\nmutation scores at {commit.stdout.strip()}{' (+ uncommitted changes)' if dirty.stdout else ''}")
    print(
        f"{'module':<12} {'mutants':>8} {'killed':>7} {'survived':>9} {'score':>7} {'w/o equiv.':>11}  other"
    )
    for s in scores:
        total = s.killed + s.survived + sum(s.other.values())
        other = ", ".join(f"{k} {v}" for k, v in s.other.items() if v)
        print(
            f"{s.module:<12} {total:>8} {s.killed:>7} {s.survived:>9} {s.score():>6.1f}% "
            f"{s.score(equivalent):>10.1f}%  {other}"
        )
    for s in scores:
        if s.survivors:
            print(f"\nsurvivors in {s.module} (equivalent ones marked =):")
            for mutant in s.survivors:
                print(f"  {'=' if mutant in equivalent else ' '} {mutant}")


def _equivalent() -> set[str]:
    if not EQUIVALENT.exists():
        return set()
    lines = EQUIVALENT.read_text().splitlines()
    return {line.split(": ", 1)[0].strip() for line in lines if line.strip() and not line.startswith("#")}


def _mutmut(module: str, *, again: bool) -> Score:
    source, tests = PYTHON[module]
    work = WORK / f"python-{module}"  # one per module, so that --again finds its last verdicts
    settings = {
        "source_paths": ["src/torchscope"],
        "only_mutate": [source],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-m", "not browser"],
    }
    table = "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items())
    config = (ROOT / "pyproject.toml").read_text() + f"\n[tool.mutmut]\n{table}\n"
    # one thread: a test process forked from one whose OpenMP pool is running hangs in its first
    # parallel op, and mutmut forks every mutant's run; those hangs were counted as kills (timeouts)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    # the last run's verdicts hold only for the same module against the same tests
    same = (work / "pyproject.toml").exists() and (work / "pyproject.toml").read_text() == config
    fresh = not (again and same)
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for name in ("src", "tests"):
            (work / name).symlink_to(ROOT / name)
        (work / "pyproject.toml").write_text(config)
    rerun = [] if fresh else _mutmut_unsettled(work, env)
    print(f"== mutmut on {source} against {' '.join(tests)}", flush=True)
    if not fresh:
        print(f"   again: only the {len(rerun)} mutants the last run left alive or timed out", flush=True)
    if fresh or rerun:
        subprocess.run([str(VENV_BIN / "mutmut"), "run", *rerun], cwd=work, env=env, check=False)
    subprocess.run([str(VENV_BIN / "mutmut"), "export-cicd-stats"], cwd=work, env=env, check=True)
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = _mutmut_survivors(work, env)
    killed = stats["killed"] + stats["timeout"]
    return Score(
        module,
        killed=killed,
        survived=stats["survived"] + stats["no_tests"],
        other={k: stats[k] for k in ("skipped", "suspicious", "segfault") if stats.get(k)},
        survivors=survivors,
    )


def _mutmut_survivors(work: Path, env: dict[str, str]) -> list[str]:
    if not (work / "mutants").exists():
        return []
    listed = subprocess.run(
        [str(VENV_BIN / "mutmut"), "results"], cwd=work, env=env, capture_output=True, text=True, check=True
    ).stdout
    return [m.group(1) for m in re.finditer(r"^\s*(\S+): (survived|no tests)", listed, re.MULTILINE)]


def _mutmut_unsettled(work: Path, env: dict[str, str]) -> list[str]:
    """The mutants to re-check: those left alive, and the timeouts (a hang is no proof of a kill)."""
    if not (work / "mutants").exists():
        return []
    listed = subprocess.run(
        [str(VENV_BIN / "mutmut"), "results", "--all", "true"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [m.group(1) for m in re.finditer(r"^\s*(\S+): (survived|no tests|timeout)", listed, re.MULTILINE)]


def _stryker(module: str, *, again: bool) -> Score:
    report = WORK / f"stryker-{module}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "STRYKER_MUTATE": TYPESCRIPT[module][0],
        "STRYKER_TEST_FILES": ",".join(TYPESCRIPT[module][1]),
        "STRYKER_JSON": str(report),
        "STRYKER_INCREMENTAL": str(WORK / f"stryker-incremental-{module}.json"),
    }
    print(f"== Stryker on {TYPESCRIPT[module][0]} against {' '.join(TYPESCRIPT[module][1])}", flush=True)
    # every run writes the incremental file; only --again reads it
    command = ["npx", "stryker", "run", "bench/stryker.config.mjs", *([] if again else ["--force"])]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    score = Score(module)
    for file in json.loads(report.read_text())["files"].values():
        for mutant in file["mutants"]:
            status = mutant["status"]
            if status in ("Killed", "Timeout"):
                score.killed += 1
            elif status in ("Survived", "NoCoverage"):
                score.survived += 1
                start = mutant["location"]["start"]
                replacement = " ".join(str(mutant.get("replacement", "")).split())[:70]
                score.survivors.append(
                    f"{module}:{start['line']}:{start['column']} {mutant['mutatorName']} -> {replacement}"
                )
            else:
                score.other[status] = score.other.get(status, 0) + 1
    return score


if __name__ == "__main__":
    main()
