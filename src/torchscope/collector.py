"""The cyclic garbage collector, paused while torchscope builds or walks a large payload.

A full pass of CPython's collector visits every tracked object alive: with torch, transformers and
a 200-layer model loaded that is over half a million, before the trace has made any. A trace, a
payload or a wire allocates hundreds of thousands of small records, dicts and lists, so the
collector's thresholds fire full passes over and over while they are built; at 9,000 nodes that
was a quarter of the trace and two thirds of ``to_json``. Nothing these steps allocate needs the
collector to be freed promptly: they hold no real tensor memory (a meta or fake pass has no
storage), and what they drop is freed by reference counting. The collector runs again, as usual,
once the outermost pause ends. A pass on real tensors is not paused (see ``trace.run``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (or the decorated function); nests."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
