"""The statistics of a schema-2 wire (:mod:`torchscope.wire`): one list per column.

Members with the same keys share a key set; a column equal to another column, or to the shapes
of the nodes' outputs or inputs, is named in ``derived`` instead of written.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from itertools import compress
from operator import itemgetter
from typing import Any

from torchscope import schema

_SHAPE_SOURCES = ("outputs", "inputs")
_STATS = itemgetter("stats")

_ABSENT = object()


def encode_stats(
    items: Sequence[Mapping[str, Any]], columns: Sequence[schema.Column], *, node_shapes: bool
) -> dict[str, Any]:
    """Return the stats of ``items`` as columns: key sets, one list per column, the derived ones."""
    stats = list(map(_STATS, items))
    sets: dict[tuple[str, ...], int] = {}
    chosen = [sets.setdefault(keys, len(sets)) for keys in map(tuple, stats)]
    found: dict[str, list[Any]] = {}
    for keys, number in sets.items():  # the values of the members sharing a key set, in bulk
        if not keys:
            continue
        at = [i for i, c in enumerate(chosen) if c == number] if len(sets) > 1 else range(len(items))
        rows = list(map(itemgetter(*keys), [stats[i] for i in at]))
        for key, got in zip(keys, zip(*rows, strict=True) if len(keys) > 1 else [rows], strict=True):
            if isinstance(at, range):
                found[key] = list(got)
                continue
            scattered = found.setdefault(key, [_ABSENT] * len(items))
            deque(map(scattered.__setitem__, at, got), maxlen=0)  # in C
    values: dict[str, list[Any]] = {}
    derived: dict[str, str] = {}
    sources: list[tuple[str, list[Any]]] = []
    if node_shapes and any(c["kind"] == "shape" for c in columns):
        sources = [(s, [[list(t["shape"]) for t in item[s]] for item in items]) for s in _SHAPE_SOURCES]
    for column in columns:
        key = column["key"]
        if key not in found:
            continue
        mine = found[key]
        present = [v is not _ABSENT for v in mine]
        kept = list(compress(mine, present))
        sample = list(compress(range(len(mine)), present))[:8]
        source = next(
            (
                name
                for name, col in sources
                if _same([mine[i] for i in sample], [col[i] for i in sample])  # most differ early
                and _same(kept, list(compress(col, present)))
            ),
            None,
        )
        if source is not None:
            derived[key] = source
            continue
        values[key] = [None if v is _ABSENT else v for v in mine]
        sources.append((key, mine))
    return {"sets": [list(s) for s in sets], "set": chosen, "values": values, "derived": derived}


def _same(values: list[Any], source: list[Any]) -> bool:
    """Whether two columns hold equal values of the same types (``1`` is not ``1.0``)."""
    return values == source and list(map(type, values)) == list(map(type, source))


def expand_stats(
    part: Mapping[str, Any], shapes: Mapping[str, list[list[schema.TensorMeta]]]
) -> list[dict[str, Any]]:
    """Return the stats dict of each member of a part, from its columns (see :func:`encode_stats`)."""
    values, derived = part["values"], part["derived"]
    result: list[dict[str, Any]] = []
    for i, chosen in enumerate(part["set"]):
        stats: dict[str, Any] = {}
        for key in part["sets"][chosen]:
            source = derived.get(key, key)  # a written column or a side's shapes (check_wire)
            if source in shapes:
                stats[key] = [list(t["shape"]) for t in shapes[source][i]]
            else:
                stats[key] = values[source][i]
        result.append(stats)
    return result
