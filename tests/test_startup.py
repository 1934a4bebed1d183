"""A clean start: JupyterLab's own Node tool runs from the project's venv, and one version number.

JupyterLab 4.6 runs ``jupyter_builder/yarn.js`` (CommonJS) with Node when it starts and whenever a
kernel starts. The venv sits inside the project, so Node reads the project's ``package.json`` to
decide how to load that file: with ``"type": "module"`` there it was loaded as an ES module and
printed a screenful of minified code ("Dynamic require of util"). The build scripts are ``.mjs``
instead, so nothing in the tree needs the package-wide module type.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import torchscope

ROOT = Path(__file__).parents[1]


def _installed_yarn() -> Path:
    """``yarn.js`` of the jupyter_builder installed in the Python running the tests (the venv)."""
    import jupyter_builder

    return Path(jupyter_builder.__file__).parent / "yarn.js"


def test_jupyterlab_yarn_runs_from_the_venv_inside_the_project() -> None:
    yarn = _installed_yarn()
    assert yarn.is_file(), f"jupyter_builder ships no yarn.js at {yarn}"
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (scripts/setup.sh checks for it)"
    # the venv under test must be inside the tree, or the test proves nothing about the tree
    assert ROOT in yarn.resolve().parents or not (ROOT / ".venv").exists()
    ran = subprocess.run([node, yarn, "--version"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[:500]
    assert re.fullmatch(r"\d+\.\d+\.\d+\s*", ran.stdout), ran.stdout[:500]
    assert ran.stderr == ""


def test_nothing_in_the_tree_needs_the_package_wide_module_type() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    # "type": "module" makes every .js file below the project root an ES module, the venv's too
    assert package.get("type", "commonjs") == "commonjs"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    files = [p for p in listed.stdout.split() if (ROOT / p).exists()]
    # ESM that Node itself loads (build and bench scripts, the vitest config) says so by its suffix
    assert [p for p in files if p.endswith(".js")] == []
    assert [p for p in files if Path(p).name.startswith("vitest.config")] == ["vitest.config.mts"]


def test_one_version_number() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    version = pyproject["project"]["version"]
    assert importlib.metadata.version("torchscope") == version
    assert torchscope.__version__ == version
    assert package["version"] == version
    assert lock["version"] == lock["packages"][""]["version"] == version


def test_the_python_side_reads_the_version_from_package_metadata() -> None:
    text = (ROOT / "src/torchscope/__init__.py").read_text(encoding="utf-8")
    assert 'metadata.version("torchscope")' in text
    assert not re.search(r"__version__\s*=\s*[\"']\d+\.\d+", text), "a second, hand-written version number"
