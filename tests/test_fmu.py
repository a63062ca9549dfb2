"""FMU components: reading, co-simulation and model exchange (FMI 2.0 and 3.0), events, many runs, export.

The FMUs are built from source by the session fixture (``tests/fmus``: the system C compiler and
CMake); results are compared with closed-form solutions or a tight scipy solution.
"""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from importers import load
from importers.fmu import open_fmu
from metamodel import io
from metamodel.elements import Aux, Flow, FmuComponent, Stock
from metamodel.errors import ModelError, ParseError, SimulationError
from metamodel.model import Model
from solvers.compiler import compile_model
from tests.fmus import build

VERSIONS = (2, 3)
INTERFACES = ("cs", "me")


@pytest.fixture(scope="session")
def fmus() -> dict[tuple[str, int], Path]:
    """Every test FMU for FMI 2.0 and 3.0, built once into the cache."""
    return {(name, version): build.build(name, version) for name in build.MODELS for version in VERSIONS}


def _copy(fmus: dict[tuple[str, int], Path], name: str, version: int, folder: Path) -> Path:
    target = folder / f"{name}.fmu"
    shutil.copy(fmus[(name, version)], target)
    return target


def _alone(path: Path, interface: str, method: str = "rk4") -> Model:
    """The model ``salver run X.fmu`` runs, through the chosen interface."""
    model, report = load(path)
    assert report.ok
    component = next(iter(model.of_kind(FmuComponent)))
    component.interface = interface
    if interface == "me":
        model.sim_spec.method = method
    return model


def _bouncing(t: np.ndarray, h0: float = 1.0, g: float = 9.81, e: float = 0.7, v_min: float = 0.1) -> np.ndarray:
    """The height of the bouncing ball in closed form: parabolas between bounces, at rest at the end."""
    height = np.zeros_like(t)
    segments = [(0.0, math.sqrt(2 * h0 / g), h0, 0.0)]
    speed, now = e * g * segments[0][1], segments[0][1]
    while speed >= v_min:
        segments.append((now, now + 2 * speed / g, 0.0, speed))
        now, speed = now + 2 * speed / g, speed * e
    for start, end, h, v in segments:
        inside = (t >= start) & (t < end)
        height[inside] = h + v * (t[inside] - start) - g / 2 * (t[inside] - start) ** 2
    return height


# -- reading ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_model_description_gives_ports_units_starts_and_experiment(fmus, version):
    model, _ = load(fmus[("BouncingBall", version)])
    component = next(iter(model.of_kind(FmuComponent)))
    assert component.fmi_version.startswith(str(version))
    assert sorted(component.interfaces) == ["cs", "me"]
    assert (component.states, component.event_indicators) == (2, 1)
    assert [(v.name, v.units, v.start) for v in component.outputs] == [("h", "m", 1.0), ("v", "m/s", 0.0)]
    assert {v.name: (v.units, v.start) for v in component.parameters} == {"g": ("m/s2", -9.81), "e": ("", 0.7)}
    assert component.experiment == (0.0, 3.0, 1e-3)
    assert model.sim_spec.stop == 3.0 and model.sim_spec.dt == 1e-3


def test_the_component_round_trips_through_salver_files(fmus, tmp_path):
    model, _ = load(fmus[("Feedthrough", 3)])
    path = tmp_path / "alone.salver"
    io.save(model, path)
    again = io.load(path)
    assert next(iter(again.of_kind(FmuComponent))) == next(iter(model.of_kind(FmuComponent)))
    types = {v.name: v.type for v in next(iter(again.of_kind(FmuComponent))).inputs}
    assert types == {"real_in": "Float64", "int_in": "Int32", "bool_in": "Boolean"}


# -- running alone ------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("interface", INTERFACES)
def test_dahlquist_matches_the_exponential_for_many_runs(fmus, version, interface):
    compiled = compile_model(_alone(fmus[("Dahlquist", version)], interface))
    rates = np.array([0.5, 1.0, 2.0])
    results = compiled.run(params={"k": rates})
    exact = np.exp(-np.outer(results.time, rates))
    assert np.max(np.abs(results["x"] - exact)) < 1e-5  # RK4 at dt = 0.1, or the FMU's Euler at 1e-5
    again = compiled.run(params={"k": rates})  # the same instances, reset between calls
    assert np.array_equal(again["x"], results["x"])
    assert len(compiled._fmu_pools[0]._idle) == 3


@pytest.mark.parametrize("interface", INTERFACES)
def test_later_calls_reset_the_same_instances_without_unpacking_again(fmus, interface, monkeypatch):
    import importers.fmu as fmu_import

    compiled = compile_model(_alone(fmus[("BouncingBall", 3)], interface))
    first = compiled.run(params={"e": [0.6, 0.8]})
    instances = list(compiled._fmu_pools[0]._idle)

    def unpack(*_args):
        raise AssertionError("the FMU was unpacked again")

    monkeypatch.setattr(fmu_import, "_unpack", unpack)
    again = compile_model(_alone(fmus[("BouncingBall", 3)], interface))  # a new compile of the same file
    assert np.array_equal(again.run(params={"e": [0.6, 0.8]})["h"], first["h"])
    later = compiled.run(params={"e": [0.8, 0.6]})  # runs swap their parameters on the reset instances
    assert [id(i) for i in compiled._fmu_pools[0]._idle] == [id(i) for i in instances]
    assert np.array_equal(later["h"][:, ::-1], first["h"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("interface", INTERFACES)
def test_bouncing_ball_handles_its_state_events(fmus, version, interface):
    results = compile_model(_alone(fmus[("BouncingBall", version)], interface)).run()
    error = np.max(np.abs(results["h"][:, 0] - _bouncing(results.time)))
    assert error < (1e-3 if interface == "cs" else 1e-4)
    assert results["h"][-1, 0] == pytest.approx(0.0, abs=1e-6) and results["v"][-1, 0] == 0.0


def test_bouncing_ball_rebounds_with_the_restitution_set_per_run(fmus):
    model = _alone(fmus[("BouncingBall", 2)], "me")
    results = compile_model(model).run(params={"e": [0.5, 0.9]})
    for run, e in enumerate((0.5, 0.9)):
        assert np.max(np.abs(results["h"][:, run] - _bouncing(results.time, e=e))) < 1e-4


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("interface", INTERFACES)
def test_van_der_pol_matches_a_tight_reference(fmus, version, interface):
    from scipy.integrate import solve_ivp

    results = compile_model(_alone(fmus[("VanDerPol", version)], interface)).run()
    reference = solve_ivp(lambda t, y: [y[1], (1 - y[0] ** 2) * y[1] - y[0]], (0, 20), [2.0, 0.0],
                          t_eval=results.time, rtol=1e-11, atol=1e-12)
    error = np.max(np.abs(results["x0"][:, 0] - reference.y[0]))
    assert error < (1e-3 if interface == "cs" else 1e-6)


def test_model_exchange_runs_on_the_adaptive_methods_without_events(fmus):
    results = compile_model(_alone(fmus[("Dahlquist", 3)], "me", method="rk45")).run()
    assert np.max(np.abs(results["x"][:, 0] - np.exp(-results.time))) < 1e-5


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("interface", INTERFACES)
def test_stair_counts_its_time_events(fmus, version, interface):
    results = compile_model(_alone(fmus[("Stair", version)], interface)).run()
    assert np.array_equal(results["counter"][:, 0], 1 + np.floor(results.time + 1e-9))


def test_refusals_name_the_reason(fmus):
    with pytest.raises(ModelError, match="fixed communication grid"):
        compile_model(_alone(fmus[("Dahlquist", 2)], "cs")).run(method="rk45")
    with pytest.raises(ModelError, match="events of a model exchange FMU"):
        compile_model(_alone(fmus[("BouncingBall", 2)], "me")).run(method="bdf")
    with pytest.warns(UserWarning, match="FMU components run through fmpy"):
        results = compile_model(_alone(fmus[("Dahlquist", 2)], "cs")).run(backend="native")
    assert results.metadata["backend"] == "vector"


# -- composition --------------------------------------------------------------------------------------
def _feedthrough_model(fmus, version: int, interface: str, folder: Path) -> Model:
    """An SD model feeding the Feedthrough FMU and reading its outputs back."""
    path = _copy(fmus, "Feedthrough", version, folder)
    model = Model(name="wired")
    model.source_path = str(folder / "wired.salver")
    model.sim_spec.stop, model.sim_spec.dt = 2.0, 0.1
    from importers.fmu import build_fmu_component

    component = build_fmu_component(model, path, name="pass", model_dir=folder)
    component.interface = interface
    feeds = {"real_in": "level * 2", "int_in": "INT(TIME)", "bool_in": "IF TIME > 1 THEN 1 ELSE 0"}
    for variable in component.inputs:
        variable.equation = feeds[variable.name]
    component.parameters[0].equation = "0.5"
    model.add(component)
    model.add(Flow(id="fill", name="fill", equation="0.1 * pass.real_out"))
    model.add(Stock(id="level", name="level", equation="1", inflows=["fill"], units="m"))
    model.add(Aux(id="count", name="count", equation="pass.int_out"))
    model.add(Aux(id="flag", name="flag", equation="pass.bool_out"))
    return model


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("interface", INTERFACES)
def test_outputs_follow_inputs_at_the_same_time(fmus, tmp_path, version, interface):
    model = _feedthrough_model(fmus, version, interface, tmp_path)
    results = compile_model(model).run()
    level, t = results["level"][:, 0], results.time
    assert np.array_equal(results["count"][:, 0], np.floor(t + 1e-9))
    assert np.array_equal(results["flag"][:, 0], (t > 1).astype(float))
    # fill = 0.1 * (2 level + 0.5) with no delay: level' = 0.2 level + 0.05, Euler steps of 0.1
    expected = [1.0]
    for _ in t[1:]:
        expected.append(expected[-1] + 0.1 * 0.1 * (2 * expected[-1] + 0.5))
    assert np.allclose(level, expected, rtol=1e-12)


def test_an_integer_input_given_a_fraction_is_an_error(fmus, tmp_path):
    model = _feedthrough_model(fmus, 2, "cs", tmp_path)
    next(iter(model.of_kind(FmuComponent))).inputs[1].equation = "TIME / 4"
    with pytest.raises(SimulationError, match="integer"):
        compile_model(model).run()


# -- bad input ----------------------------------------------------------------------------------------
def test_unsafe_archives_are_refused_before_unpacking(tmp_path, fmus):
    climbing = tmp_path / "climb.fmu"
    with zipfile.ZipFile(climbing, "w") as archive:
        archive.writestr("modelDescription.xml", "<fmiModelDescription/>")
        archive.writestr("../outside.txt", "x")
    with pytest.raises(ParseError, match="unsafe path"):
        open_fmu(climbing)
    assert not (tmp_path.parent / "outside.txt").exists()
    not_zip = tmp_path / "text.fmu"
    not_zip.write_text("hello")
    with pytest.raises(ParseError, match="not a zip"):
        load(not_zip)
    entity = tmp_path / "entity.fmu"
    with zipfile.ZipFile(entity, "w") as archive:
        archive.writestr("modelDescription.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
                                                 "<fmiModelDescription>&e;</fmiModelDescription>")
    with pytest.raises(ParseError, match="entity"):
        load(entity)


def test_an_fmu_outside_the_model_folder_or_changed_is_not_run(fmus, tmp_path):
    model = _feedthrough_model(fmus, 2, "cs", tmp_path)
    component = next(iter(model.of_kind(FmuComponent)))
    component.path = str(fmus[("Feedthrough", 2)])  # absolute, outside the model's folder
    with pytest.raises(ModelError, match="outside the model's folder"):
        compile_model(model).run()
    component.path = "Feedthrough.fmu"
    component.sha256 = "0" * 64
    with pytest.raises(ModelError, match="has changed"):
        compile_model(model).run()


# -- export ---------------------------------------------------------------------------------------------
def _sd_model() -> Model:
    model, _ = load(Path(__file__).resolve().parents[1] / "samples" / "sir.salver")
    return model


def test_export_is_a_valid_fmu_that_fmpy_runs_with_salver_s_numbers(tmp_path):
    import fmpy
    from fmpy.validation import validate_fmu

    from solvers.fmu_export import export_fmu

    model = _sd_model()
    path = export_fmu(model, tmp_path / "sir.fmu", inputs=["Contact Rate"])
    assert validate_fmu(str(path)) == []
    spec = model.sim_spec
    ours = compile_model(model).run(params={"Contact Rate": 3.0}, save_per=spec.dt)
    theirs = fmpy.simulate_fmu(str(path), step_size=spec.dt, output_interval=spec.dt,
                               start_values={"Contact Rate": 3.0})
    assert np.allclose(theirs["time"], ours.time)
    for name in ("Infected", "Recovered", "Susceptible", "Infection"):
        assert np.max(np.abs(theirs[name] - ours[name][:, 0])) <= 1e-9 * max(1.0, np.max(np.abs(ours[name])))
    description = fmpy.read_model_description(str(path))
    causality = {v.name: v.causality for v in description.modelVariables}
    assert causality["Contact Rate"] == "input" and causality["Duration"] == "parameter"
    assert causality["Infected"] == "output"


def test_an_exported_fmu_runs_as_a_component_with_the_same_numbers(tmp_path):
    from solvers.fmu_export import export_fmu

    model = _sd_model()
    path = export_fmu(model, tmp_path / "sir.fmu")
    alone, _ = load(path)
    ours = compile_model(model).run(params={"Duration": [4.0, 6.0]}, save_per=model.sim_spec.dt)
    again = compile_model(alone).run(params={"Duration": [4.0, 6.0]})
    assert np.max(np.abs(again["Infected"] - ours["Infected"])) < 1e-9


def test_export_refuses_what_an_fmu_cannot_carry(tmp_path):
    from solvers.fmu_export import ExportError, export_fmu

    model = _sd_model()
    with pytest.raises(ModelError, match="not a parameter"):
        export_fmu(model, tmp_path / "x.fmu", inputs=["Infected"])
    model.sim_spec.method = "rk45"
    with pytest.raises(ExportError, match="adaptive"):
        export_fmu(model, tmp_path / "x.fmu")
    assert not (tmp_path / "x.fmu").exists()


# -- command line -----------------------------------------------------------------------------------------
def test_cli_info_run_and_export(fmus, tmp_path, capsys):
    ball = _copy(fmus, "BouncingBall", 3, tmp_path)
    assert main(["info", str(ball), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["fmus"][0]["fmi_version"] == "3.0" and info["fmus"][0]["states"] == 2
    out = tmp_path / "ball.csv"
    assert main(["run", str(ball), "--set", "e=0.5", "--out", str(out)]) == 0
    import pandas

    table = pandas.read_csv(out)
    assert np.max(np.abs(table["h"] - _bouncing(table["time"].to_numpy(), e=0.5))) < 1e-3
    exported = tmp_path / "teacup.fmu"
    samples = Path(__file__).resolve().parents[1] / "samples"
    assert main(["export", str(samples / "teacup.salver"), str(exported)]) == 0
    assert main(["run", str(exported), "--set", "Room Temperature=20", "--out", str(tmp_path / "t.csv")]) == 0
    assert main(["export", str(samples / "teacup.salver"), str(tmp_path / "bad.fmu"), "--input", "nothing"]) == 1


# -- an FMU, an SD model and a neural component in one model ------------------------------------------------
@pytest.mark.parametrize("interface", INTERFACES)
def test_hybrid_model_runs_from_the_cli_with_the_numbers_of_its_sd_twin(tmp_path, interface):
    import pandas

    from tests.fmu_hybrid import direct, write_hybrid

    path = write_hybrid(tmp_path / "hybrid", interface)
    out = tmp_path / "hybrid.csv"
    assert main(["run", str(path), "--out", str(out)]) == 0
    table = pandas.read_csv(out)
    twin = compile_model(direct(tmp_path / "twin")).run()
    for name in ("Infected", "mobility", "Susceptible"):
        assert np.max(np.abs(table[name].to_numpy() - twin[name][:, 0])) < 1e-9 * max(1.0, np.max(twin[name]))


def test_units_are_checked_across_fmu_connections(tmp_path):
    from metamodel.validation import validate
    from tests.fmu_hybrid import write_hybrid

    path = write_hybrid(tmp_path / "hybrid")
    model = io.load(path)
    assert not [d for d in validate(model) if d.code.startswith("FM")]
    model.elements["travel"].units = "s"
    found = [d for d in validate(model) if d.code == "FM001"]
    assert len(found) == 1 and "real_in" in found[0].message and found[0].severity == "error"
    model.elements["travel"].units = "m"
    model.elements["mobility"].units = "dmnl"
    model.elements["mobility"].equation = "relay.real_out"  # m into dmnl: the FMU output's unit is known
    assert any(d.code == "SD008" and "mobility" in d.element_name for d in validate(model))


def test_the_server_serves_a_model_with_an_fmu(tmp_path):
    import asyncio

    import httpx

    from app.server.app import create_app
    from tests.fmu_hybrid import direct, write_hybrid
    from tests.server_models import CountingRunner, infer_body, output

    write_hybrid(tmp_path / "repo" / "hybrid" / "1")

    async def ask() -> dict:
        app = create_app(tmp_path / "repo", runner=CountingRunner())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://salver") as client:
                metadata = await client.get("/v2/models/hybrid")
                assert metadata.status_code == 200, metadata.text
                response = await client.post("/v2/models/hybrid/infer",
                                             json=infer_body({"reach": [8.0, 12.0]}, ["Infected"]))
                assert response.status_code == 200, response.text
                return response.json()

    body = asyncio.run(ask())
    shape, data = output(body, "Infected")
    twin = compile_model(direct(tmp_path / "twin")).run(params={"reach": [8.0, 12.0]})
    assert shape == [2, len(twin.time)]
    assert np.max(np.abs(np.reshape(data, shape) - twin["Infected"].T)) < 1e-9 * np.max(twin["Infected"])


SYSML = """<?xml version="1.0" encoding="UTF-8"?>
<xmi:XMI xmi:version="20131001" xmlns:xmi="http://www.omg.org/spec/XMI/20131001"
    xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML"
    xmlns:Blocks="http://www.eclipse.org/papyrus/sysml/1.6/SysML/Blocks"
    xmlns:DeprecatedElements="http://www.eclipse.org/papyrus/sysml/1.6/SysML/DeprecatedElements">
  <uml:Model xmi:id="model" name="Relay chain">
    <packagedElement xmi:type="uml:Class" xmi:id="Source" name="Source">
      <ownedAttribute xmi:type="uml:Port" xmi:id="Source_signal" name="signal" aggregation="composite"/>
      <ownedBehavior xmi:type="uml:OpaqueBehavior" xmi:id="Source_sd" name="source">
        <language>Salver</language><body>source.salver</body>
      </ownedBehavior>
    </packagedElement>
    <packagedElement xmi:type="uml:Class" xmi:id="Relay" name="Relay">
      <ownedAttribute xmi:type="uml:Port" xmi:id="Relay_in" name="real_in" aggregation="composite"/>
      <ownedAttribute xmi:type="uml:Port" xmi:id="Relay_out" name="real_out" aggregation="composite"/>
      <ownedBehavior xmi:type="uml:OpaqueBehavior" xmi:id="Relay_fmu" name="relay">
        <language>FMI</language><body>fmus/Feedthrough.fmu</body>
      </ownedBehavior>
    </packagedElement>
    <packagedElement xmi:type="uml:Class" xmi:id="Sink" name="Sink">
      <ownedAttribute xmi:type="uml:Port" xmi:id="Sink_x" name="x" aggregation="composite"/>
      <ownedBehavior xmi:type="uml:OpaqueBehavior" xmi:id="Sink_sd" name="sink">
        <language>Salver</language><body>sink.salver</body>
      </ownedBehavior>
    </packagedElement>
    <packagedElement xmi:type="uml:Class" xmi:id="Chain" name="Chain">
      <ownedAttribute xmi:id="p_source" name="source" type="Source" aggregation="composite"/>
      <ownedAttribute xmi:id="p_relay" name="relay" type="Relay" aggregation="composite"/>
      <ownedAttribute xmi:id="p_sink" name="sink" type="Sink" aggregation="composite"/>
      <ownedConnector xmi:id="c1" name="in">
        <end xmi:id="c1a" partWithPort="p_source" role="Source_signal"/>
        <end xmi:id="c1b" partWithPort="p_relay" role="Relay_in"/>
      </ownedConnector>
      <ownedConnector xmi:id="c2" name="out">
        <end xmi:id="c2a" partWithPort="p_relay" role="Relay_out"/>
        <end xmi:id="c2b" partWithPort="p_sink" role="Sink_x"/>
      </ownedConnector>
    </packagedElement>
  </uml:Model>
  <Blocks:Block xmi:id="b1" base_Class="Source"/>
  <Blocks:Block xmi:id="b2" base_Class="Relay"/>
  <Blocks:Block xmi:id="b3" base_Class="Sink"/>
  <Blocks:Block xmi:id="b4" base_Class="Chain"/>
  <DeprecatedElements:FlowPort xmi:id="f1" base_Port="Source_signal" direction="out"/>
  <DeprecatedElements:FlowPort xmi:id="f2" base_Port="Relay_in" direction="in"/>
  <DeprecatedElements:FlowPort xmi:id="f3" base_Port="Relay_out" direction="out"/>
  <DeprecatedElements:FlowPort xmi:id="f4" base_Port="Sink_x" direction="in"/>
</xmi:XMI>
"""


def test_a_sysml_block_whose_behaviour_is_an_fmu_runs_it(fmus, tmp_path):
    from metamodel.elements import SimSpec

    (tmp_path / "fmus").mkdir()
    shutil.copy(fmus[("Feedthrough", 2)], tmp_path / "fmus" / "Feedthrough.fmu")
    spec = SimSpec(start=0.0, stop=4.0, dt=0.5)
    source = Model(name="source", sim_spec=spec)
    source.add(Aux(id="signal", name="signal", equation="3 * TIME", units="m"))
    io.save(source, tmp_path / "source.salver")
    sink = Model(name="sink", sim_spec=spec)
    sink.add(Aux(id="x", name="x", equation="0", units="m"))
    sink.add(Stock(id="total", name="total", equation="0", inflows=["gain"]))
    sink.add(Flow(id="gain", name="gain", equation="x"))
    io.save(sink, tmp_path / "sink.salver")
    (tmp_path / "chain.uml").write_text(SYSML, encoding="utf-8")
    model, report = load(tmp_path / "chain.uml")
    assert not [e for e in report.entries if e.severity == "error"], report.entries
    results = compile_model(model).run()
    t = results.time
    assert np.allclose(results["sink.x"][:, 0], 3 * t)  # through the FMU, no delay
    assert np.allclose(results["sink.total"][:, 0], [0.5 * 3 * 0.5 * n * (n - 1) / 2 for n in range(len(t))])


def test_fmu_unit_names_are_read_through_the_fmu_s_unit_definitions(fmus, tmp_path):
    from metamodel.validation import validate

    model, _ = load(_copy(fmus, "BouncingBall", 2, tmp_path))  # g in "m/s2", defined as m*s^-2
    model.elements["g"].units = "meter/second^2"
    assert not [d for d in validate(model) if d.code == "FM001"]
    model.elements["g"].units = "m/s"
    found = [d for d in validate(model) if d.code == "FM001"]
    assert len(found) == 1 and "'g'" in found[0].message
