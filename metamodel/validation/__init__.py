"""Model validation: rules registered by domain (``sd``, ``architecture``, ``neural``) under stable codes.

Importing this package registers every rule module.
"""

from __future__ import annotations

from collections.abc import Iterable

from metamodel.model import Model
from metamodel.validation import arch_rules, neural_rules, sd_rules
from metamodel.validation.registry import RULES, Diagnostic, Rule, rule, run_rules

__all__ = ["RULES", "Diagnostic", "Rule", "arch_rules", "neural_rules", "rule", "run_rules", "sd_rules",
           "validate"]


def validate(model: Model, domains: Iterable[str] | None = None) -> list[Diagnostic]:
    """Every finding of the registered rules on ``model`` (or those of ``domains``), errors first."""
    return run_rules(model, domains)
