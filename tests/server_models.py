"""Small models and repository folders for the server tests."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from app.server.batcher import Batch, RunOutput
from app.server.workers import ModelSource, run_batch
from metamodel import io
from metamodel.elements import Aux, Flow, SimSpec, Stock
from metamodel.model import Model


def cooling(initial: float = 100.0, stop: float = 10.0, dt: float = 0.5) -> Model:
    """Temperature relaxing toward Ambient with time constant Tau (parameters Tau, Ambient)."""
    model = Model(name="cooling", sim_spec=SimSpec(start=0.0, stop=stop, dt=dt))
    model.add(Stock(id="temperature", name="Temperature", equation=str(initial), outflows=["loss"]))
    model.add(Flow(id="loss", name="Loss", equation="(Temperature - Ambient) / Tau"))
    model.add(Aux(id="tau", name="Tau", equation="10"))
    model.add(Aux(id="ambient", name="Ambient", equation="20"))
    return model


def noisy() -> Model:
    """A stochastic model: a stock fed by a normally distributed inflow."""
    model = Model(name="noisy", sim_spec=SimSpec(start=0.0, stop=5.0, dt=1.0))
    model.add(Stock(id="level", name="Level", equation="0", inflows=["noise"]))
    model.add(Flow(id="noise", name="Noise", equation="NORMAL(Mean, 1)"))
    model.add(Aux(id="mean", name="Mean", equation="0"))
    return model


def write_model(repo: Path, name: str, model: Model, version: str | None = "1",
                config: dict[str, Any] | None = None) -> Path:
    """Save ``model`` as REPO/name/version/name.salver (or REPO/name.salver when version is None)."""
    if version is None:
        path = repo / f"{name}.salver"
    else:
        (repo / name / version).mkdir(parents=True, exist_ok=True)
        path = repo / name / version / f"{name}.salver"
    io.save(model, path)
    if config is not None:
        (repo / name / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return path


class CountingRunner:
    """Runs batches with the engine in the calling thread, recording each batch's run count.

    ``delay`` holds every run that long; ``hold()`` makes runs wait until ``release()``; tests wait for
    runs to start with ``wait_for_batches`` instead of sleeping.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.batches: list[Batch] = []
        self._cache: dict[str, Any] = {}
        self._arrived = threading.Condition()
        self._gate: threading.Event | None = None

    def hold(self) -> None:
        self._gate = threading.Event()

    def release(self) -> None:
        if self._gate is not None:
            self._gate.set()

    def wait_for_batches(self, count: int, timeout: float = 30.0) -> bool:
        """Block until ``count`` batches have started (False if that takes longer than ``timeout``)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.batches) >= count, timeout)

    def __call__(self, source: ModelSource, batch: Batch) -> RunOutput:
        with self._arrived:
            self.batches.append(batch)
            self._arrived.notify_all()
        if self._gate is not None:
            self._gate.wait(30.0)
        time.sleep(self.delay)
        return run_batch(self._cache, source, batch)


def infer_body(values: dict[str, list[float]], outputs: list[str] | None = None,
               **parameters: Any) -> dict[str, Any]:
    """A KServe v2 infer request with one FP64 input per parameter."""
    body: dict[str, Any] = {"inputs": [{"name": n, "shape": [len(v)], "datatype": "FP64", "data": v}
                                       for n, v in values.items()]}
    if outputs is not None:
        body["outputs"] = [{"name": n} for n in outputs]
    if parameters:
        body["parameters"] = parameters
    return body


def output(response: dict[str, Any], name: str) -> tuple[list[int], list[float]]:
    """Shape and data of the named output tensor of an infer response."""
    tensor = next(t for t in response["outputs"] if t["name"] == name)
    return tensor["shape"], tensor["data"]
