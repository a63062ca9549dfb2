"""Degenerate input reaches the user as a SalverError naming the element, file or time, never as a
Python exception: infinite literals, division by zero at the start, deep nesting, absurd units."""

from __future__ import annotations

from pathlib import Path

import pytest

import solvers
from importers import load
from metamodel.elements import Aux, Dimension, Flow, Stock
from metamodel.equations.ast import MAX_HEIGHT
from metamodel.errors import ModelError, ParseError, SimulationError
from metamodel.model import Model
from metamodel.units import parse_units
from metamodel.validation import validate


def tank(outflow: str, initial: str = "100", units: str = "") -> Model:
    model = Model(name="tank")
    model.add(Stock("level", "Level", equation=initial, outflows=["drain"]))
    model.add(Flow("drain", "Drain", equation=outflow, units=units))
    model.sim_spec.stop = 2.0
    return model


@pytest.mark.parametrize("runs", [1, 3])
def test_an_infinite_literal_is_a_number_in_generated_code(runs: int) -> None:
    results = solvers.compile(tank("MIN(1e309, 5) + MAX(-1e309, -5) + 5")).run(runs=runs)
    assert results["Drain"][0].tolist() == [5.0] * runs
    with pytest.raises(SimulationError, match="not a number") as info:
        solvers.compile(tank("1e309 - 1e309 + Level")).run(runs=runs)
    assert info.value.variable == "Drain"


@pytest.mark.parametrize("runs", [1, 2])
def test_division_by_zero_at_the_start_names_the_variable(runs: int) -> None:
    with pytest.raises(SimulationError) as info:
        solvers.compile(tank("1", initial="1/0")).run(runs=runs)
    assert info.value.variable == "Level" and info.value.time == 0.0


@pytest.mark.parametrize("terms", [MAX_HEIGHT - 1, 300, 5000])
def test_long_sums_and_products_run(terms: int) -> None:
    signs = [" + ", " - ", " + "]
    text = "1" + "".join(f"{signs[i % 3]}0.01" for i in range(terms))
    expected = 1 + sum(0.01 if i % 3 != 1 else -0.01 for i in range(terms))
    results = solvers.compile(tank(text)).run()
    assert results["Drain"][0, 0] == pytest.approx(expected)
    assert not [d for d in validate(tank(text)) if d.severity == "error"]
    product = "2" + "".join(" * 1.001" if i % 2 else " / 1.002" for i in range(terms))
    expected = 2 * 1.001 ** (terms // 2) / 1.002 ** (terms - terms // 2)
    assert solvers.compile(tank(product)).run()["Drain"][0, 0] == pytest.approx(expected)


def test_deeply_nested_operators_are_refused_with_a_remedy() -> None:
    nested = "0.01" + " ^ 1" * 300
    with pytest.raises(ModelError, match="nested too deeply.*split it into several variables"):
        solvers.compile(tank(nested))
    assert any("nested too deeply" in d.message for d in validate(tank(nested)))


def test_a_sum_over_a_large_dimension_compiles() -> None:
    model = Model(name="wide")
    model.dimensions = [Dimension("cell", [f"c{i}" for i in range(3000)])]
    model.add(Aux("x", "x", equation="0.5", dimensions=["cell"]))
    for name, equation in (("total", "SUM(x[*])"), ("biggest", "VMAX(x[*])"), ("product", "PROD(x[*] * 0 + 1)")):
        model.add(Aux(name, name, equation=equation))
    for runs in (1, 2):
        results = solvers.compile(model).run(stop=1, runs=runs)
        assert results["total"][0].tolist() == [1500.0] * runs
        assert results["biggest"][0].tolist() == [0.5] * runs
        assert results["product"][0].tolist() == [1.0] * runs


@pytest.mark.parametrize("text, message", [
    ("1/0", "scaled by 0"), ("people/(0*year)", "scaled by 0"), ("(" * 500 + "m" + ")" * 500, "nested too deeply"),
    ("m^1e9", "exponent"), ("1e99999999", "out of range"),
    ("9" * 5000, "out of range"), ("1e300*1e300*1e300*1e300", "scale too large"), ("(1e250)^(7/2)", "out of range"),
])
def test_absurd_units_are_parse_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_units(text)


def test_validate_reports_absurd_units_on_the_element() -> None:
    findings = [d for d in validate(tank("Level / 2", units="1/0")) if d.field == "units"]
    assert findings and findings[0].element_name == "Drain" and "scaled by 0" in findings[0].message


def test_exponents_of_units_in_equations_make_no_claim() -> None:
    assert not [d for d in validate(tank("Level ^ 1e300", units="m")) if d.severity == "error"]


def _nested_packages(path: Path, depth: int) -> Path:
    opening = "".join(f'<packagedElement xmi:type="uml:Package" xmi:id="p{i}" name="P{i}">' for i in range(depth))
    path.write_text('<?xml version="1.0"?><xmi:XMI xmi:version="2.1" xmlns:xmi="http://www.omg.org/spec/XMI/20131001"'
                    ' xmlns:uml="http://www.eclipse.org/uml2/5.0.0/UML"><uml:Model xmi:id="m" name="M">'
                    + opening + '<packagedElement xmi:type="uml:Class" xmi:id="c" name="Deep"/>'
                    + "</packagedElement>" * depth + "</uml:Model></xmi:XMI>", encoding="utf-8")
    return path


def test_deeply_nested_packages_import_and_deeper_xml_is_refused(tmp_path: Path) -> None:
    model, report = load(_nested_packages(tmp_path / "deep.xmi", 250))
    assert report.ok and model.elements["c"].owner == "p249" and model.elements["p1"].owner == "p0"
    with pytest.raises(ParseError, match="nested deeper than 256") as info:
        load(_nested_packages(tmp_path / "deeper.xmi", 330))
    assert info.value.file == str(tmp_path / "deeper.xmi")


def test_a_long_vensim_sum_is_an_import_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "long.mdl"
    path.write_text("{UTF-8}\nx = " + " + ".join(["1"] * 300) + " ~ ~ |\nINITIAL TIME = 0 ~ ~ |\n"
                    "FINAL TIME = 1 ~ ~ |\nTIME STEP = 1 ~ ~ |\n", encoding="utf-8")
    _model, report = load(path)
    assert [e.element for e in report.errors] == ["x"]
    assert "nested too deeply" in report.errors[0].reason


# -- found by the fuzz suite ------------------------------------------------------------------------------
def test_a_stock_initialised_from_itself_is_circular() -> None:
    with pytest.raises(ModelError, match="circular initialisation: Level -> Level"):
        solvers.compile(tank("1", initial="Level <= 0"))


def test_a_module_input_wired_to_a_missing_variable_is_named() -> None:
    from metamodel.elements import Module, ModuleConnection

    model = tank("1")
    inner = Model(name="inner")
    inner.add(Aux("input", "input", equation="0"))
    inner.add(Aux("twice", "twice", equation="input * 2"))
    model.submodels["inner"] = inner
    model.add(Module("m", "m", model_name="inner", connections=[ModuleConnection(to="input", source="Missing")]))
    with pytest.raises(ModelError, match="module input 'm.input' is connected to 'missing', which is not defined"):
        solvers.compile(model)


def test_lookups_need_increasing_x_and_pass_nan_through() -> None:
    from metamodel.elements import GraphicalFunction

    model = tank("effect(Level)")
    model.add(Aux("effect", "effect", gf=GraphicalFunction([0.0, 1.0, 2.0], [2.0, 0.0, 1.0])))
    with pytest.raises(ModelError, match="x values in increasing order"):
        solvers.compile(model)
    model.elements["effect"].gf = GraphicalFunction([0.0, 1.0], [0.0, 1.0])
    model.elements["level"].equation = "1e309 - 1e309"
    with pytest.raises(SimulationError, match="not a number"):
        solvers.compile(model).run()


def test_invert_matrix_with_extra_arguments_is_an_error() -> None:
    with pytest.raises(ModelError, match="INVERT MATRIX takes 2 arguments, got 3"):
        solvers.compile(tank("INVERT_MATRIX(Level, 2, 3)"))


def test_xmile_export_names_text_that_xml_cannot_hold(tmp_path: Path) -> None:
    from importers import xmile_writer

    model = tank("1")
    model.elements["drain"].doc = "first\x1fsecond"
    with pytest.raises(ModelError, match="'Drain' cannot be written as XMILE: its <doc> .*U\\+001F"):
        xmile_writer.save(model, tmp_path / "m.xmile")
    assert not (tmp_path / "m.xmile").exists()


def test_an_archive_with_undecodable_entry_names_is_a_parse_error(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "m.mdzip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("mod\u00e9l.xmi", "<xmi:XMI/>")  # a UTF-8 name: the archive flags its names as UTF-8
    archive.write_bytes(archive.read_bytes().replace("\u00e9".encode(), b"\xff\xfe"))  # no longer UTF-8
    with pytest.raises(ParseError) as info:
        load(archive)
    assert info.value.file == str(archive)
