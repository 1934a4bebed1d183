"""Repeated structure: sibling groups that compute the same thing (12 BertLayers, 24 GPT-2 blocks).

Two sibling groups repeat each other when their subtrees, walked in call order, have the same
signature: the same module types and ops with the same attributes and output shapes, nested the
same way, wired the same way (each edge as the distance back to its source within the subtree, or
"from outside"). The call order makes this exact and linear, with no graph-isomorphism search.
A later sibling gets ``repeat_of`` = the first sibling with its signature; the front end folds runs
of them into one ``×N`` box.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from torchscope.trace.records import EdgeRecord, GroupRecord, NodeRecord


def mark_repeats(groups: list[GroupRecord], nodes: list[NodeRecord], edges: list[EdgeRecord]) -> None:
    """Set ``repeat_of`` on every group whose earlier sibling has the same signature."""
    signatures = _Signatures(groups, nodes, edges)
    first_by_parent: dict[tuple[str | None, str], str] = {}
    for group in groups:
        key = (group.parent, signatures.of(group))
        if key in first_by_parent:
            group.repeat_of = first_by_parent[key]
        else:
            first_by_parent[key] = group.id


class _Signatures:
    def __init__(self, groups: list[GroupRecord], nodes: list[NodeRecord], edges: list[EdgeRecord]) -> None:
        self.groups = {g.id: g for g in groups}
        self.nodes = {n.id: n for n in nodes}
        self.sources: dict[str, list[str]] = defaultdict(list)
        for edge in edges:
            self.sources[edge.target].append(edge.source)
        self.cache: dict[str, str] = {}
        # a node's own part of its token, the same in every enclosing group's signature
        self.own: dict[str, str] = {}

    def of(self, group: GroupRecord) -> str:
        if group.id not in self.cache:
            members = self._subtree(group)
            position = {member: i for i, member in enumerate(members)}
            tokens = [group.op] + [self._token(member, i, position) for i, member in enumerate(members)]
            self.cache[group.id] = hashlib.sha1("\n".join(tokens).encode(), usedforsecurity=False).hexdigest()
        return self.cache[group.id]

    def _subtree(self, group: GroupRecord) -> list[str]:
        order: list[str] = []
        for child in group.children:
            order.append(child)
            if child in self.groups:
                order.extend(self._subtree(self.groups[child]))
        return order

    def _token(self, member: str, i: int, position: dict[str, int]) -> str:
        if member in self.groups:
            child = self.groups[member]
            return f"G{child.op}<{position.get(child.parent or '', -1) - i}"
        node = self.nodes[member]
        own = self.own.get(member)
        if own is None:
            own = self.own[member] = f"N{node.op}|{_attrs(node)}|{[o.shape for o in node.outputs]}"
        links = sorted(str(i - position[s]) if s in position else "out" for s in self.sources[member])
        nesting = position.get(node.parent or "", -1) - i
        return f"{own}|{links}|{nesting}"


def _attrs(node: NodeRecord) -> list[tuple[str, object]]:
    # which parameter a function reads differs between repeats by name only (h.0... vs h.1...)
    return sorted((k, v) for k, v in node.attrs.items() if k != "parameters")
