"""Studies on Dask: the same numbers as in this process, chunks as tasks, the cluster always shut down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import solvers
from solvers.analysis import distributed
from solvers.analysis.indices import global_sensitivity
from solvers.analysis.parameters import RequestError
from solvers.analysis.sensitivity import sensitivity
from tests.test_analysis_sensitivity import VARY, noisy_model

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """Two in-process workers on loopback (threads: no processes to spawn), closed after the module."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as local, Client(local) as client:
        yield client


def read(path: Path):  # noqa: ANN201 - a pyarrow Table
    import pyarrow.parquet as pq

    return pq.read_table(path)


def test_a_study_on_dask_writes_the_same_parquet_as_in_process(cluster: object, tmp_path: Path) -> None:
    sir = solvers.load(SAMPLES / "sir.salver")
    here = sensitivity(sir, VARY, runs=90, seed=7, chunk_runs=20, out=tmp_path / "here.parquet")
    there = sensitivity(sir, VARY, runs=90, seed=7, chunk_runs=20, out=tmp_path / "there.parquet", scheduler=cluster)
    assert read(tmp_path / "here.parquet").equals(read(tmp_path / "there.parquet"))
    assert read(tmp_path / "here.parameters.parquet").equals(read(tmp_path / "there.parameters.parquet"))
    assert np.array_equal(here.summary("Infected").percentile(95 / 2 + 50),
                          there.summary("Infected").percentile(95 / 2 + 50))


def test_random_functions_give_the_same_runs_on_dask(cluster: object) -> None:
    compiled = solvers.compile(noisy_model())
    here = sensitivity(compiled, {"Rate": "uniform(0, 2)"}, runs=35, seed=3, chunk_runs=8).results()
    there = sensitivity(compiled, {"Rate": "uniform(0, 2)"}, runs=35, seed=3, chunk_runs=8,
                        scheduler=cluster).results()
    assert np.array_equal(here["Level"], there["Level"])


def test_studies_of_one_model_follow_each_other_on_one_cluster(cluster: object) -> None:
    """Each study scatters the model under its own key: the first study's release never removes the next
    study's copy."""
    sir = solvers.load(SAMPLES / "sir.salver")
    first = sensitivity(sir, VARY, runs=40, seed=5, chunk_runs=4, scheduler=cluster).results()["Infected"]
    for _ in range(3):
        again = sensitivity(sir, VARY, runs=40, seed=5, chunk_runs=4, scheduler=cluster).results()["Infected"]
        assert np.array_equal(first, again)


def test_each_task_is_a_chunk_of_runs(cluster: object) -> None:
    sir = solvers.load(SAMPLES / "sir.salver")
    seen: list[int] = []
    original = distributed.run_chunk

    def counting(compiled, chunk, options, progress=None):  # noqa: ANN001, ANN202
        seen.append(chunk.runs)
        return original(compiled, chunk, options, progress)

    distributed.run_chunk = counting
    try:
        sensitivity(sir, VARY, runs=50, seed=1, chunk_runs=16, scheduler=cluster)
    finally:
        distributed.run_chunk = original
    assert sorted(seen) == [2, 16, 16, 16]


def test_indices_on_dask_equal_the_indices_in_process(cluster: object) -> None:
    sir = solvers.load(SAMPLES / "sir.salver")
    vary = {"Contact Rate": "uniform(2, 6)", "Duration": "uniform(3, 7)"}
    here = global_sensitivity(sir, vary, "Infected", statistic="max", samples=64, seed=2)
    there = global_sensitivity(sir, vary, "Infected", statistic="max", samples=64, seed=2, scheduler=cluster)
    assert here.values == there.values


def test_a_scheduler_address_is_used_like_a_client(cluster: object) -> None:
    sir = solvers.load(SAMPLES / "sir.salver")
    address = cluster.scheduler.address  # type: ignore[attr-defined]
    here = sensitivity(sir, VARY, runs=12, seed=4, chunk_runs=5).results()["Recovered"]
    there = sensitivity(sir, VARY, runs=12, seed=4, chunk_runs=5, scheduler=address).results()["Recovered"]
    assert np.array_equal(here, there)


def test_an_unreachable_scheduler_and_bad_worker_counts_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    sir = solvers.load(SAMPLES / "sir.salver")
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(RequestError, match="cannot reach the Dask scheduler"):
        sensitivity(sir, VARY, runs=4, scheduler="tcp://127.0.0.1:9")
    with pytest.raises(RequestError, match="positive whole number"):
        sensitivity(sir, VARY, runs=4, workers=0)
    with pytest.raises(RequestError, match="not both"):
        sensitivity(sir, VARY, runs=4, workers=1, scheduler="tcp://127.0.0.1:9")
