"""XMILE import and export: suite models, recovery, bad input, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import importers
import solvers
from importers import xmile
from metamodel import io
from metamodel.elements import Aux, Flow, Module, Stock
from metamodel.errors import ParseError
from metamodel.model import Model
from tests.paths import SD_MODELS

SUITE = SD_MODELS
ALL_XMILE = sorted(p for ext in ("*.xmile", "*.stmx", "*.itmx") for p in SUITE.rglob(ext))
NS = 'xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"'


def counts(model: Model) -> tuple[int, int, int, int]:
    return tuple(sum(1 for _ in model.of_kind(cls)) for cls in (Stock, Flow, Aux, Module))


def doc(body: str, header: str = "") -> bytes:
    return f'<xmile version="1.0" {NS}><header><name>t</name></header>{header}{body}</xmile>'.encode()


def reasons(report: importers.ImportReport, severity: str | None = None) -> list[str]:
    return [e.reason for e in report.entries if severity is None or e.severity == severity]


# -- suite models ---------------------------------------------------------------------------------


def test_teacup_counts_links_and_specs() -> None:
    model, report = importers.load(SUITE / "samples/teacup/teacup.xmile")
    assert counts(model) == (1, 1, 2, 0)
    stock = model.find("teacup temperature")
    assert isinstance(stock, Stock)
    assert stock.equation == "180"
    assert stock.outflows == ["heat_loss_to_room"]
    assert stock.doc == "The average temperature of the tea and the cup"
    assert model.find("Heat Loss to Room").equation == '("Teacup Temperature"-"Room Temperature")/"Characteristic Time"'
    spec = model.sim_spec
    assert (spec.start, spec.stop, spec.dt, spec.method, spec.save_per) == (0.0, 30.0, 0.125, "euler", None)
    assert model.name == "Teacup"
    assert not reasons(report, "warning") and not reasons(report, "error")


def test_stella_teacup_units_views_and_connectors() -> None:
    model, report = xmile.load(SUITE / "samples/teacup/teacup.stmx")
    assert counts(model) == (1, 1, 2, 0)
    assert model.sim_spec.time_units == "Time"
    assert model.units_defs["deg"] == "Degrees" and model.units_defs["Degrees"] == ""
    flow = model.find("heat loss to room")
    assert isinstance(flow, Flow) and flow.non_negative and flow.units == "deg/time"
    (view,) = model.views
    assert view.kind == "stock_flow"
    assert view.shapes[flow.id].x == 231.25
    assert view.shapes[flow.id].points == [(154.5, 92.0), (332.0, 92.0)]
    angles = sorted(link.angle for link in view.links.values())
    assert angles == [37.6942, 139.399, 220.601]
    first = next(iter(view.links.values()))
    assert (first.source, first.target) == ("room_temperature", "heat_loss_to_room")
    assert report.ok


def test_legacy_stella_display_positions() -> None:
    model, _ = xmile.load(SUITE / "samples/teacup/teacup_legacy.stmx")
    (view,) = model.views
    assert view.shapes["teacup_temperature"].x == 132 and view.shapes["teacup_temperature"].y == 97
    assert view.shapes["heat_loss_to_room"].points == [(154.0, 92.0), (332.0, 92.0)]
    assert len(view.links) == 3


def test_graphical_function_and_unconnected_connector() -> None:
    model, report = xmile.load(SUITE / "tests/lookups_inline/test_lookups_inline.xmile")
    aux = model.find("Variable with Inline Lookup")
    assert isinstance(aux, Aux) and aux.equation == "Time"
    assert aux.gf.yscale == (-1.0, 1.0)
    assert aux.gf.xpts[:3] == [0.0, 8.75764, 19.7556] and len(aux.gf.ypts) == 9
    assert any("connector from 'Time'" in r for r in reasons(report, "info"))


def test_arrays_and_rk4() -> None:
    model, _ = xmile.load(SUITE / "tests/subscripted_trig/test_subscripted_trig.xmile")
    assert [(d.name, d.elements) for d in model.dimensions] == [("sub1", ["A", "B", "C"]), ("sub2", ["D", "E"])]
    assert model.find("sabs2").dimensions == ["sub1", "sub2"]
    assert model.find("sabs2").equation == "ABS(var2[sub1,sub2])"
    assert model.sim_spec.method == "rk4"


def test_per_element_equations_and_broken_export_reported() -> None:
    model, report = xmile.load(SUITE / "tests/subscripted_flows/test_subscripted_flows.xmile")
    flow = model.find("Inflow A")
    assert flow.element_equations == {
        "Entry 1": "Rate_A[Entry_1]",
        "Entry 3": "Rate_B[Entry_3]",
        "Entry 2": "Rate_A[Entry_2]",
    }
    broken = [e for e in report.entries if "does not parse" in e.reason]
    assert {(e.element, e.line) for e in broken} == {("Rate B", 38), ("Rate A", 49)}
    assert model.find("Rate A").equation == "???"


def test_modules_and_submodels() -> None:
    for name in ("model.xmile", "model.stmx", "model_legacy.stmx"):
        model, report = xmile.load(SUITE / "samples/bpowers-hares_and_lynxes_modules" / name)
        assert counts(model) == (0, 0, 2, 2), name
        assert set(model.submodels) == {"hares", "lynxes"}
        assert counts(model.submodels["hares"]) == (2, 2, 4, 0)
        assert counts(model.submodels["lynxes"]) == (1, 3, 4, 0)
        hares = model.find("hares")
        assert isinstance(hares, Module) and hares.model_name == "hares"
        assert [(c.to, c.source) for c in hares.connections] == [("area", "area"), ("lynxes", "lynxes.lynxes")]
        assert model.find("size of one time lynx harvest") is not None
        assert model.submodels["lynxes"].find("size_of_one_time_lynx_harvest").name == ("size of one time lynx harvest")
        lynxes = model.submodels["lynxes"].find("lynxes")
        assert [model.submodels["lynxes"][f].name for f in lynxes.outflows] == ["deaths", "harvest"]
        placeholders = [e for e in report.entries if "only a comment" in e.reason]
        assert len(placeholders) == 4 and all(e.severity == "info" for e in placeholders)


def test_behavior_defaults_for_non_negative() -> None:
    model, _ = xmile.load(SUITE / "tests/non_negative_all/test_non_negative_all1.xmile")
    assert model.find("OutFlow").non_negative
    assert model.find("TestStock0").non_negative
    assert not model.find("TestStock3").non_negative


def test_several_eqn_become_element_equations() -> None:
    model, report = xmile.load(SUITE / "tests/arithmetics_exp/test_arithmetics_exp.xmile")
    var = model.find("add substract")
    assert var.equation == "" and len(var.element_equations) == 9
    assert var.element_equations["sub2"] == "-cons - time2 + time3 - cons"
    assert any(e.element == "add substract" and e.line == 35 for e in report.entries)


def test_several_eqn_without_matching_elements_reported() -> None:
    body = '<model><variables><aux name="a"><eqn>1</eqn><eqn>2</eqn></aux></variables></model>'
    model, report = xmile.loads(doc(body))
    assert model.find("a").equation == "1"
    assert any("2 <eqn> for 1 array elements" in r for r in reasons(report, "error"))


def test_aux_used_as_flow_becomes_flow() -> None:
    model, report = xmile.load(SUITE / "tests/zeroled_decimals/test_zeroled_decimals.xmile")
    stock = model.find("stockmixed")
    assert stock.inflows == ["flow6"] and stock.outflows == ["flow5", "flow7", "flow8"]
    assert isinstance(model["flow7"], Flow)
    assert counts(model) == (6, 10, 0, 0)
    assert any(e.element == "flow1n" and e.line == 35 for e in report.entries)


# -- recovery -------------------------------------------------------------------------------------


def test_undeclared_isee_prefix_is_declared_and_reported() -> None:
    model, report = xmile.load(SUITE / "tests/abs/test_abs.xmile")
    assert counts(model) == (1, 1, 5, 0)
    (entry,) = [e for e in report.entries if "isee" in e.reason]
    assert entry.severity == "warning" and entry.line == 1


def test_unclosed_flow_recovered_with_report() -> None:
    model, report = xmile.load(SUITE / "tests/non_negative_flows/test_non_negative_flows.xmile")
    assert counts(model) == (4, 4, 0, 0)
    assert model.find("if_else2").non_negative and not model.find("if_else3").non_negative
    assert model.find("TestStock3").inflows == ["if_else3"]
    recovery = [e for e in report.entries if "recovery" in e.reason]
    assert len(recovery) == 1 and recovery[0].line == 45
    nested = {e.element: e.line for e in report.entries if "nested" in e.reason}
    assert nested == {"TestStock2": 37, "TestStock3": 41}


# -- synthetic features ---------------------------------------------------------------------------


def test_sim_specs_variants() -> None:
    spec = '<sim_specs method="RK2" time_units="Days" isee:save_interval="0.5"><start>1</start><stop>9</stop>'
    spec += '<dt reciprocal="true">4</dt></sim_specs>'
    header = spec.replace("<sim_specs", '<sim_specs xmlns:isee="http://iseesystems.com/XMILE"')
    model, _ = xmile.loads(doc('<model><variables><aux name="a"><eqn>1</eqn></aux></variables></model>', header))
    s = model.sim_spec
    assert (s.start, s.stop, s.dt, s.save_per, s.method, s.time_units) == (1.0, 9.0, 0.25, 0.5, "rk2", "Days")


def test_unsupported_method_and_bad_number_reported() -> None:
    header = '<sim_specs method="Gear"><start>0</start><stop>x</stop></sim_specs>'
    model, report = xmile.loads(doc('<model><variables><aux name="a"><eqn>1</eqn></aux></variables></model>', header))
    assert model.sim_spec.method == "euler" and model.sim_spec.stop == 100.0
    assert any("Gear" in r for r in reasons(report, "warning"))
    assert any("<stop> is not a number" in r for r in reasons(report, "error"))


def test_dimension_size_gf_separator_and_type() -> None:
    body = """<model><variables>
      <aux name="g"><eqn>t</eqn><gf type="discrete"><xscale min="0" max="2"/>
        <ypts sep=";">1;2;3</ypts></gf></aux>
      <aux name="v"><dimensions><dim name="n"/></dimensions><eqn>1</eqn></aux>
    </variables></model>"""
    model, _ = xmile.loads(doc(body, '<dimensions><dim name="n" size="3"/></dimensions>'))
    assert model.dimensions[0].elements == ["1", "2", "3"]
    gf = model.find("g").gf
    assert gf.type == "discrete" and gf.ypts == [1.0, 2.0, 3.0] and gf.xscale == (0.0, 2.0)
    assert gf.points() == ([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])


def test_a_gf_variable_reads_its_own_table_without_warnings() -> None:
    body = """<model><variables>
      <gf name="table"><xscale min="0" max="4"/><xpts sep=";">0;2;4</xpts><ypts>0,10,0</ypts></gf>
      <aux name="call"><eqn>table(1)</eqn></aux>
    </variables></model>"""
    model, report = xmile.loads(doc(body))
    assert model.find("table").gf.points() == ([0.0, 2.0, 4.0], [0.0, 10.0, 0.0])
    assert not [e for e in report.entries if "not mapped" in e.reason]
    assert float(solvers.compile(model).run()["call"][0, 0]) == 5


def test_names_with_escapes_become_display_names() -> None:
    body = '<model><variables><aux name="birth\\nrate_of_x"><eqn>1</eqn></aux></variables></model>'
    model, _ = xmile.loads(doc(body))
    (aux,) = model.elements.values()
    assert aux.name == "birth rate of x" and aux.id == "birth_rate_of_x"


def test_parse_failure_reports_line_and_keeps_text() -> None:
    body = '<model><variables>\n<aux name="a">\n<eqn>\n1 +\n* 2</eqn></aux></variables></model>'
    model, report = xmile.loads(doc(body))
    assert model.find("a").equation == "1 +\n* 2"
    (entry,) = [e for e in report.entries if "does not parse" in e.reason]
    assert (entry.element, entry.line) == ("a", 5)


def test_macro_group_alias_and_unknown_tags_reported() -> None:
    body = """<model><variables>
      <aux name="a"><eqn>double(2)</eqn></aux>
      <group name="g1"><entity name="a"/></group>
      <widget name="w"/>
      <stock name="s"><eqn>0</eqn><conveyor/></stock>
    </variables>
    <views><view><aux name="a" x="1" y="2"/><alias x="5" y="5"><of>a</of></alias><text_box/></view></views>
    </model>
    <macro name="double"><parm>x</parm><eqn>y</eqn>
      <variables><aux name="y"><eqn>x * 2</eqn></aux></variables></macro>
    <frobnicate/>"""
    model, report = xmile.loads(doc(body))
    text = reasons(report)
    assert any("group not kept (members: a)" in r for r in text)
    assert any("unknown element <widget>" in r for r in text)
    assert any("unknown element <frobnicate>" in r for r in text)
    assert any("conveyor not supported" in r for r in text)
    assert any("alias of 'a'" in r for r in text)
    assert any("1 text_box" in r for r in text)
    macro = model.submodels["double"]
    assert macro.find("y").equation == "x * 2"
    assert macro.find("x").equation == "" and macro.find("double").equation == "y"


def test_unresolved_inflow_and_duplicate_reported() -> None:
    body = """<model><variables><stock name="s"><eqn>0</eqn><inflow>nowhere</inflow></stock>
      <aux name="s"><eqn>1</eqn></aux></variables></model>"""
    model, report = xmile.loads(doc(body))
    assert model.find("s").inflows == []
    assert not report.ok
    assert any("'nowhere' is not a flow" in r for r in reasons(report, "error"))
    assert any("second definition of 's'" in r for r in reasons(report, "error"))


# -- bad input ------------------------------------------------------------------------------------


def test_malformed_xml_raises_with_line() -> None:
    with pytest.raises(ParseError) as info:
        xmile.loads(b"<xmile>\n<model>\n<aux name=oops></aux></model></xmile>", source="bad.xmile")
    assert info.value.line == 3 and info.value.file == "bad.xmile"


def test_xml_bomb_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
    <xmile><model><variables><aux name="a"><eqn>&b;</eqn></aux></variables></model></xmile>"""
    with pytest.raises(ParseError, match="entity"):
        xmile.loads(bomb)


def test_external_entity_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("42")
    xxe = f"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>
    <xmile><model><variables><aux name="a"><eqn>&e;</eqn></aux></variables></model></xmile>""".encode()
    path = tmp_path / "xxe.xmile"
    path.write_bytes(xxe)
    with pytest.raises(ParseError, match="entity"):
        importers.load(path)


def test_missing_file_and_wrong_root(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read file"):
        xmile.load(tmp_path / "absent.xmile")
    with pytest.raises(ParseError, match="root element is <svg>"):
        xmile.loads(b"<svg/>")
    with pytest.raises(ParseError, match="no <model>"):
        xmile.loads(doc(""))


# -- export ---------------------------------------------------------------------------------------


def test_export_is_xmile_stella_can_open(tmp_path: Path) -> None:
    model, _ = xmile.load(SUITE / "samples/bpowers-hares_and_lynxes_modules/model.stmx")
    model.sim_spec.save_per = 1.0
    target = tmp_path / "out.stmx"
    xmile.save(model, target)
    root = etree.fromstring(target.read_bytes())
    ns = {"x": "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"}
    assert root.tag == "{http://docs.oasis-open.org/xmile/ns/XMILE/v1.0}xmile" and root.get("version") == "1.0"
    assert root.findtext("x:header/x:vendor", namespaces=ns) == "Salver"
    assert root.find("x:sim_specs", ns).get("method") == "Euler"
    assert root.find("x:sim_specs", ns).get("{http://iseesystems.com/XMILE}save_interval") == "1"
    assert [m.get("name") for m in root.findall("x:model", ns)] == [None, "hares", "lynxes"]
    connect = root.find("x:model/x:variables/x:module/x:connect", ns)
    assert (connect.get("to"), connect.get("from")) == ("hares.area", ".area")
    stock = root.find("x:model[@name='lynxes']/x:variables/x:stock", ns)
    assert [o.text for o in stock.findall("x:outflow", ns)] == ["deaths", "harvest"]
    assert stock.find("x:non_negative", ns) is not None
    assert len(root.findall("x:model[1]/x:views/x:view/x:connector", ns)) == 4
    again, report = importers.load(target)
    assert again.sim_spec.save_per == 1.0 and report.ok


@pytest.mark.parametrize("path", ALL_XMILE, ids=lambda p: str(p.relative_to(SUITE)))
def test_round_trip(path: Path) -> None:
    model, _ = xmile.load(path)
    again, _ = xmile.loads(xmile.dumps(model), source=str(path))
    assert io.dumps(again) == io.dumps(model)
    assert again.equal_content(model)
