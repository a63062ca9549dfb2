"""Hold Python's cyclic garbage collector while building large structures that hold no cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while loading or compiling a model: both allocate many small
    objects and build few cycles, and the collections their allocations trigger would traverse the whole
    heap again and again, making the cost grow faster than the model. Cycles made meanwhile are collected
    after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
