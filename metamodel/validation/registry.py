"""Validation rules: one small function per rule, registered under a stable code."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from metamodel.elements import Element
from metamodel.gc_pause import gc_paused
from metamodel.model import Model

SEVERITIES = ("error", "warning", "info")
T = TypeVar("T")
E = TypeVar("E", bound=Element)
_RUN_MEMO: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar("rule_run_memo", default=None)


@dataclass(frozen=True)
class Diagnostic:
    """One finding: stable rule code, severity, the element it is about, message and source span."""

    code: str
    severity: str
    message: str
    element_id: str | None = None
    element_name: str = ""
    span: tuple[int, int] | None = None
    field: str = ""  # which text of the element the span points into (equation, units, ...)
    related: tuple[str, ...] = ()  # further elements affected by the same cause (one finding per cause)

    def __str__(self) -> str:
        where = f" [{self.element_name or self.element_id}]" if (self.element_name or self.element_id) else ""
        at = f" at {self.span[0] + 1}" if self.span else ""
        return f"{self.severity} {self.code}{where}{at}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "element_id": self.element_id, "element": self.element_name,
                "span": list(self.span) if self.span else None, "field": self.field,
                "related": list(self.related)}


RuleFunction = Callable[[Model], Iterable[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    summary: str
    check: RuleFunction
    domain: str  # "sd", "architecture", "neural"


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, summary: str, domain: str = "sd") -> Callable[[RuleFunction], RuleFunction]:
    """Register a rule function under ``code``; it yields diagnostics for one model."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")

    def register(function: RuleFunction) -> RuleFunction:
        if code in RULES:
            raise ValueError(f"rule code {code} registered twice")
        RULES[code] = Rule(code, severity, summary, function, domain)
        return function

    return register


def of_kind(model: Model, cls: type[E]) -> Iterable[E]:
    """The elements of ``model`` that are instances of ``cls``, in model order. Within a run of the rules
    the model is gone through once to list the elements of each type, and once more for each kind that
    spans several types; outside a run this is ``model.of_kind``."""
    if _RUN_MEMO.get() is None:
        return model.of_kind(cls)
    by_type = shared(("elements by type", id(model)), lambda: _by_type(model))
    types = [kind for kind in by_type if issubclass(kind, cls)]
    if len(types) <= 1:
        return by_type[types[0]] if types else ()  # type: ignore[return-value]
    wanted = set(types)
    return shared(("of kind", id(model), cls), lambda: [e for e in model.elements.values() if type(e) in wanted])


def _by_type(model: Model) -> dict[type, list[Element]]:
    """The elements of ``model`` of each type, in model order."""
    found: dict[type, list[Element]] = {}
    for element in model.elements.values():
        kind = type(element)
        listed = found.get(kind)
        if listed is None:
            found[kind] = [element]
        else:
            listed.append(element)
    return found


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, worked out once per run of the rules and shared by them (parsed equations, the
    names of a model); outside a run it is computed at each call."""
    memo = _RUN_MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def run_rules(model: Model, domains: Iterable[str] | None = None) -> list[Diagnostic]:
    """Run every registered rule (or those of ``domains``) and return their findings, errors first; the
    garbage collector is held meanwhile."""
    wanted = set(domains) if domains is not None else None
    found: list[Diagnostic] = []
    token = _RUN_MEMO.set({})
    try:
        with gc_paused():  # collections would pass over a large model again and again
            for registered in RULES.values():
                if wanted is None or registered.domain in wanted:
                    found.extend(registered.check(model))
    finally:
        _RUN_MEMO.reset(token)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(found, key=lambda d: (order[d.severity], d.code, d.element_name or d.element_id or ""))
