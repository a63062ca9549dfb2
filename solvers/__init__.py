"""The execution engine: compile a model to vectorized code and run it.

Two lines for notebooks and scripts::

    model = solvers.load("model.xmile")
    results = model.run(params={"contact rate": [2, 3, 4]})
"""

from __future__ import annotations

import os
from typing import Any

from metamodel.model import Model
from solvers.compiler import compile_model
from solvers.model_run import CompiledModel
from solvers.results import Results

__all__ = ["CompiledModel", "Results", "compile", "load", "simulate"]


def compile(model: Model) -> CompiledModel:  # noqa: A001 - the engine's public verb
    """Compile ``model``; raises ModelError carrying the diagnostics when it cannot run."""
    return compile_model(model)


def load(path: str | os.PathLike[str], *, allow_placeholders: bool = False) -> CompiledModel:
    """Load any file Salver reads (``.salver``, ``.xmile``, ``.stmx``, ``.mdl``, …) and compile it.

    A file whose import reported errors (something dropped, or replaced by a placeholder value) raises
    ``IncompleteImport``; ``allow_placeholders=True`` compiles it anyway, with a ``PlaceholderWarning``.
    """
    from importers import load as import_file

    model, report = import_file(path)
    report.require_complete(allow_placeholders=allow_placeholders)
    return compile_model(model)


def simulate(path: str | os.PathLike[str], *, allow_placeholders: bool = False, **run_options: Any) -> Results:
    """Load, compile and run a model file in one call; ``run_options`` go to ``CompiledModel.run``."""
    return load(path, allow_placeholders=allow_placeholders).run(**run_options)
