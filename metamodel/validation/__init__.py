"""Model validation: rules registered by domain (``sd``, ``architecture``, ``neural``) under stable codes.

The rule modules load on first use (``validate``, ``run_rules``, ``RULES`` or a rule module's name), so
that code needing only ``Diagnostic`` (the compiler, the importers) imports none of their dependencies.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from metamodel.model import Model
from metamodel.validation import registry
from metamodel.validation.registry import Diagnostic, Rule, rule

RULE_MODULES = ("aadl_rules", "arch_rules", "behaviour_rules", "capability_rules", "capella_chain_rules",
                "capella_data_rules", "capella_design_rules", "capella_levels", "capella_physical_rules",
                "capella_rules", "capella_state_rules", "fmu_rules", "neural_rules", "sd_rules", "sysml_rules",
                "sysml16_rules")

__all__ = ["RULES", "Diagnostic", "Rule", "aadl_rules", "arch_rules", "behaviour_rules", "capability_rules",
           "capella_chain_rules", "capella_data_rules", "capella_design_rules", "capella_levels",
           "capella_physical_rules", "capella_rules", "capella_state_rules", "fmu_rules", "neural_rules", "rule",
           "run_rules", "sd_rules", "sysml16_rules", "sysml_rules", "validate"]


def _register_rules() -> None:
    for name in RULE_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def run_rules(model: Model, domains: Iterable[str] | None = None) -> list[Diagnostic]:
    """Every finding of the registered rules on ``model`` (or those of ``domains``), errors first."""
    _register_rules()
    return registry.run_rules(model, domains)


def validate(model: Model, domains: Iterable[str] | None = None) -> list[Diagnostic]:
    """Every finding of the registered rules on ``model`` (or those of ``domains``), errors first."""
    return run_rules(model, domains)


def __getattr__(name: str) -> Any:
    if name == "RULES":
        _register_rules()
        return registry.RULES
    if name in RULE_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
