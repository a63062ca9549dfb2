"""Sensitivity studies: runs with their sampled parameters, chunks, Parquet output, summaries, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import solvers
from metamodel.elements import Aux, Flow, SimSpec, Stock
from metamodel.model import Model
from solvers.analysis import sensitivity as sensitivity_module
from solvers.analysis.parameters import RequestError
from solvers.analysis.sensitivity import sensitivity
from solvers.output.parquet import OutputError, RunTable, parameters_path
from tests.paths import SD_MODELS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TEACUP = SD_MODELS / "samples" / "teacup"
VARY = {"Contact Rate": "uniform(2, 6)", "duration": "triangular(3, 5, 8)"}


@pytest.fixture(scope="module")
def sir() -> solvers.CompiledModel:
    return solvers.load(SAMPLES / "sir.salver")


def noisy_model() -> Model:
    """A stock fed by a noisy inflow: its runs depend on the seed of the model's random functions."""
    model = Model(name="noisy", sim_spec=SimSpec(start=0, stop=10, dt=0.5))
    model.add(Stock("level", "Level", equation="0", inflows=["inflow"]))
    model.add(Flow("inflow", "Inflow", equation="Rate + NORMAL(0, 1)"))
    model.add(Aux("rate", "Rate", equation="1"))
    return model


def test_each_run_is_the_model_run_with_its_sampled_parameters(sir: solvers.CompiledModel) -> None:
    study = sensitivity(sir, VARY, runs=40, seed=3)
    results = study.results()
    for run in (0, 17, 39):
        alone = sir.run(params={name: values[run] for name, values in study.parameters.items()})
        np.testing.assert_allclose(results["Infected"][:, run], alone["Infected"][:, 0], rtol=1e-12)
    assert set(study.parameters) == {"Contact Rate", "Duration"}
    assert study.parameters["Duration"].min() >= 3 and study.parameters["Duration"].max() <= 8


def test_the_method_form_on_a_compiled_model_gives_the_same_study(sir: solvers.CompiledModel) -> None:
    direct = sensitivity(sir, VARY, runs=20, seed=5).results()
    method = sir.sensitivity(VARY, runs=20, seed=5).results()
    assert np.array_equal(direct["Infected"], method["Infected"])


def test_chunks_do_not_change_the_runs_of_a_deterministic_model(sir: solvers.CompiledModel) -> None:
    whole = sensitivity(sir, VARY, runs=30, seed=2, chunk_runs=100).results()
    pieces = sensitivity(sir, VARY, runs=30, seed=2, chunk_runs=7).results()
    assert np.array_equal(whole["Recovered"], pieces["Recovered"])


def test_random_functions_repeat_with_the_study_seed() -> None:
    compiled = solvers.compile(noisy_model())
    first = sensitivity(compiled, {"Rate": "uniform(0, 2)"}, runs=25, seed=8, chunk_runs=10).results()["Level"]
    again = sensitivity(compiled, {"Rate": "uniform(0, 2)"}, runs=25, seed=8, chunk_runs=10).results()["Level"]
    other = sensitivity(compiled, {"Rate": "uniform(0, 2)"}, runs=25, seed=9, chunk_runs=10).results()["Level"]
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert len({tuple(first[:, r]) for r in range(25)}) == 25  # every run has its own noise


def test_summary_holds_the_percentiles_of_all_runs_at_each_time(sir: solvers.CompiledModel) -> None:
    study = sensitivity(sir, VARY, runs=200, seed=1)
    summary = study.summary("infected")
    values = study.results()["Infected"]
    np.testing.assert_allclose(summary.mean, values.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(summary.percentile(97.5), np.percentile(values, 97.5, axis=1), rtol=1e-12)
    lows = [summary.band(level)[0] for level in (50, 75, 95, 100)]
    highs = [summary.band(level)[1] for level in (50, 75, 95, 100)]
    for narrower, wider in zip(lows, lows[1:], strict=False):
        assert np.all(wider <= narrower)
    for narrower, wider in zip(highs, highs[1:], strict=False):
        assert np.all(wider >= narrower)
    assert np.array_equal(summary.band(100)[0], values.min(axis=1))


def test_runs_stream_to_parquet_with_a_table_of_parameters(sir: solvers.CompiledModel, tmp_path: Path) -> None:
    out = tmp_path / "mc.parquet"
    study = sensitivity(sir, VARY, runs=50, seed=4, chunk_runs=16, out=out)
    table = RunTable(out)
    assert table.runs == 50 and table.file.metadata.num_rows == 50 * len(table.time)
    assert table.file.num_row_groups == 4  # one per chunk
    assert table.metadata["design"]["distributions"]["Duration"] == "triangular(3, 5, 8)"
    import pyarrow.parquet as pq

    long = pq.read_table(out, columns=["run", "time", "Infected"]).to_pandas()
    assert list(long.columns) == ["run", "time", "Infected"]
    assert long["run"].tolist()[: len(table.time) + 1] == [0] * len(table.time) + [1]
    params = table.parameters()
    assert np.array_equal(params["Contact Rate"], study.parameters["Contact Rate"])
    in_memory = sensitivity(sir, VARY, runs=50, seed=4, chunk_runs=16)
    assert np.array_equal(table.results()["Infected"], in_memory.results()["Infected"])
    from_file, from_memory = study.summary("Infected"), in_memory.summary("Infected")
    np.testing.assert_array_equal(from_file.mean, from_memory.mean)
    np.testing.assert_array_equal(from_file.percentile(2.5), from_memory.percentile(2.5))


def test_summaries_from_parquet_in_small_time_blocks_equal_one_block(sir: solvers.CompiledModel,
                                                                     tmp_path: Path) -> None:
    study = sensitivity(sir, VARY, runs=64, seed=6, chunk_runs=20, out=tmp_path / "mc.parquet")
    whole = study.summary("Recovered")
    blocks = study.summary("Recovered", memory=64 * 8 * 7)  # seven saved times per block
    np.testing.assert_array_equal(whole.median, blocks.median)
    np.testing.assert_array_equal(whole.sd, blocks.sd)


def test_a_stopped_study_leaves_no_file_behind(sir: solvers.CompiledModel, tmp_path: Path) -> None:
    out = tmp_path / "stopped.parquet"
    calls = []

    def progress(fraction: float) -> None:
        calls.append(fraction)
        if fraction > 0.3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sensitivity(sir, VARY, runs=100, seed=1, chunk_runs=10, out=out, progress=progress)
    assert calls and list(tmp_path.iterdir()) == []


def test_kept_variables_limit_the_columns(sir: solvers.CompiledModel, tmp_path: Path) -> None:
    study = sensitivity(sir, VARY, runs=10, seed=1, out=tmp_path / "x.parquet", variables=["infected"])
    assert RunTable(tmp_path / "x.parquet").variables == ["Infected"]
    with pytest.raises(RequestError, match="was not kept"):
        study.summary("Recovered")


@pytest.mark.parametrize("path", [TEACUP / "teacup.mdl", TEACUP / "teacup.xmile"])
def test_sensitivity_of_imported_vensim_and_xmile_models(path: Path) -> None:
    compiled = solvers.load(path)
    study = sensitivity(compiled, {"Characteristic Time": "uniform(5, 15)"}, runs=30, seed=2)
    final = study.results()["Teacup Temperature"][-1]
    times = study.parameters["Characteristic Time"]
    order = np.argsort(times)
    assert np.all(np.diff(final[order]) > 0)  # a slower cup stays warmer
    assert study.summary("Teacup Temperature").band(100)[1][0] == pytest.approx(180)


def test_sensitivity_of_an_xmile_model_with_modules() -> None:
    compiled = solvers.load(SD_MODELS / "samples" / "bpowers-hares_and_lynxes_modules" / "model.xmile")
    study = sensitivity(compiled, {"hares.birth fraction": "normal(1.25, 0.1, low=1, high=1.5)"}, runs=20, seed=1)
    hares = study.results()["hares.hares"]
    assert hares.shape == (len(study.time), 20) and np.unique(hares[-1]).size == 20


@pytest.mark.parametrize(("vary", "message"), [
    ({"Contact Rat": "uniform(1, 2)"}, "'Contact Rat' is not in the model; the constants that can vary are: "),
    ({"Infected": "uniform(1, 2)"}, "is computed by an equation"),
    ({"Contact Rate": "uniform(2, 1)"}, "a < b"),
    ({"Contact Rate": "uniform(1, 2)", "contact_rate": "uniform(1, 2)"}, "named twice"),
])
def test_bad_requests_name_what_is_wrong(sir: solvers.CompiledModel, vary: dict, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        sensitivity(sir, vary, runs=5)


def test_simulation_controls_of_vensim_models_cannot_vary() -> None:
    compiled = solvers.load(TEACUP / "teacup.mdl")
    with pytest.raises(RequestError, match="simulation control"):
        sensitivity(compiled, {"FINAL TIME": "uniform(20, 40)"}, runs=5)


def test_output_must_be_parquet_and_memory_is_bounded(sir: solvers.CompiledModel, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RequestError, match="written as Parquet"):
        sensitivity(sir, VARY, runs=5, out=tmp_path / "x.csv")
    monkeypatch.setattr(sensitivity_module, "MEMORY_LIMIT", 1000)
    with pytest.raises(RequestError, match="write them to a file"):
        sensitivity(sir, VARY, runs=50)


def test_a_file_that_is_not_a_table_of_runs_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet at all")
    with pytest.raises(OutputError, match="not a readable Parquet file"):
        RunTable(junk)


def test_parameters_file_sits_beside_the_runs() -> None:
    assert parameters_path("out/mc.parquet") == Path("out/mc.parameters.parquet")
