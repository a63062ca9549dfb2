"""Canonical identifiers: XMILE's rule, used for every lookup by name."""

from __future__ import annotations

import functools
import re

_SEPARATORS = re.compile(r"(?:\\n|[\s_\u00a0])+")


@functools.lru_cache(maxsize=65536)
def canonical(name: str) -> str:
    """Return the canonical identifier of a display name.

    Case-insensitive; surrounding quotes dropped; runs of spaces, underscores, newlines (also the
    escaped ``\\n`` XMILE writes) count as one underscore.
    """
    text = name.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return _SEPARATORS.sub("_", text.strip()).strip("_").casefold()


def display(name: str) -> str:
    """Return a display name with XMILE's escapes and underscores turned into single spaces."""
    text = name.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return _SEPARATORS.sub(" ", text).strip()
