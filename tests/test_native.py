"""The native (C) backend: same numbers as Python, cached builds, the choice of backend, the fallback."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import solvers
from metamodel.elements import Aux, Flow, GraphicalFunction, SimSpec, Stock
from metamodel.errors import ModelError, SimulationError
from metamodel.model import Model
from solvers import backends, native
from solvers.backends import NativeFallbackWarning
from solvers.runtime import Lookup
from tests.paths import ROOT

HAS_COMPILER = native.find_compiler() is not None
needs_compiler = pytest.mark.skipif(not HAS_COMPILER, reason="no C compiler on this machine: the fallback tests run")


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Builds of this module go to one folder of the test session."""
    folder = tmp_path_factory.getbasetemp() / "native-cache"
    monkeypatch.setenv("SALVER_CACHE_DIR", str(folder))
    return folder / "native"


def kitchen_sink(method: str = "euler") -> Model:
    """A model that uses every construct the C backend translates."""
    model = Model(name="sink", sim_spec=SimSpec(start=0, stop=12, dt=0.25, save_per=0.5, method=method))
    table = GraphicalFunction(ypts=[0, 1, 4, 4, 9], xpts=[0, 1, 2, 2, 3])
    equations = {
        "inputs": "STEP(2, 3) + RAMP(0.5, 2, 6) + RAMP(1, 4) + PULSE(5, 2, 3) + PULSE(1, 1)",
        "vensim": "VENSIM_PULSE(2, 1.5) + PULSE_TRAIN(1, 0.5, 2, 9)",
        "math": "ABS(-TIME) + EXP(-TIME / 10) + LN(1 + TIME) + LOG10(2 + TIME) + SQRT(TIME) + SIN(TIME) "
                "+ COS(TIME) + TAN(TIME / 7) + ARCSIN(0.3) + ARCCOS(0.2) + ARCTAN(TIME) + COSH(0.1 * TIME) "
                "+ SINH(0.1 * TIME) + TANH(TIME - 3) + LOG(TIME + 2, 3) + 2 ^ (TIME / 4) + PI",
        "rounding": "INT(TIME * 1.7 - 3) + INTEGER(2.5 - TIME) + ROUND(TIME * 0.5) + SIGN(TIME - 6) "
                    "+ QUANTUM(TIME * 3.3, 2) + MODULO(TIME - 7, 3) + (TIME - 7) MOD 3",
        "logic": "IF TIME > 3 AND NOT (TIME > 8) OR TIME = 10 THEN 1 ELSE -1",
        "division": "ZIDZ(TIME, TIME - 4) + XIDZ(1, TIME - 5, 7) + SAFEDIV(TIME, 2)",
        "extremes": "MIN(TIME, 5, 3 + TIME / 2) + MAX(2, TIME - 1) + SUM(TIME, 1, 2) + MEAN(TIME, 3) + "
                    "PROD(2, TIME) + SIZE(1, 2, 3) + DT + STARTTIME + STOPTIME",
        "looked up": "LOOKUP(shape, TIME / 4) + LOOKUP_EXTRAPOLATE(shape, TIME / 2 - 1) + "
                     "LOOKUP_FORWARD(shape, TIME / 3) + LOOKUP_BACKWARD(shape, TIME / 3)",
        "memories": "INIT(TIME + 1) + PREVIOUS(TIME, 4) + SAMPLE_IF_TRUE(MODULO(TIME, 2) = 0, TIME, -1)",
        "delayed": "DELAY_FIXED(TIME * 2, 1.5, 3) + DELAY(TIME, 1) + SMTH1(TIME, 2) + SMTH3(TIME, 3) + "
                   "DELAY1(TIME, 2) + DELAY3(TIME, 3) + TREND(1 + TIME, 2, 0.1) + FORCST(1 + TIME, 2, 1)",
        "constant": "0.3",
    }
    for name, equation in equations.items():
        model.add(Aux(name.replace(" ", "_"), name, equation=equation))
    model.add(Aux("shape", "shape", gf=table))
    model.add(Aux("graph", "graph", equation="TIME / 4", gf=GraphicalFunction(ypts=[3, 1, 2], type="discrete",
                                                                             xscale=(0, 2))))
    model.add(Stock("tank", "tank", equation="5 * constant", inflows=["fill"], outflows=["drain"], non_negative=True))
    model.add(Flow("fill", "fill", equation="1 - TIME / 6"))
    model.add(Flow("drain", "drain", equation="tank * 0.4 - 0.5", non_negative=True))
    return model


def both(model: Model, **options: object) -> tuple[solvers.Results, solvers.Results]:
    compiled = solvers.compile(model)
    return compiled.run(backend="python", **options), compiled.run(backend="native", **options)


def assert_identical(python: solvers.Results, compiled: solvers.Results) -> None:
    assert compiled.metadata["backend"] == "native", compiled.metadata.get("backend_note")
    assert python.names == compiled.names
    np.testing.assert_array_equal(python.time, compiled.time)
    for name in python.names:
        np.testing.assert_array_equal(python[name], compiled[name], err_msg=name)


# -- the same numbers ---------------------------------------------------------------------------------------
@needs_compiler
@pytest.mark.parametrize("method", ["euler", "rk2", "rk4"])
def test_every_translated_construct_gives_the_python_numbers(method: str) -> None:
    python, compiled = both(kitchen_sink(method))
    assert python.metadata["backend"] == "scalar"
    assert_identical(python, compiled)


@needs_compiler
def test_a_batch_gives_each_run_the_single_run_numbers() -> None:
    values = [0.1, 0.3, 0.7]
    compiled = solvers.compile(kitchen_sink())
    batch = compiled.run(params={"constant": values}, backend="native")
    assert batch.metadata["backend"] == "native" and batch.runs == 3
    for run, value in enumerate(values):
        single = compiled.run(params={"constant": value}, backend="python")
        for name in single.names:
            np.testing.assert_array_equal(batch[name][:, run], single[name][:, 0], err_msg=name)


@needs_compiler
@pytest.mark.parametrize("kind", ["continuous", "discrete", "extrapolate", "forward", "backward", "other"])
def test_graphical_functions_match_at_every_kind_of_point(kind: str) -> None:
    xs, ys = [0.0, 1.0, 1.0, 2.5, 4.0], [2.0, -1.0, 3.0, 3.0, 10.0]
    probes = [-1.0, 0.0, 0.5, 1.0, 1.5, 2.5, 3.999, 4.0, 7.0, 1e300, -1e300, 1e-300]
    model = Model(name="tables", sim_spec=SimSpec(start=0, stop=len(probes) - 1, dt=1))
    model.add(Aux("probe", "probe", equation="0", gf=GraphicalFunction(ypts=probes, xscale=(0, len(probes) - 1),
                                                                      type="discrete")))
    model.add(Aux("g", "g", equation="probe(TIME)", gf=GraphicalFunction(ypts=ys, xpts=xs, type=kind)))
    python, compiled = both(model)
    assert_identical(python, compiled)
    table = Lookup(GraphicalFunction(ypts=ys, xpts=xs, type=kind))
    np.testing.assert_array_equal(python["g"][:, 0], [table(x) for x in probes])


@needs_compiler
def test_division_by_zero_is_the_same_error_on_both_backends() -> None:
    model = Model(name="fault", sim_spec=SimSpec(start=0, stop=5, dt=1))
    model.add(Aux("x", "x", equation="1 / (TIME - 2)"))
    for backend in ("python", "native"):
        with pytest.raises(SimulationError, match="infinite") as caught:
            solvers.compile(model).run(backend=backend)
        assert (caught.value.variable, caught.value.time) == ("x", 2.0)


@needs_compiler
def test_a_stock_model_dividing_by_zero_at_the_start_is_the_same_error_on_both_backends() -> None:
    model = Model(name="cooling", sim_spec=SimSpec(start=0, stop=5, dt=1))
    model.add(Stock("t", "Temperature", equation="100", outflows=["loss"]))
    model.add(Flow("loss", "Loss", equation="(Temperature - 20) / Tau"))
    model.add(Aux("tau", "Tau", equation="10"))
    compiled = solvers.compile(model)
    for backend in ("python", "native"):
        for runs in (1, 3):  # one run steps in floats, where 1 / 0 raises
            with pytest.raises(SimulationError, match="infinite") as caught:
                compiled.run({"Tau": np.zeros(runs)}, runs=runs, backend=backend)
            assert (caught.value.variable, caught.value.time) == ("Loss", 0.0)


@needs_compiler
def test_intermediate_infinities_follow_ieee_on_both_backends() -> None:
    model = Model(name="ieee", sim_spec=SimSpec(start=0, stop=5, dt=1))
    model.add(Aux("x", "x", equation="1 / (2 + 1 / (TIME - 2))"))
    python, compiled = both(model)
    assert python.metadata["backend"] == "vector"  # the scalar run met 1/0 and went on in IEEE numpy
    np.testing.assert_allclose(compiled["x"], python["x"], rtol=1e-15)


# -- builds and the cache -------------------------------------------------------------------------------------
@needs_compiler
def test_a_build_is_cached_by_the_program_hash(private_cache: Path) -> None:
    model = kitchen_sink()
    model.add(Aux("marker", "marker", equation="TIME * 12345.678"))  # a program no other test builds
    source = solvers.compile(model).programs.native()
    assert not native.is_built(source)
    solvers.compile(model).run(backend="native")
    assert native.is_built(source)
    built = list(private_cache.glob("sv_*.so"))
    assert native.digest(source) in {p.stem[3:] for p in built}
    again = solvers.compile(model).programs.native()
    assert native.digest(again) == native.digest(source)


@needs_compiler
def test_processes_building_the_same_model_at_once_all_succeed(tmp_path: Path) -> None:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from tests.test_native import kitchen_sink; "
            "import solvers; from metamodel.elements import Aux; m = kitchen_sink(); "
            "m.add(Aux('race', 'race', equation='TIME * 7.5')); "
            "r = solvers.compile(m).run(backend='native'); print(r.metadata['backend'], r['tank'][-1, 0])")
    env = {"SALVER_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    workers = [subprocess.Popen([sys.executable, "-c", code, str(ROOT)], stdout=subprocess.PIPE, text=True, env=env)
               for _ in range(3)]
    outputs = [w.communicate(timeout=600)[0].split() for w in workers]
    assert all(w.returncode == 0 for w in workers)
    assert {tuple(o) for o in outputs} == {tuple(outputs[0])} and outputs[0][0] == "native"
    assert len(list((tmp_path / "native").glob("sv_*.so"))) == 1
    assert not list((tmp_path / "native").glob("build-*"))


def test_without_a_compiler_runs_stay_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "/nonexistent/cc")
    model = kitchen_sink()
    model.add(Aux("uncompiled", "uncompiled", equation="TIME * 42.25"))  # never built anywhere
    compiled = solvers.compile(model)
    with pytest.warns(NativeFallbackWarning, match="no C compiler"):
        results = compiled.run(backend="native")
    assert results.metadata["backend"] == "scalar" and "no C compiler" in results.metadata["backend_note"]
    np.testing.assert_array_equal(results["tank"], compiled.run(backend="python")["tank"])
    monkeypatch.setattr(backends, "NATIVE_WORK_BUILT", 0)
    monkeypatch.setattr(backends, "NATIVE_WORK_BUILD", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # auto never warns: it simply runs in Python
        assert compiled.run().metadata["backend"] == "scalar"


def test_constructs_without_translation_run_in_python_and_say_which() -> None:
    model = kitchen_sink()
    model.add(Aux("noise", "noise", equation="NORMAL(0, 1)"))
    with pytest.warns(NativeFallbackWarning, match="NORMAL"):
        results = solvers.compile(model).run(backend="native", seed=3)
    assert results.metadata["backend"] == "scalar" and "NORMAL" in results.metadata["backend_note"]


def test_adaptive_methods_run_in_python() -> None:
    model = Model(name="decay", sim_spec=SimSpec(start=0, stop=4, dt=0.5))
    model.add(Stock("s", "s", equation="1", outflows=["out"]))
    model.add(Flow("out", "out", equation="s / 2"))
    with pytest.warns(NativeFallbackWarning, match="rk45"):
        results = solvers.compile(model).run(backend="native", method="rk45")
    assert results.metadata["backend"] == "vector"
    np.testing.assert_allclose(results["s"][:, 0], np.exp(-results.time / 2), rtol=1e-5)


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ModelError, match="unknown backend 'gpu'"):
        solvers.compile(kitchen_sink()).run(backend="gpu")


# -- which backend auto picks -----------------------------------------------------------------------------
@needs_compiler
def test_auto_uses_c_for_big_calls_once_built_and_python_for_small_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    model = kitchen_sink()
    model.add(Aux("sized", "sized", equation="TIME * 3.25"))
    compiled = solvers.compile(model)
    assert compiled.run().metadata["backend"] == "scalar"  # small, and not built
    work = backends.work(compiled.programs, compiled._setup({}, None, None, None, None, None, None, None, None),
                         solvers.model_run.integrators.grid(model.sim_spec))
    monkeypatch.setattr(backends, "NATIVE_WORK_BUILT", work)
    monkeypatch.setattr(backends, "NATIVE_WORK_BUILD", work + 1)
    assert compiled.run().metadata["backend"] == "scalar"  # big enough once built, not worth a build
    monkeypatch.setattr(backends, "NATIVE_WORK_BUILD", work)
    assert compiled.run().metadata["backend"] == "native"  # worth a build
    monkeypatch.setattr(backends, "NATIVE_WORK_BUILD", work + 1)
    assert solvers.compile(model).run().metadata["backend"] == "native"  # built: used
    assert compiled.run(runs=2).metadata["backend"] == "native"
    assert compiled.run(backend="python").metadata["backend"] == "scalar"


# -- streaming ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["python", "native"])
def test_streamed_blocks_make_up_the_whole_run(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend == "native" and not HAS_COMPILER:
        pytest.skip("no C compiler")
    monkeypatch.setattr(solvers.model_run.integrators, "CHUNK_STEPS", 7)
    compiled = solvers.compile(kitchen_sink())
    whole = compiled.run(backend=backend)
    blocks = list(compiled.stream(backend=backend))
    assert len(blocks) > 3 and all(b.metadata["backend"] == whole.metadata["backend"] for b in blocks)
    np.testing.assert_array_equal(np.concatenate([b.time for b in blocks]), whole.time)
    for name in whole.names:
        np.testing.assert_array_equal(np.concatenate([b[name] for b in blocks]), whole[name], err_msg=name)


def test_a_stream_that_meets_a_division_by_zero_goes_on_in_ieee_arithmetic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solvers.model_run.integrators, "CHUNK_STEPS", 2)
    model = Model(name="late", sim_spec=SimSpec(start=0, stop=8, dt=1))
    model.add(Aux("x", "x", equation="1 / (2 + 1 / (TIME - 5))"))
    blocks = list(solvers.compile(model).stream(backend="python"))
    times = np.concatenate([b.time for b in blocks])
    np.testing.assert_array_equal(times, np.arange(9.0))
    assert blocks[0].metadata["backend"] == "scalar" and blocks[-1].metadata["backend"] == "vector"
    np.testing.assert_allclose(np.concatenate([b["x"][:, 0] for b in blocks]),
                               [1 / (2 + 1 / (t - 5)) if t != 5 else 0.0 for t in range(9)])


def test_neural_components_run_in_python_whatever_the_backend() -> None:
    compiled = solvers.load(ROOT / "samples" / "sir_neural" / "sir_neural.salver")
    with pytest.warns(NativeFallbackWarning, match="neural"):
        asked = compiled.run(backend="native")
    assert asked.metadata["backend"] == "vector" and "onnxruntime" in asked.metadata["backend_note"]
    automatic = compiled.run()
    for name in automatic.names:
        np.testing.assert_array_equal(asked[name], automatic[name], err_msg=name)


@needs_compiler
def test_a_damaged_cache_entry_is_built_again(private_cache: Path) -> None:
    model = kitchen_sink()
    model.add(Aux("broken", "broken", equation="TIME * 99.5"))
    compiled = solvers.compile(model)
    entry = private_cache / f"sv_{native.digest(compiled.programs.native())}.so"
    private_cache.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(b"not a shared library")
    assert_identical(compiled.run(backend="python"), compiled.run(backend="native"))
    assert entry.read_bytes()[:4] == b"\x7fELF" or sys.platform != "linux"


@needs_compiler
def test_later_processes_read_the_ffi_description_from_the_cache(private_cache: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "_FFI", None)  # as a fresh process
    monkeypatch.setattr(native, "_LOADED", {})
    compiled = solvers.compile(kitchen_sink())
    expected = compiled.run(backend="native")
    assert len(list(private_cache.glob("sv_ffi_*.py"))) == 1
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from tests.test_native import kitchen_sink; "
            "import solvers; r = solvers.compile(kitchen_sink()).run(backend='native'); "
            "print(r.metadata['backend'], 'pycparser' in sys.modules, 'cffi' in sys.modules, r['tank'][-1, 0].hex())")
    env = {"SALVER_CACHE_DIR": str(private_cache.parent), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, env=env,
                          timeout=600, check=True)
    assert done.stdout.split() == ["native", "False", "False", expected["tank"][-1, 0].hex()]


@needs_compiler
def test_a_damaged_ffi_description_is_written_again(private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = solvers.compile(kitchen_sink())
    compiled.run(backend="native")
    (saved,) = private_cache.glob("sv_ffi_*.py")
    for damage in ("ffi = (", "import _no_such_module\n", ""):
        saved.write_text(damage)
        monkeypatch.setattr(native, "_FFI", None)  # as a fresh process
        monkeypatch.setattr(native, "_LOADED", {})
        assert_identical(compiled.run(backend="python"), compiled.run(backend="native"))
        assert "_cffi_backend.FFI(" in saved.read_text()
