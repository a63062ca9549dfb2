"""The native .salver format: exact round trips, deterministic text, atomic saves, clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from metamodel import io
from metamodel.elements import (
    Aux,
    Block,
    Connector,
    ConnectorEnd,
    Dimension,
    Flow,
    FlowProperty,
    GraphicalFunction,
    Interface,
    Module,
    ModuleConnection,
    NeuralComponent,
    NeuralPort,
    Part,
    Port,
    Relation,
    Requirement,
    SimSpec,
    Stock,
)
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.views import Link, Note, Shape, View
from tests.paths import SD_MODELS


def rich_model() -> Model:
    """One element of most kinds, arrays, views, a submodel and unit definitions."""
    sub = Model(name="econ")
    sub.add(Aux("gdp", "gdp", equation="input * 2"))
    m = Model(name="everything", doc="doc text", units_defs={"head": "person"},
              sim_spec=SimSpec(start=1.5, stop=10, dt=0.25, save_per=0.5, method="rk4", time_units="years"),
              dimensions=[Dimension("Region", ["north", "south"])], submodels={"econ": sub})
    m.add(Stock("pop", "Population", equation="100", units="people", inflows=["births"], non_negative=True,
                dimensions=["Region"], element_equations={"north": "60"}))
    m.add(Flow("births", "births", equation="pop * 0.1", non_negative=True, range=(0.0, 5.0)))
    m.add(Aux("fx", "effect", equation="TIME", gf=GraphicalFunction([0.0, 1.0], [0.0, 2.0], (0.0, 2.0), None,
                                                                     "extrapolate")))
    m.add(Module("mod", "economy", model_name="econ", connections=[ModuleConnection("input", "births")]))
    m.add(Block("b", "Pump", behavior="mod"))
    m.add(Part("p", "pump1", owner="b", type="b", upper=None))
    m.add(Port("po", "out", owner="b", direction="out", units="kg/s", conjugated=True))
    m.add(Connector("c", "c", ends=[ConnectorEnd("po", "p", ["x"]), ConnectorEnd("po")]))
    m.add(Interface("i", "Fluid", flow_properties=[FlowProperty("water", "out", units="kg/s")]))
    m.add(Requirement("r", "R1", req_id="REQ-1", text="shall pump"))
    m.add(Relation("rel", "", relation="satisfy", sources=["b"], targets=["r"]))
    m.add(NeuralComponent("nn", "policy", path="nets/p.onnx", sha256="ab" * 32,
                          inputs=[NeuralPort("x", [None, 2], equation="pop; births", units="people")],
                          outputs=[NeuralPort("y", [None, 1])]))
    m.views.append(View("v", "Main", shapes={"pop": Shape(1, 2, 3, 4, [(0.0, 1.0), (2.0, 3.0)], "top")},
                        links={"l": Link("pop", "births", 45.0, [(1.0, 1.0)])}, notes={"n": Note("hello", 1, 2)}))
    m.views.append(View("bv", "Blocks", kind="block"))
    return m


def test_round_trip_is_equal(tmp_path: Path) -> None:
    model = rich_model()
    path = tmp_path / "m.salver"
    io.save(model, path)
    loaded = io.load(path)
    assert loaded.equal_content(model)
    assert io.dumps(loaded) == io.dumps(model)
    assert loaded.source_path == str(path)
    assert loaded.elements["fx"].gf.xscale == (0.0, 2.0)
    assert loaded.views[0].shapes["pop"].points == [(0.0, 1.0), (2.0, 3.0)]
    assert loaded.elements["p"].upper is None
    assert isinstance(loaded.submodels["econ"].elements["gdp"], Aux)


def test_open_range_bounds_load_back(tmp_path: Path) -> None:
    """Vensim's ``[0,?]`` is an open bound (an infinity): a saved model with one opens again."""
    model = Model()
    model.add(Aux("a", "a", equation="1", range=(0.0, float("inf"))))
    model.add(Aux("b", "b", equation="1", range=(float("-inf"), 5.0)))
    io.save(model, tmp_path / "m.salver")
    loaded = io.load(tmp_path / "m.salver")
    assert loaded.elements["a"].range == (0.0, float("inf"))
    assert loaded.elements["b"].range == (float("-inf"), 5.0)
    data = json.loads(io.dumps(model))
    data["elements"]["b"]["range"] = [-(10**400), 10**400]
    assert io.from_dict(data).elements["b"].range == (float("-inf"), float("inf"))


def test_an_imported_vensim_model_with_open_ranges_saves_and_opens_again(tmp_path: Path) -> None:
    import importers

    model, _ = importers.load(SD_MODELS / "samples" / "teacup" / "teacup.mdl")
    assert model.find("Characteristic Time").range == (0.0, float("inf"))
    io.save(model, tmp_path / "teacup.salver")
    assert io.load(tmp_path / "teacup.salver").equal_content(model)


def test_text_is_deterministic() -> None:
    first, second = rich_model(), rich_model()
    second.elements = dict(reversed(list(second.elements.items())))
    assert io.dumps(first) == io.dumps(second)
    text = io.dumps(first)
    assert text.endswith("}\n")
    data = json.loads(text)
    assert (data["format"], data["version"]) == ("salver", io.FORMAT_VERSION)
    assert list(data["elements"]) == sorted(data["elements"])


def test_whole_numbers_in_float_fields_save_the_same_text_after_reload() -> None:
    model = Model()
    model.sim_spec = SimSpec(start=0, stop=10, dt=1)
    model.add(Aux("fx", "effect", equation="1", gf=GraphicalFunction([0, 1], [0, 2], (0, 2)), range=(0, 5)))
    model.add(Port("po", "out", upper=3))
    model.add(NeuralComponent("nn", "n", path="x.onnx", inputs=[NeuralPort("x", [None, 2])]))
    model.views.append(View("v", shapes={"fx": Shape(1, 2, points=[(3, 4)])}))
    text = io.dumps(model)
    assert io.dumps(io.from_dict(json.loads(text))) == text
    data = json.loads(text)
    assert data["sim_spec"]["stop"] == 10.0 and isinstance(data["sim_spec"]["stop"], float)
    assert data["elements"]["fx"]["gf"]["xscale"] == [0.0, 2.0]
    assert isinstance(data["elements"]["po"]["upper"], int)
    assert data["elements"]["nn"]["inputs"][0]["shape"] == [None, 2]
    assert isinstance(data["elements"]["nn"]["inputs"][0]["shape"][1], int)
    assert isinstance(data["views"][0]["shapes"]["fx"]["points"][0][1], float)


def test_save_is_atomic_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "m.salver"
    io.save(rich_model(), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.salver"]


def test_failed_save_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.salver"
    io.save(Model(name="old"), path)
    old_text = path.read_text(encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        io.save(rich_model(), path)
    assert path.read_text(encoding="utf-8") == old_text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.salver"]


def test_damaged_json_names_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.salver"
    path.write_text('{\n  "format": "salver",\n  "version": 1,\n  "name": oops\n}\n', encoding="utf-8")
    with pytest.raises(ParseError) as info:
        io.load(path)
    assert info.value.line == 4
    assert info.value.file == str(path)
    assert "line 4" in str(info.value)


def test_future_version_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "future.salver"
    data = io.to_dict(Model())
    data["version"] = io.FORMAT_VERSION + 1
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ParseError, match="newer than this Salver reads.*update Salver"):
        io.load(path)


@pytest.mark.parametrize("version", [None, "1", 0, True])
def test_bad_version_is_a_clear_error(version: object) -> None:
    data = io.to_dict(Model())
    data["version"] = version
    with pytest.raises(ParseError, match="is not a positive whole number"):
        io.from_dict(data)


def test_not_a_salver_file() -> None:
    with pytest.raises(ParseError, match="not a Salver model"):
        io.from_dict({"format": "xmile"})
    with pytest.raises(ParseError, match="not a Salver model"):
        io.from_dict([1, 2])  # type: ignore[arg-type]


def _nested(depth: int) -> dict[str, object]:
    body: dict[str, object] = {}
    for _ in range(depth):
        body = {"inner": {"submodels": body}}
    return body


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["elements"]["pop"].update(kind="teleporter"), "elements.pop.kind: unknown element kind"),
        (lambda d: d["elements"]["pop"].update(colour="red"), "elements.pop: unknown field(s) 'colour'"),
        (lambda d: d["elements"]["pop"].update(id="other"), "elements.pop.id: does not match the element's key"),
        (lambda d: d["elements"].update(pop=[1, 2]), "elements.pop: must be an object, not a list"),
        (lambda d: d["elements"]["pop"].update(equation=12), "elements.pop.equation: must be text, not a number"),
        (lambda d: d["elements"]["pop"].update(inflows="births"), "elements.pop.inflows: must be a list"),
        (lambda d: d["elements"]["pop"].update(name=None), "elements.pop.name: must be text, not null"),
        (lambda d: d["elements"]["fx"]["gf"].update(ypts=[0, "x"]), "elements.fx.gf.ypts[1]: must be a number"),
        (lambda d: d["elements"]["fx"]["gf"].update(ypts=[0, float("nan")]), "ypts[1]: must be a finite number"),
        (lambda d: d["elements"]["fx"]["gf"].update(xpts=[0, 1, 2]), "elements.fx.gf: has 3 x values for 2"),
        (lambda d: d["elements"]["fx"]["gf"].update(xscale=[0]), "xscale: must be a list of 2 values, not 1"),
        (lambda d: d["elements"]["fx"]["gf"].update(type="wavy"), "gf.type: must be one of continuous"),
        (lambda d: d["elements"]["births"].update(range=[0, float("nan")]), "births.range[1]: must be a number or"),
        (lambda d: d["elements"]["births"].update(range=[0, "5"]), "births.range[1]: must be a number or an inf"),
        (lambda d: d["elements"]["births"].update(range=[0]), "births.range: must be a list of 2 values, not 1"),
        (lambda d: d["elements"]["births"].update(range=5), "births.range: must be a list, not a number"),
        (lambda d: d["sim_spec"].update(dt=-0.5), "sim_spec.dt: must be greater than 0"),
        (lambda d: d["sim_spec"].update(stop=float("inf")), "sim_spec.stop: must be a finite number"),
        (lambda d: d["sim_spec"].update(stop=10**400), "sim_spec.stop: must be a finite number"),
        (lambda d: d["sim_spec"].update(method="leapfrog"), "sim_spec.method: must be one of euler"),
        (lambda d: d["sim_spec"].update(controls={"speed": "x"}), "sim_spec.controls: unknown time settings 'speed'"),
        (lambda d: d["elements"]["p"].update(lower=-1), "elements.p.lower: must not be negative"),
        (lambda d: d["elements"]["p"].update(lower=True), "elements.p.lower: must be a whole number"),
        (lambda d: d["elements"]["po"].update(direction="sideways"), "elements.po.direction: must be one of in"),
        (lambda d: d["elements"]["nn"]["inputs"][0].update(shape=[None, -2]), "shape: axis sizes must not be"),
        (lambda d: d.update(units={"widget": 3}), "units.widget: must be text"),
        (lambda d: d.update(name=["m"]), "name: must be text, not a list"),
        (lambda d: d["submodels"]["econ"].update(sim_spec={"dt": 0}), "submodels.econ.sim_spec.dt: must be greater"),
        (lambda d: d.update(submodels=_nested(60)), "submodels nested deeper than 50 levels"),
    ],
)
def test_damaged_documents(change, words: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(io.dumps(rich_model()))
    change(data)
    with pytest.raises(ParseError) as info:
        io.from_dict(data, source="x.salver")
    assert words in str(info.value)
    assert "x.salver" in str(info.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read file"):
        io.load(tmp_path / "missing.salver")
    binary = tmp_path / "bin.salver"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ParseError, match="not UTF-8"):
        io.load(binary)
