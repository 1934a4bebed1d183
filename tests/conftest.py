"""Shared test helpers: the golden payload, and how pytest-xdist shares the tests out."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from xdist.remote import Producer
    from xdist.scheduler import LoadScopeScheduling

GOLDEN = Path(__file__).parent / "golden" / "payload_v1.json"


@pytest.fixture
def golden() -> dict[str, Any]:
    return copy.deepcopy(json.loads(GOLDEN.read_text()))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadScopeScheduling | None:
    """With ``--dist loadgroup``: every test under tests/browser/ in one worker, the rest one by one.

    The browser tests then share one JupyterLab server and one Chromium, and never compete with
    each other for the CPU, while the other workers take the unit tests as each one frees up.
    (xdist's own loadgroup reads ``xdist_group`` marks by renaming ``item._nodeid``, which
    pytest 9 no longer reads: its groups come apart, so the rule is written here instead.)
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    browser = (Path(__file__).parent / "browser").relative_to(config.rootpath).as_posix() + "/"

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return browser if nodeid.startswith(browser) else nodeid

    return BrowserTestsTogether(config, log)
