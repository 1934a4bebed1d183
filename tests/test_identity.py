"""The recorder's tensor map: by identity, never keeping a tensor alive, never confusing two."""

from __future__ import annotations

import gc
import weakref

import pytest
import torch

from torchscope.trace.identity import TensorMap


def test_a_tensor_is_found_by_identity_not_by_value() -> None:
    found: TensorMap[str] = TensorMap()
    a, b = torch.zeros(2), torch.zeros(2)
    found[a] = "a"
    assert found.get(a) == "a"
    assert a in found
    assert found[a] == "a"
    assert found.get(b) is None
    assert b not in found
    with pytest.raises(KeyError):
        found[b]
    view = a.view(2)  # another tensor object over the same storage
    assert view not in found


def test_the_map_keeps_no_tensor_alive_and_a_new_tensor_at_a_dead_ones_id_finds_nothing() -> None:
    found: TensorMap[str] = TensorMap()
    a, b = torch.zeros(3), torch.zeros(3)
    alive = weakref.ref(a)
    found[a] = "a"
    # what CPython does when it hands a freed tensor's address to a new one, made certain here:
    # the entry stored under the dead tensor's id is now the entry under the new tensor's id
    found._entries[id(b)] = found._entries.pop(id(a))  # noqa: SLF001
    assert b not in found  # the entry is a's, still alive: not b's
    del a
    gc.collect()
    assert alive() is None
    assert b not in found
    assert found.get(b) is None
