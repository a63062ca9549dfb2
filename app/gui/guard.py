"""A guard for Python overrides of Qt virtual methods (event handlers, ``paint``, ``itemChange`` …).

An exception raised by C code (``[][1]``, ``int("x")``) that escapes such an override takes the whole
process down in PySide6 6.11 (a null dereference while the binding stores the error). Guarded overrides
hand the exception to ``sys.excepthook`` instead (printed in the application, failing the test under
pytest-qt) and return a harmless value, so a bug in one gesture never costs the user the session.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def guarded(fallback: Callable[..., Any] | None = None) -> Callable[[F], F]:
    """Decorate an override: an exception is reported and ``fallback(*args)`` (or ``None``) returned."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except Exception:  # reported, never let through to the binding (see the module docstring)
                sys.excepthook(*sys.exc_info())
                return fallback(*args, **kwargs) if fallback is not None else None

        return call  # type: ignore[return-value]

    return wrap
