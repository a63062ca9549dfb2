"""Hold Python's cyclic garbage collector while building large structures that hold no cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold Python's cyclic garbage collector while compiling: compiling allocates many small objects and
    builds no cycles, and collections triggered by the allocations would traverse the whole heap again
    and again, making the cost grow faster than the model."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
