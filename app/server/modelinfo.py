"""What the server needs to know about a model version: its parameters, variables, specs, randomness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metamodel.equations.ast import Call, walk
from metamodel.equations.parser import parse
from metamodel.errors import ParseError
from metamodel.model import Model

if TYPE_CHECKING:
    from solvers.model_run import CompiledModel

# Builtins whose value is drawn at random: a model using any of them is stochastic.
RANDOM_FUNCTIONS = frozenset({"random", "uniform", "normal", "lognormal", "poisson", "exprnd"})


@dataclass(frozen=True)
class ModelInfo:
    """Inputs (parameter defaults), outputs (variables), default sim specs, whether runs are random, how
    many stocks the state holds, and the files beside the model file that it reads (ONNX networks)."""

    parameters: dict[str, float]
    variables: list[str]
    sim_spec: dict[str, float | str]
    stochastic: bool
    stocks: int = 0
    files: tuple[str, ...] = ()


def _equations(model: Model) -> Iterator[str]:
    for variable in model.variables():
        yield variable.equation
        yield from variable.element_equations.values()
    for submodel in model.submodels.values():
        yield from _equations(submodel)


def is_stochastic(model: Model) -> bool:
    """True when an equation of the model (or a submodel) calls a random builtin."""
    for text in _equations(model):
        try:
            tree = parse(text)
        except ParseError:
            continue
        if any(isinstance(node, Call) and node.canonical in RANDOM_FUNCTIONS for node in walk(tree)):
            return True
    return False


def describe(path: str | os.PathLike[str]) -> ModelInfo:
    """Load and compile the model file at ``path`` (raises its ParseError/ModelError) and describe it."""
    import solvers

    return describe_compiled(solvers.load(path))


def describe_compiled(compiled: CompiledModel) -> ModelInfo:
    """The ModelInfo of a compiled model."""
    from solvers.neural import model_dir

    spec = compiled.sim_spec
    base = model_dir(compiled.model)
    files = tuple(sorted({str((base / use.component.path).resolve()) for use in compiled.neural
                          if use.component.path}))
    return ModelInfo(
        parameters={name: float(value) for name, value in compiled.parameters.items()},
        variables=list(compiled.variables),
        sim_spec={"start": float(spec.start), "stop": float(spec.stop), "dt": float(spec.dt),
                  "save_per": float(spec.save_per if spec.save_per is not None else spec.dt),
                  "method": spec.method},
        stochastic=is_stochastic(compiled.model),
        stocks=len(compiled.layout.stocks),
        files=files,
    )
