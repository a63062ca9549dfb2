"""Every SDXorg suite model with a reference output, run and compared with the suite's rule."""

from __future__ import annotations

import pytest

from tests import conformance

CASES = conformance.cases()


@pytest.mark.parametrize("case", CASES, ids=[conformance.relative(c.model) for c in CASES])
def test_suite_model(case) -> None:  # noqa: ANN001 - an sdref.Case
    passed, detail = conformance.run_case(case)
    name = conformance.relative(case.model)
    if name in conformance.KNOWN_FAILURES:
        assert not passed, f"{name} passes now: remove it from KNOWN_FAILURES"
    else:
        assert passed, detail


@pytest.mark.parametrize("suffixes", [(".mdl",), (".xmile", ".stmx")], ids=["vensim", "xmile"])
def test_pass_rate_meets_target(suffixes: tuple[str, ...]) -> None:
    runnable = [c for c in CASES if conformance.relative(c.model) not in conformance.BROKEN_FILES
                and c.model.suffix.lower() in suffixes]
    passed = sum(conformance.run_case(c)[0] for c in runnable)
    assert passed / len(runnable) >= 0.95


def test_every_known_failure_names_an_existing_model() -> None:
    names = {conformance.relative(c.model) for c in CASES}
    assert set(conformance.KNOWN_FAILURES) <= names


def test_broken_exports_are_listed_not_hidden() -> None:
    table = conformance.table([])
    for path in conformance.broken_exports():
        assert conformance.relative(path) in table


PASSING = [c for c in CASES if conformance.relative(c.model) not in conformance.KNOWN_FAILURES]


@pytest.mark.parametrize("case", PASSING, ids=[conformance.relative(c.model) for c in PASSING])
def test_python_and_c_backends_agree(case) -> None:  # noqa: ANN001 - an sdref.Case
    comparison = conformance.compare_backends(case)
    if comparison.native:
        assert comparison.agrees, f"largest relative difference {comparison.largest:.3g} ({comparison.python_backend})"
    else:
        assert comparison.note, "a model that runs in Python where C was asked for says why"
