"""Reading multiplicity bounds as foreign files write them, keeping what is not a bound as written."""

from __future__ import annotations

UNLIMITED = ("*", "-1")


def read_bound(text: str | None, default: int | None, *, upper: bool) -> tuple[int | None, str | None]:
    """``(value, invalid text)`` of one bound: a whole number, ``*`` (``None``: unlimited, upper bounds
    only, where UML's LiteralUnlimitedNatural also writes ``-1``), or ``default`` when absent. Text that
    is no bound (``"test"``, ``"1,5"``, ``*`` as a lower bound) comes back as the second item, for the
    element's ``invalid`` values; negative numbers come back as they are, for the checks to flag."""
    if text is None:
        return default, None
    written = text.strip()
    if upper and written in UNLIMITED:
        return None, None
    try:
        return int(written), None
    except ValueError:
        return default, text
