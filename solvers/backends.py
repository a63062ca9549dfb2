"""Which backend runs a call: Python (floats for one run, numpy over runs) or the compiled C program.

``backend="auto"`` uses the C program when the call is big enough to gain from it: as soon as it is
already built (cached) for calls of ``NATIVE_WORK_BUILT`` value computations or more, and builds it for
calls of ``NATIVE_WORK_BUILD`` or more. ``"native"`` asks for C whatever the size; ``"python"`` never
uses it. A model C cannot run (adaptive methods, neural components, functions without a C translation,
FMU components, no compiler) runs in Python, and the reason is given.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metamodel.errors import ModelError, SalverError
from solvers.integrators import ADAPTIVE, STAGES, Steps

if TYPE_CHECKING:
    from solvers.model_run import RunSetup
    from solvers.native import NativeLibrary
    from solvers.writers import ProgramSet

BACKENDS = ("auto", "python", "native")
NATIVE_WORK_BUILT = 2_000_000  # about 0.1 s of Python floats
NATIVE_WORK_BUILD = 100_000_000  # about 5 s of Python floats: worth a compile


class NativeFallbackWarning(UserWarning):
    """``backend="native"`` was asked for, and the run went to Python (the message says why)."""


@dataclass
class Choice:
    """The C program to run with (None: Python) and why Python runs when C was asked for."""

    native: NativeLibrary | None
    note: str = ""


def work(programs: ProgramSet, setup: RunSetup, steps: Steps) -> int:
    """Value computations of one call: equations x steps x stages x runs."""
    plan = programs.plan
    return (len(plan.run) + len(plan.stocks)) * (steps.count + 1) * STAGES.get(setup.method, 1) * setup.runs


def choose(programs: ProgramSet, setup: RunSetup, steps: Steps, requested: str, neural: bool,
           fmus: bool = False) -> Choice:
    """The backend of one call of ``run`` (``requested``: one of ``BACKENDS``)."""
    if requested not in BACKENDS:
        raise ModelError(f"unknown backend '{requested}'; choose one of {', '.join(BACKENDS)}")
    if requested == "python":
        return Choice(None)
    size = work(programs, setup, steps)
    if requested == "auto" and size < NATIVE_WORK_BUILT:
        return Choice(None)
    if setup.method in ADAPTIVE:
        return _refused(requested, f"the adaptive method {setup.method} runs through scipy in Python")
    if neural:
        return _refused(requested, "neural components run through onnxruntime in Python")
    if fmus:
        return _refused(requested, "FMU components run through fmpy in Python")
    from solvers import native
    from solvers.native_code import NativeUnsupported

    try:
        source = programs.native()
    except NativeUnsupported as refusal:
        return _refused(requested, f"C backend: {refusal}")
    if requested == "auto" and size < NATIVE_WORK_BUILD and not native.is_built(source):
        return Choice(None)
    try:
        return Choice(native.library(source))
    except SalverError as failure:
        return _refused(requested, f"C backend: {failure}")


def _refused(requested: str, why: str) -> Choice:
    if requested == "native":
        warnings.warn(f"running in Python: {why}", NativeFallbackWarning, stacklevel=4)
    return Choice(None, why)
