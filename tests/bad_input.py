"""Shared checks of the bad-input tests: an expected ParseError, the whole pipeline on a fuzzed file, and
the size of the fuzz and kill tests (``SALVER_FUZZ=N`` runs N times as many; the default fits CI)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import importers
import solvers
from metamodel.errors import ParseError, SalverError
from metamodel.model import Model

EXPLORE = "SALVER_FUZZ" in os.environ  # the long fuzz: more cases, new ones each run
FUZZ_SCALE = float(os.environ.get("SALVER_FUZZ", "1"))


def scaled(count: int) -> int:
    """``count`` mutants (or kills) times ``SALVER_FUZZ``, at least one: the long fuzz is opt-in."""
    return max(1, round(count * FUZZ_SCALE))


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings of a fuzz test: ``scaled(examples)`` cases, the same ones every run by default
    (a repeatable CI), new random ones each run under ``SALVER_FUZZ``."""
    return settings(max_examples=scaled(examples), deadline=None, derandomize=not EXPLORE,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def load_fails(path: Path, text: str, message: str) -> ParseError:
    """Write ``text`` to ``path`` and load it: it must fail with a ParseError matching ``message`` that
    names the file. Returns the error for further checks."""
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError, match=message) as info:
        importers.load(path)
    assert info.value.file == str(path)
    return info.value


def exercise_model(model: Model) -> None:
    """Everything Salver does with a model: validate, save and read back (.salver), export XMILE, compile
    and run a few steps. Bad content may raise a ``SalverError`` anywhere; nothing else may escape."""
    from importers import xmile_writer
    from metamodel import io
    from metamodel.validation import validate

    validate(model)
    io.from_dict(json.loads(io.dumps(model)), source=model.source_path)
    xmile_writer.dumps(model)
    compiled = solvers.compile(model)
    if not compiled.variables:
        return
    spec = model.sim_spec
    short = spec.start + 5 * spec.dt if all(map(math.isfinite, (spec.start, spec.stop, spec.dt))) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stiffness and placeholder warnings are answers too
        compiled.run(stop=min(spec.stop, short) if short is not None else None)


def exercise(path: Path) -> None:
    """Load any file and ``exercise_model`` it; only a ``SalverError`` may come out."""
    model, report = importers.load(path)
    report.diagnostics()
    exercise_model(model)


def survives(action: Callable[[], object]) -> None:
    """Run ``action``; a ``SalverError`` is an answer, any other exception fails the test (it escapes)."""
    with contextlib.suppress(SalverError):
        action()
