"""A wheel built from a clean copy of the sources carries the bundle that the package build made."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SOURCES = [
    "pyproject.toml",
    "README.md",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "js",
    "src",
    "notebooks",
]


@pytest.mark.slow
def test_wheel_built_from_clean_sources_contains_the_bundle(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=shutil.ignore_patterns("static", "__pycache__"))
        else:
            shutil.copy2(source, tree / name)
    (tree / "node_modules").symlink_to(ROOT / "node_modules")
    assert not (tree / "src/torchscope/static").exists()
    # --no-isolation: the build tools are in this environment already
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path / "dist"),
            str(tree),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("torchscope-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        bundle = archive.read("torchscope/static/widget.js").decode()
    assert {"torchscope/static/widget.css", "torchscope/py.typed", "torchscope/schema.py"} <= names
    assert "torchscope/notebooks/quickstart.ipynb" in names  # for `torchscope gallery`
    assert "mountStandalone" in bundle
    assert not any(name.startswith(("js/", "tests/", "node_modules/")) for name in names)
