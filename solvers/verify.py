"""Requirements verified by simulation: each requirement's conditions checked against a run.

A requirement is checked through what satisfies or verifies it:

- SysML v2: the ``require constraint`` conditions of the requirement (and of the requirement it is a
  usage of), evaluated on each instance that satisfies it, with its attributes bound there (its
  ``subject`` is that instance);
- SysML 1: the conditions (``max_temperature <= 100``) of the constraints owned by each block that
  satisfies it;
- either: the ``PassIf`` conditions of verification cases that verify it.

The run reports each condition as a variable (1 where it holds); ``verify`` reads them from the results
and gives, per requirement, pass or fail with the time, run and value of the first violation. A
requirement without a checkable condition is ``not verified``, with the reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from metamodel.elements import Relation, Requirement
from metamodel.model import Model
from solvers.architecture import bind_architecture
from solvers.model_run import CompiledModel
from solvers.parametrics import Check
from solvers.results import Results

PASS, FAIL, NOT_VERIFIED = "pass", "fail", "not verified"


@dataclass
class CheckResult:
    """One condition on one instance: whether it held at every saved time of every run."""

    condition: str
    instance: str
    passed: bool
    time: float | None = None  # of the first violation
    run: int | None = None
    value: float | None = None  # of the condition's left side at the first violation


@dataclass
class RequirementResult:
    """The verdict on one requirement."""

    requirement_id: str
    name: str
    req_id: str
    text: str
    status: str
    checks: list[CheckResult] = field(default_factory=list)
    reason: str = ""

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def verify(model: Model | CompiledModel, results: Results) -> list[RequirementResult]:
    """The verdict on every requirement of ``model`` from ``results`` of a run of it."""
    source = model.model if isinstance(model, CompiledModel) else model
    binding = bind_architecture(source)
    by_requirement = _checks_by_requirement(source, binding.parametrics.checks)
    verdicts = []
    definitions = {r.type for r in source.of_kind(Requirement) if r.type}
    for requirement in source.of_kind(Requirement):
        checks = by_requirement.get(requirement.id, [])
        if not checks and requirement.id in definitions:
            continue  # a requirement definition: its usages are the requirements
        verdict = RequirementResult(requirement.id, requirement.name, requirement.req_id, requirement.text,
                                    NOT_VERIFIED)
        if not checks:
            verdict.reason = "no condition checks it: nothing that runs satisfies it with a constraint, and no " \
                             "verification case verifies it"
        else:
            verdict.checks = [_evaluate(check, results) for check in checks]
            verdict.status = PASS if all(c.passed for c in verdict.checks) else FAIL
        verdicts.append(verdict)
    return verdicts


def _checks_by_requirement(model: Model, checks: list[Check]) -> dict[str, list[Check]]:
    found: dict[str, list[Check]] = {}
    own: dict[str, list[Check]] = {}  # owner of the constraint -> its checks
    for check in checks:
        if check.instance.requirement is not None:
            found.setdefault(check.instance.requirement.id, []).append(check)
        own.setdefault(check.constraint.owner or "", []).append(check)
    for relation in model.of_kind(Relation):
        if relation.relation not in ("satisfy", "verify"):
            continue
        for target in relation.targets:
            if not isinstance(model.get(target), Requirement):
                continue
            if relation.relation == "satisfy" and target in found:
                continue  # the requirement's own conditions, checked on what satisfies it
            for source in relation.sources:
                found.setdefault(target, []).extend(c for c in own.get(source, ()) if c.instance.requirement is None
                                                    and source in c.instance.sources)
    return found


def _evaluate(check: Check, results: Results) -> CheckResult:
    on = check.instance.parent if check.instance.requirement is not None else check.instance
    result = CheckResult(check.text, on.label if on is not None else check.instance.label, True)
    if check.display not in results:
        result.passed = False
        result.value = None
        return result
    held = np.asarray(results[check.display], dtype=float)
    broken = ~(np.isfinite(held) & (held != 0))
    if not broken.any():
        return result
    step, run = (int(i) for i in np.argwhere(broken)[0])
    result.passed, result.time, result.run = False, float(results.time[step]), run
    if check.value_display and check.value_display in results:
        result.value = float(results[check.value_display][step, run])
    return result
