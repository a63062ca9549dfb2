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

<<<<<<< HEAD
RULE_MODULES = ("aadl_rules", "arch_rules", "behaviour_rules", "capability_rules", "capella_data_rules",
                "capella_levels", "capella_rules", "fmu_rules", "neural_rules", "sd_rules", "sysml_rules",
                "sysml16_rules")

__all__ = ["RULES", "Diagnostic", "Rule", "aadl_rules", "arch_rules", "behaviour_rules", "capability_rules",
           "capella_data_rules", "capella_levels", "capella_rules", "fmu_rules", "neural_rules", "rule", "run_rules",
           "sd_rules", "sysml16_rules", "sysml_rules", "validate"]
=======
RULE_MODULES = ("aadl_rules", "arch_rules", "behaviour_rules", "capella_data_rules", "capella_design_rules",
                "capella_levels", "capella_physical_rules", "capella_rules", "capella_state_rules", "fmu_rules",
                "neural_rules", "sd_rules", "sysml_rules", "sysml16_rules")

__all__ = ["RULES", "Diagnostic", "Rule", "aadl_rules", "arch_rules", "behaviour_rules", "capella_data_rules",
           "capella_design_rules", "capella_levels", "capella_physical_rules", "capella_rules", "capella_state_rules",
           "fmu_rules", "neural_rules", "rule", "run_rules", "sd_rules", "sysml16_rules", "sysml_rules", "validate"]
>>>>>>> 93a9526 (Capella design and physical-nature rules (AR205-AR219): control functions that are leaves, exchanges looping on one function or allocated twice, component exchanges of kind UNSET, components no part represents, interfaces no component implements, scenario kinds against their layer, and what node and behaviour physical components may hold, deploy and sit in; the import keeps a physical component's nature and a scenario's kind; the recall oracle maps the 25 Capella rules AR200-AR219 answer)


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
