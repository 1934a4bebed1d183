"""A parallel step over a deep stack of alike blocks, measured on three short copies and extended.

Every op of a parallel pass goes through fake-tensor dispatch, DTensor, the memory tracker and
autograd in Python, about a millisecond each: a Llama-70B step over its 80 decoder layers takes
tens of seconds. Yet the 80 layers are alike, and each one adds the same bytes to every figure of
the step. So the step runs on replicas that hold only the first 3, 4 and 5 members of the stack
(the first, the last and 1–3 in the middle), and each figure is extended to the full length along
the line the three give. This is exact, not an estimate, under the checks made first:

* the stack is one ``nn.ModuleList`` of at least :data:`MIN_LENGTH` members, all of one class with
  the same parameters and buffers (names, shapes, dtypes) and the same settings (plain attributes
  of every submodule, apart from one that holds the member's own index, such as ``layer_idx``);
* in the forward trace, every member's call repeats the first one's (``repeat_of``: the same ops,
  shapes and wiring; see :mod:`~torchscope.trace.repeats`);
* the strategy treats every member the same way (FSDP wraps all of them or none, a TP plan splits
  the same submodules in each);
* every figure of the three short steps lies on a line: the step from 3 to 4 members equals the
  step from 4 to 5, for the peak of each phase (forward, backward, optimizer) and each of its
  categories, the rank's state, and each figure charged to a module outside the stack; a figure
  charged to a member is the same for each member of one role (first, middle, last).

Where any check fails, the full replica runs instead, so the answer never depends on the shortcut
(``extend_repeats=False`` on the spec asks for the full run; ``tests/test_stacks.py`` compares
both on models where the extension applies, and on one where its figures are not linear).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from torch import nn

if TYPE_CHECKING:
    from torchscope.trace.records import GroupRecord

MIN_LENGTH = 8  # below this, three short steps cost about what the full one does
LENGTHS = (3, 4, 5)  # members kept in the short replicas: each has a first, a last and a middle
_PLAIN = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Stack:
    """A ``ModuleList`` of alike members, at ``path``, of ``length`` members."""

    path: str
    length: int

    def member(self, path: str) -> tuple[int, str] | None:
        """Return (member index, path inside the member) of a module path under the stack, else None."""
        if not path.startswith(f"{self.path}."):
            return None
        index, _, inner = path[len(self.path) + 1 :].partition(".")
        return (int(index), inner) if index.isdigit() else None

    def path_of(self, index: int, inner: str) -> str:
        """Return the module path of ``inner`` in member ``index``."""
        return f"{self.path}.{index}.{inner}" if inner else f"{self.path}.{index}"


@dataclass(frozen=True)
class Figures:
    """What one parallel step measured: everything :func:`extended` extends.

    ``phases`` holds each phase's peak (``"forward"``, ``"backward"``, ``"optimizer"``) as the
    tracker's snapshot (category → bytes, with ``"Total"``); ``by_module`` holds figures charged to
    module paths (FSDP's all-gather and reduce-scatter bytes per block, TP's collectives).
    """

    state: tuple[int, int, int]  # the rank's parameter, gradient and optimizer-state bytes
    phases: dict[str, dict[str, int]]
    by_module: dict[str, dict[str, int]] = field(default_factory=dict)

    def peak(self) -> tuple[int, dict[str, int]]:
        """Return the step's peak and its split: the first phase whose peak is the largest."""
        top = max(self.phases.values(), key=lambda snap: snap["Total"])
        return top["Total"], {k: v for k, v in top.items() if k != "Total"}


def alike_stack(model: nn.Module, groups: Sequence[GroupRecord]) -> Stack | None:
    """Return the model's stack of alike members holding the most parameters, or None.

    ``groups`` are the forward trace's: each member's first call must repeat member 0's.
    """
    repeats: dict[str, str] = {}
    for group in groups:
        repeats.setdefault(group.module_path, group.repeat_of or group.id)
    best: tuple[int, Stack] | None = None
    for path, module in model.named_modules():
        if not path or not isinstance(module, nn.ModuleList) or len(module) < MIN_LENGTH:
            continue
        members = list(module)
        if not _alike(members) or not _repeated(path, len(members), repeats):
            continue
        size = sum(p.numel() for m in members for p in m.parameters())
        if best is None or size > best[0]:
            best = (size, Stack(path, len(members)))
    return None if best is None else best[1]


def treated_alike(stack: Stack, paths: Iterable[str]) -> bool:
    """Whether ``paths`` (what a strategy wraps or splits) hold the same submodules of every member."""
    inside: dict[int, set[str]] = {i: set() for i in range(stack.length)}
    for path in paths:
        if path == stack.path:
            return False
        found = stack.member(path)
        if found is not None:
            inside[found[0]].add(found[1])
    return len({frozenset(s) for s in inside.values()}) == 1


def extended(runs: Sequence[Figures], stack: Stack, lengths: Sequence[int] = LENGTHS) -> Figures | None:
    """Return the figures of the full stack from the short runs (of ``lengths`` members), or None.

    None when a figure is not on a line, or a member's figure differs within its role.
    """
    state = [_line([r.state[i] for r in runs], lengths, stack.length) for i in range(3)]
    phases: dict[str, dict[str, int]] = {}
    for phase in _union(r.phases for r in runs):
        snaps = [r.phases.get(phase, {}) for r in runs]
        line = {key: _line([s.get(key, 0) for s in snaps], lengths, stack.length) for key in _union(snaps)}
        if any(v is None for v in line.values()):
            return None
        phases[phase] = {k: v for k, v in line.items() if v is not None}
    by_module: dict[str, dict[str, int]] = {}
    for name in _union(r.by_module for r in runs):
        figure = _by_module([r.by_module.get(name, {}) for r in runs], stack, lengths)
        if figure is None:
            return None
        by_module[name] = figure
    if any(v is None for v in state):
        return None
    return Figures(state=(state[0] or 0, state[1] or 0, state[2] or 0), phases=phases, by_module=by_module)


def measured(
    stack: Stack | None, measure: Callable[[int | None], Figures], lengths: Sequence[int] = LENGTHS
) -> tuple[Figures, tuple[int, ...]]:
    """Measure the step: on short replicas extended, when ``stack`` is given and the lines hold.

    ``measure(keep)`` runs the step on a replica whose stack keeps its first ``keep`` members
    (``None``: all). Returns the figures and the lengths they were measured on (empty: the full run).
    """
    if stack is not None:
        found = extended([measure(n) for n in lengths], stack, lengths)
        if found is not None:
            return found, tuple(lengths)
    return measure(None), ()


def _by_module(
    runs: Sequence[Mapping[str, int]], stack: Stack, lengths: Sequence[int]
) -> dict[str, int] | None:
    """Extend one per-module figure: members' values by role, the rest along their line."""
    roles: dict[tuple[str, str], int] = {}
    outside: list[dict[str, int]] = []
    for run, length in zip(runs, lengths, strict=True):
        rest: dict[str, int] = {}
        for path, value in run.items():
            found = stack.member(path)
            if found is None:
                rest[path] = value
                continue
            key = (_role(found[0], length), found[1])
            if roles.setdefault(key, value) != value:
                return None
        outside.append(rest)
    full: dict[str, int] = {}
    for index in range(stack.length):
        role = _role(index, stack.length)
        for (each, inner), value in roles.items():
            if each == role:
                full[stack.path_of(index, inner)] = value
    for path in _union(outside):
        line = _line([o.get(path, 0) for o in outside], lengths, stack.length)
        if line is None:
            return None
        full[path] = line
    return full


def _line(values: Sequence[int], lengths: Sequence[int], length: int) -> int | None:
    """Return the value at ``length`` on the line through ``values`` (at consecutive ``lengths``)."""
    steps = {b - a for a, b in pairwise(values)}
    if len(steps) != 1:
        return None
    return values[0] + (length - lengths[0]) * steps.pop()


def _role(index: int, length: int) -> str:
    return "first" if index == 0 else "last" if index == length - 1 else "middle"


def _union(mappings: Iterable[Mapping[str, object]]) -> list[str]:
    """Return every key of ``mappings``, in first-seen order."""
    keys: dict[str, None] = {}
    for mapping in mappings:
        keys.update(dict.fromkeys(mapping))
    return list(keys)


def _alike(members: Sequence[nn.Module]) -> bool:
    """Whether the members are of one class with the same tensors and settings (own index aside)."""
    if len({id(m) for m in members}) != len(members):
        return False  # one module listed twice: its parameters are shared, not repeated
    settings = [_settings(m) for m in members]
    # a setting that holds each member's own index (``layer_idx``) is what tells them apart
    own_index = {k for k in settings[0] if all(s.get(k) == i for i, s in enumerate(settings))}
    shapes = [_tensors(m) for m in members]
    first = {k: v for k, v in settings[0].items() if k not in own_index}
    return all(
        shapes[i] == shapes[0] and {k: v for k, v in s.items() if k not in own_index} == first
        for i, s in enumerate(settings)
    )


def _settings(member: nn.Module) -> dict[tuple[str, str], object]:
    """Return every submodule's class and plain attributes, keyed by (submodule path, name)."""
    found: dict[tuple[str, str], object] = {}
    for path, sub in member.named_modules():
        found[path, "__class__"] = type(sub)
        found.update(
            ((path, k), v) for k, v in vars(sub).items() if not k.startswith("_") and isinstance(v, _PLAIN)
        )
    return found


def _tensors(member: nn.Module) -> list[tuple[object, ...]]:
    return [
        (name, tuple(t.shape), t.dtype, t.requires_grad)
        for name, t in [*member.named_parameters(), *member.named_buffers()]
    ]


def _repeated(path: str, length: int, repeats: Mapping[str, str]) -> bool:
    """Whether each member's first call in the forward trace repeats member 0's."""
    first = repeats.get(f"{path}.0")
    return first is not None and all(repeats.get(f"{path}.{i}") == first for i in range(1, length))
