"""Alignment: which node or group of graph a is which of graph b.

The two hierarchies are matched level by level, from the top: the members of two matched groups
(or the two top levels) are paired by these rules, in this order, and matched groups recurse.

1. **By name**: the same key (module path and call index below the group: ``conv1``, ``relu#2``,
   ``add#3``, ``layers.7``) and the same kind (group or node). So repeated blocks pair block to
   block, and 32 layers against 40 leave 8 unmatched.
2. **Wrappers**: a group on one side that has a member's name on the other side, but not its kind
   or type, and holds a member of that kind and type, is a wrapper: the member inside pairs (the
   most similar one when several could: same attributes, shapes and parameters) and the wrapper is
   one side's only (LoRA's ``q_proj`` around ``q_proj.base_layer``, a ``Sequential`` around a
   block). A group whose members' names are found on the other side one level up is dissolved:
   its members take its place (``torch.compile``'s ``_orig_mod``, PEFT's ``base_model.model``,
   ``DataParallel``'s ``module``).
3. **By type and position**: what is left pairs by the longest common subsequence of
   (kind, type) in call order (a module renamed from ``fc`` to ``head``).
4. **By shapes**: what is left still pairs, in order, nodes with the same input and output shapes
   and groups with the same parameter count and number of members.

Everything still unpaired is added (only in b) or removed (only in a), with all it holds. A
node and a group under the same name that no wrapper explains stay unpaired (a box cannot be both),
but are noted as :attr:`Alignment.replaced`: the same layer, rebuilt as the other kind (a float
``Linear`` and its dynamically quantized counterpart, a module with children). Their values can
still be compared (:mod:`torchscope.diff.values`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from torchscope.diff.tree import Side, key

How = Literal["name", "wrapper", "position", "shape"]
Entry = tuple[str, str]  # a member and its key in the list being aligned

# how many wrapper levels a dissolved group may hide its names under (PEFT nests two)
_DISSOLVE_DEPTH = 3


@dataclass
class Alignment:
    """The pairs found, how each was found, and the wrappers met on either side."""

    pairs: dict[str, str] = field(default_factory=dict)  # a id → b id
    how: dict[str, How] = field(default_factory=dict)  # a id → the rule that paired it
    wrappers_a: set[str] = field(default_factory=set)
    wrappers_b: set[str] = field(default_factory=set)
    # a node and a group with the same name and nothing else to explain them: a id → b id
    replaced: dict[str, str] = field(default_factory=dict)

    def b_to_a(self) -> dict[str, str]:
        """Return the pairs seen from b (b id → a id)."""
        return {b: a for a, b in self.pairs.items()}


def align(a: Side, b: Side) -> Alignment:
    """Pair the members of ``a`` and ``b`` (see the module's rules)."""
    aligner = _Aligner(a, b)
    aligner.level([(m, key(m, None)) for m in a.roots], [(m, key(m, None)) for m in b.roots])
    return aligner.result


class _Aligner:
    def __init__(self, a: Side, b: Side) -> None:
        self.a = a
        self.b = b
        self.result = Alignment()
        self.done_a: set[str] = set()
        self.done_b: set[str] = set()

    def level(self, list_a: list[Entry], list_b: list[Entry]) -> None:
        """Pair two lists of siblings, then the members of every pair of groups found."""
        before = set(self.result.pairs)
        while True:
            self._by_name(list_a, list_b)
            if not self._dissolve(list_a, list_b):
                break
        self._by_position(list_a, list_b)
        self._by_shape(list_a, list_b)
        for x in [x for x in self.result.pairs if x not in before]:
            y = self.result.pairs[x]
            if x in self.a.groups and y in self.b.groups:
                self.level(
                    [(c, key(c, x)) for c in self.a.children(x)],
                    [(c, key(c, y)) for c in self.b.children(y)],
                )

    def _pair(self, x: str, y: str, how: How) -> None:
        self.result.pairs[x] = y
        self.result.how[x] = how
        self.done_a.add(x)
        self.done_b.add(y)

    # -- rule 1 and 2: names and wrappers --------------------------------------------------------

    def _by_name(self, list_a: list[Entry], list_b: list[Entry]) -> None:
        named: dict[str, str] = {}
        for y, name in list_b:
            if y not in self.done_b:
                named.setdefault(name, y)
        for x, name in list_a:
            match = named.get(name)
            if x not in self.done_a and match is not None and match not in self.done_b:
                self._pair_named(x, match)

    def _pair_named(self, x: str, y: str) -> None:
        mx, my = self.a.members[x], self.b.members[y]
        if mx.is_group == my.is_group and mx.op == my.op:
            self._pair(x, y, "name")
        elif (inner := self._wrapped(self.b, y, self.a, x)) is not None:
            self._pair(x, inner, "wrapper")
            self.result.wrappers_b.add(y)
            self.done_b.add(y)
        elif (inner := self._wrapped(self.a, x, self.b, y)) is not None:
            self._pair(inner, y, "wrapper")
            self.result.wrappers_a.add(x)
            self.done_a.add(x)
        elif mx.is_group == my.is_group:
            self._pair(x, y, "name")  # the same place with another type: a changed op
        else:
            self.result.replaced[x] = y

    def _wrapped(self, side: Side, wrapper: str, other: Side, like: str) -> str | None:
        """Return the member of ``wrapper`` that stands for ``like`` (other side), if it wraps one."""
        if wrapper not in side.groups:
            return None
        target = other.members[like]
        done = self.done_a if side is self.a else self.done_b
        candidates = [
            c
            for c in side.children(wrapper)
            if c not in done
            and side.members[c].is_group == target.is_group
            and side.members[c].op == target.op
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda c: _similarity(side, c, other, like))

    def _dissolve(self, list_a: list[Entry], list_b: list[Entry]) -> bool:
        """Replace one unpaired group by its members where they carry the other side's names."""
        for side, own, other, done, wrappers in (
            (self.a, list_a, list_b, self.done_a, self.result.wrappers_a),
            (self.b, list_b, list_a, self.done_b, self.result.wrappers_b),
        ):
            other_done = self.done_b if side is self.a else self.done_a
            wanted = {name for m, name in other if m not in other_done}
            for i, (member, _) in enumerate(own):
                if member in done or member not in side.groups:
                    continue
                if _carries_names(side, member, wanted, _DISSOLVE_DEPTH):
                    own[i : i + 1] = [(c, key(c, member)) for c in side.children(member)]
                    wrappers.add(member)
                    done.add(member)
                    return True
        return False

    # -- rules 3 and 4: what is left ----------------------------------------------------------

    def _by_position(self, list_a: list[Entry], list_b: list[Entry]) -> None:
        rest_a = [x for x, _ in list_a if x not in self.done_a]
        rest_b = [y for y, _ in list_b if y not in self.done_b]
        tokens_a = [(self.a.members[x].is_group, self.a.members[x].op) for x in rest_a]
        tokens_b = [(self.b.members[y].is_group, self.b.members[y].op) for y in rest_b]
        matcher = difflib.SequenceMatcher(None, tokens_a, tokens_b, autojunk=False)
        for block in matcher.get_matching_blocks():
            for i in range(block.size):
                self._pair(rest_a[block.a + i], rest_b[block.b + i], "position")

    def _by_shape(self, list_a: list[Entry], list_b: list[Entry]) -> None:
        rest_b = [y for y, _ in list_b if y not in self.done_b]
        start = 0
        for x, _ in list_a:
            if x in self.done_a:
                continue
            fits = _shape_matcher(self.a, x)
            for j in range(start, len(rest_b)):
                if fits(self.b, rest_b[j]):
                    self._pair(x, rest_b[j], "shape")
                    start = j + 1
                    break


def _carries_names(side: Side, group: str, wanted: set[str], depth: int) -> bool:
    """Whether at least half of ``group``'s members have names in ``wanted``, here or a level down."""
    children = side.children(group)
    if not children:
        return False
    named = sum(key(c, group) in wanted for c in children)
    if 2 * named >= len(children):
        return True
    # a chain of single wrappers (PEFT's base_model → model) hides the names one level further down
    return (
        depth > 1
        and len(children) == 1
        and children[0] in side.groups
        and (_carries_names(side, children[0], wanted, depth - 1))
    )


def _similarity(side: Side, member: str, other: Side, like: str) -> int:
    """How many facts two members share: attributes, tensor shapes and parameter count."""
    if member in side.nodes and like in other.nodes:
        mine, theirs = side.nodes[member], other.nodes[like]
        shared = sum(mine["attrs"].get(k) == v for k, v in theirs["attrs"].items())
        shared += (mine["inputs"] == theirs["inputs"]) + (mine["outputs"] == theirs["outputs"])
    else:
        shared = 0
    return shared + (side.stats(member).get("params") == other.stats(like).get("params"))


def _shape_matcher(side: Side, member: str) -> Callable[[Side, str], bool]:
    """Return a test for the other side's members with ``member``'s shapes (nodes) or size (groups)."""
    if member in side.nodes:
        node = side.nodes[member]

        def same_shapes(other: Side, candidate: str) -> bool:
            theirs = other.nodes.get(candidate)
            return (
                theirs is not None
                and theirs["kind"] == node["kind"]
                and theirs["inputs"] == node["inputs"]
                and theirs["outputs"] == node["outputs"]
            )

        return same_shapes
    params = side.stats(member).get("params")
    size = len(side.descendants(member))

    def same_size(other: Side, candidate: str) -> bool:
        return (
            candidate in other.groups
            and other.stats(candidate).get("params") == params
            and len(other.descendants(candidate)) == size
        )

    return same_size
