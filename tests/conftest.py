"""Shared test helpers: the golden payload and small hand-made models."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "golden" / "payload_v1.json"


@pytest.fixture
def golden() -> dict[str, Any]:
    return copy.deepcopy(json.loads(GOLDEN.read_text()))
