"""The hot checks of :func:`torchscope.schema.validate` over every node and edge at once.

Checked one field at a time, a 100,000-node payload costs seconds of Python. Here the same
contract is checked column-wise with ``map``, ``chain`` and ``set`` (loops that run in C), on
exact types. Each function only *accepts*: ``False`` (or a raised ``KeyError``/``TypeError``,
which the callers treat alike) means "not proven here", and the per-item checks in ``schema``
then run over every item, in order, and name the first fault, or accept what exact types were
too strict for (a tuple where a list is expected, a ``str`` subclass). So these checks may be
stricter than the contract, never looser: ``tests/test_schema.py`` feeds them each broken
payload of ``tests/golden/invalid_payloads.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, compress, repeat
from operator import eq, itemgetter
from typing import cast

# the keys of a node with none of the optional fields (error, estimated, values): such nodes are
# checked here in bulk, any other through schema_validate.check_node (tests pin this to schema.Node)
PLAIN_NODE_KEYS = frozenset(
    {"id", "kind", "op", "label", "parent", "module_path", "attrs", "repr", "inputs", "outputs", "stats"}
    | {"uncounted"}
)
_NODE_STRINGS = itemgetter("kind", "op", "label", "module_path", "repr")
_SHAPE, _DTYPE, _ID = itemgetter("shape"), itemgetter("dtype"), itemgetter("id")
_NONE = type(None)
_NUMBER = frozenset({int, float})


def exact_types(values: Iterable[object]) -> set[type]:
    """Return the set of the values' exact types (``bool`` is not ``int``), read in C."""
    return set(map(type, values))


def _flat(lists: Sequence[object]) -> list[object]:
    """Concatenate lists (checked to be lists before)."""
    return list(chain.from_iterable(cast("Sequence[Sequence[object]]", lists)))


def all_dicts(items: Sequence[object]) -> bool:
    """Tell whether every item is a ``dict``."""
    return exact_types(items) <= {dict}


def unique_ids(items: Sequence[Mapping[str, object]]) -> set[str] | None:
    """Return the set of the items' ids when every one is a string and none repeats, else None."""
    try:
        ids: list[object] = list(map(_ID, items))
    except KeyError:
        return None
    if not exact_types(ids) <= {str}:
        return None
    unique = set(ids)
    return unique if len(unique) == len(ids) else None  # type: ignore[return-value]  # all str


def plain_nodes(nodes: Sequence[Mapping[str, object]]) -> tuple[list[Mapping[str, object]], list[int]]:
    """Split off the nodes with as many keys as a plain node; return them and the others' indices.

    The count is enough: :func:`nodes_hold` reads every plain key, so a node with one of them
    swapped for another key fails there with a ``KeyError``.
    """
    flags = list(map(eq, map(len, nodes), repeat(len(PLAIN_NODE_KEYS))))
    return list(compress(nodes, flags)), [i for i, plain in enumerate(flags) if not plain]


def nodes_hold(
    nodes: Sequence[Mapping[str, object]], kinds: frozenset[str], group_ids: set[str], columns: dict[str, str]
) -> bool:
    """Check plain nodes: field types, kinds, parents that are groups, stats that fit the columns."""
    parents = set(map(itemgetter("parent"), nodes))
    parents.discard(None)
    sides: list[object] = [*map(itemgetter("inputs"), nodes), *map(itemgetter("outputs"), nodes)]
    uncounted: list[object] = list(map(itemgetter("uncounted"), nodes))
    stats: list[object] = list(map(itemgetter("stats"), nodes))
    return (
        exact_types(chain.from_iterable(map(_NODE_STRINGS, nodes))) <= {str}
        and set(map(itemgetter("kind"), nodes)) <= kinds
        and parents <= group_ids
        and exact_types(map(itemgetter("attrs"), nodes)) <= {dict}
        and exact_types(sides) <= {list}
        and tensors_hold(_flat(sides))
        and exact_types(uncounted) <= {list}
        and exact_types(_flat(uncounted)) <= {str}
        and exact_types(stats) <= {dict}
        and stats_hold(stats, columns)  # type: ignore[arg-type]  # dicts
    )


def edges_hold(edges: Sequence[object], node_ids: set[str]) -> bool:
    """Check that both ends of every edge are nodes, and its shape and dtype well formed."""
    return (
        all_dicts(edges)
        and set(map(itemgetter("source"), edges)) <= node_ids  # type: ignore[arg-type]  # dicts
        and set(map(itemgetter("target"), edges)) <= node_ids  # type: ignore[arg-type]
        and tensors_hold(edges)
    )


def tensors_hold(metas: Sequence[object]) -> bool:
    """Check that each item is a dict with a shape and a string dtype."""
    return (
        all_dicts(metas)
        and shapes_hold(list(map(_SHAPE, metas)))  # type: ignore[arg-type]  # dicts
        and exact_types(map(_DTYPE, metas)) <= {str}  # type: ignore[arg-type]
    )


def shapes_hold(shapes: Sequence[object]) -> bool:
    """Check that each item is a list of non-negative ints."""
    if not exact_types(shapes) <= {list}:
        return False
    dims = _flat(shapes)
    return exact_types(dims) <= {int} and (not dims or min(cast("list[int]", dims)) >= 0)


def stats_hold(stats: Sequence[dict[str, object]], columns: dict[str, str]) -> bool:
    """Check that every key is a declared column and every value None or of the column's kind."""
    keys = list(chain.from_iterable(stats))
    values = list(chain.from_iterable(map(dict.values, stats)))
    shaped: set[str] = set()
    for key, kind_of_value in set(zip(keys, map(type, values), strict=True)):
        kind = columns.get(key)
        if kind is None:
            return False
        if kind_of_value is _NONE:
            continue
        if kind == "shape":
            shaped.add(key)
        elif kind_of_value not in ({str} if kind == "text" else _NUMBER):
            return False
    if not shaped:
        return True
    lists = [value for key, value in zip(keys, values, strict=True) if key in shaped and value is not None]
    return exact_types(lists) <= {list} and shapes_hold(_flat(lists))
