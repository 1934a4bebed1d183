"""One side of a diff: a payload indexed as a tree of members (nodes and groups) with their names.

A member's *key* is its name among its siblings: its id with the enclosing group's prefix taken off
(``layer1.0.conv1`` in ``layer1.0`` → ``conv1``; ``layer1.0.relu#2`` → ``relu#2``; a function
``layer1.0.add_`` → ``add_``). Keys are what two graphs share when their models share structure,
whatever wrappers sit above (``_orig_mod.layer1`` under ``_orig_mod`` is ``layer1`` too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from torchscope import schema

_CALL_SUFFIX = re.compile(r"#\d+$")


@dataclass(frozen=True)
class Member:
    """A node or group of one side, as the alignment sees it."""

    id: str
    is_group: bool
    # a node's kind ("module", "function", "input", "output") or "group"
    kind: str
    op: str
    parent: str | None


class Side:
    """A payload with its members, children and keys indexed once."""

    def __init__(self, payload: schema.Payload) -> None:
        self.payload = payload
        self.nodes: dict[str, schema.Node] = {n["id"]: n for n in payload["nodes"]}
        self.groups: dict[str, schema.Group] = {g["id"]: g for g in payload["groups"]}
        self.members: dict[str, Member] = {}
        for node in payload["nodes"]:
            self.members[node["id"]] = Member(
                node["id"], is_group=False, kind=node["kind"], op=node["op"], parent=node["parent"]
            )
        for group in payload["groups"]:
            self.members[group["id"]] = Member(
                group["id"], is_group=True, kind="group", op=group["op"], parent=group["parent"]
            )
        self.roots: list[str] = schema.top_level_members(payload)

    def children(self, group: str | None) -> list[str]:
        """Return the members directly inside ``group`` (the top level for ``None``), in call order."""
        return self.roots if group is None else list(self.groups[group]["children"])

    def stats(self, member: str) -> Mapping[str, schema.StatValue]:
        """Return the statistics of a node or group."""
        record = self.nodes.get(member) or self.groups[member]
        return record["stats"]

    def ancestors(self, member: str) -> list[str]:
        """Return the groups around ``member``, innermost first."""
        found: list[str] = []
        parent = self.members[member].parent
        while parent is not None:
            found.append(parent)
            parent = self.members[parent].parent
        return found

    def descendants(self, group: str) -> list[str]:
        """Return every member inside ``group``, depth first in call order."""
        found: list[str] = []
        for child in self.groups[group]["children"]:
            found.append(child)
            if child in self.groups:
                found.extend(self.descendants(child))
        return found

    @cached_property
    def order(self) -> dict[str, int]:
        """Position of every member in drawing order (a group before what it holds)."""
        walk: list[str] = []
        for root in self.roots:
            walk.append(root)
            if root in self.groups:
                walk.extend(self.descendants(root))
        return {member: i for i, member in enumerate(walk)}


def key(member: str, scope: str | None) -> str:
    """Return the name of ``member`` inside the group ``scope`` (its id at the top level).

    Function ids carry the group's id (``blocks.0#2.add``), module ids its module path
    (``blocks.0.conv#2``): either prefix is taken off.
    """
    if scope is None:
        return member
    for prefix in (scope, _CALL_SUFFIX.sub("", scope)):
        if member.startswith(prefix + "."):
            return member[len(prefix) + 1 :]
    return member
