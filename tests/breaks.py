"""The one rule that applies a case of ``golden/invalid_payloads.json`` to a payload."""

from __future__ import annotations

from typing import Any


def apply_break(payload: Any, case: dict[str, Any]) -> Any:  # any JSON value
    """Return ``payload`` (changed in place) with the one change ``case`` describes.

    ``path`` leads to the value to change (an empty path replaces the whole payload); ``delete``
    removes it; an index one past the end of a list appends.
    """
    path = case["path"]
    if not path:
        return case["value"]
    parent: Any = payload
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if case.get("delete"):
        del parent[last]
    elif isinstance(parent, list) and last == len(parent):
        parent.append(case["value"])
    else:
        parent[last] = case["value"]
    return payload
