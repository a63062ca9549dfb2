"""Right-click menus on diagram items: what the workbench offers, plus entries other features register.

A provider is called with the window and the keys of the items the menu is for, and returns
``(text, action)`` pairs; analysis features (loops, causes and uses, sensitivity) add theirs with
:func:`register` when they are imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Entry = tuple[str, Callable[[], None]]
Provider = Callable[[Any, list[str]], list[Entry]]

PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    """Add ``provider``'s entries to every item menu (usable as a decorator)."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def extra_entries(window: Any, keys: list[str]) -> list[Entry]:
    """The registered entries for the items ``keys``, in registration order."""
    return [entry for provider in PROVIDERS for entry in provider(window, keys)]
