"""The one error hierarchy of Salver."""

from __future__ import annotations

from typing import Any


class SalverError(Exception):
    """Base of every error Salver raises on purpose."""


class ParseError(SalverError):
    """Text that could not be parsed; ``line`` and ``column`` are 1-based when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        offset: int | None = None,
        element: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.offset = offset
        self.element = element
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.element:
            where.append(f"element '{self.element}'")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class ModelError(SalverError):
    """A model that cannot be used as it is; carries the diagnostics that say why."""

    def __init__(self, message: str, diagnostics: list[Any] | None = None) -> None:
        self.diagnostics = list(diagnostics or [])
        details = "".join(f"\n  {d}" for d in self.diagnostics[:20])
        super().__init__(message + details)


class SimulationError(SalverError):
    """A fault during a run, at a simulated time in a variable."""

    def __init__(self, message: str, *, time: float | None = None, variable: str | None = None) -> None:
        self.time = time
        self.variable = variable
        where = []
        if variable:
            where.append(f"variable '{variable}'")
        if time is not None:
            where.append(f"time {time:g}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class SaveError(SalverError, OSError):
    """A file that could not be written; the previous file is untouched. An ``OSError`` too, so that
    callers catching the system's error keep working."""

    def __init__(self, path: str, reason: str, errno: int | None = None) -> None:
        OSError.__init__(self, errno, reason, path)
        self.message = f"{path}: cannot save: {reason}"
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message
