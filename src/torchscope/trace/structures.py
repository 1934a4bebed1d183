"""Returned (and passed-in) structures as groups: one box per structure, expandable to its tensors.

A forward that returns a ``ModelOutput`` holding ``logits`` and a ``DynamicCache`` of 24 tensors
gives 25 output nodes (``output.logits``, ``output.cache.layers.0.keys``, ...). Drawn one box
each, the cache fans across the drawing. So every *member* of the returned value that is itself a
structure holding more than one tensor becomes a group of kind ``"structure"`` (``output.cache``,
op ``DynamicCache``, label ``cache``): one box, ``cache · 24 tensors``, that expands to its
members. Tensors that are direct members stay output nodes of their own (``logits``). Nested
inputs are grouped the same way, by their top-level argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from torchscope.trace.records import GroupRecord, NodeRecord


def structure_groups(
    nodes: list[NodeRecord], kind: str, root: str, value: object, taken: set[str]
) -> list[GroupRecord]:
    """Return groups for the structures inside ``value`` whose tensors became ``kind`` nodes under ``root``.

    ``root`` is the id prefix of those nodes (``"output"``, or ``""`` for keyword inputs named by
    their argument); a node ``output.cache.layers.0.keys`` belongs to the member ``cache`` of
    ``value``. A member with only one tensor stays a plain node, and a group id already in
    ``taken`` is not used. Each grouped node's ``parent`` is set to its structure's group.
    """
    prefix = f"{root}." if root else ""
    members: dict[str, list[NodeRecord]] = {}
    for node in nodes:
        if node.kind != kind or not node.id.startswith(prefix) or node.parent is not None:
            continue
        rest = node.id[len(prefix) :]
        if "." not in rest:
            continue
        members.setdefault(rest.split(".", 1)[0], []).append(node)
    groups: list[GroupRecord] = []
    for head, inside in members.items():
        member = _member(value, head)
        if len(inside) < 2 or member is None or isinstance(member, torch.Tensor):
            continue
        group_id = f"{prefix}{head}"
        if group_id in taken:
            continue  # a node or module already has that id: leave the members as they are
        taken.add(group_id)
        for node in inside:
            node.parent = group_id
        groups.append(
            GroupRecord(
                id=group_id,
                op=type(member).__name__,
                label=head,
                parent=None,
                module_path="",
                children=[n.id for n in inside],
                kind="structure",
            )
        )
    return groups


def _member(value: object, key: str) -> object:
    """``value[key]`` for mappings, ``value[int(key)]`` for sequences, else the attribute ``key``."""
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes) and key.isdigit():
        index = int(key)
        return value[index] if index < len(value) else None
    return getattr(value, key, None)
