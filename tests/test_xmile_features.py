"""XMILE/Stella features beyond the SDXorg suite, run end to end; expected values worked out by hand
from the XMILE 1.0 specification's definitions."""

from __future__ import annotations

import numpy as np
import pytest

import solvers
from importers.xmile import loads
from metamodel.errors import ModelError

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>features</name></header>
  <sim_specs method="Euler"><start>0</start><stop>4</stop><dt>1</dt></sim_specs>
  <dimensions>
    <dim name="Location"><elem name="Boston"/><elem name="Chicago"/><elem name="Denver"/></dim>
  </dimensions>
"""
POP = """<aux name="pop"><dimensions><dim name="Location"/></dimensions>
      <element subscript="Boston"><eqn>10</eqn></element>
      <element subscript="Chicago"><eqn>30</eqn></element>
      <element subscript="Denver"><eqn>20</eqn></element>
    </aux>"""


def run(variables: str, macros: str = ""):  # noqa: ANN201
    model, report = loads(f"{HEAD}{macros}<model><variables>{POP}{variables}</variables></model></xmile>")
    return solvers.compile(model).run(), report


def values(results, name: str) -> list[float]:  # noqa: ANN001
    return [round(float(v), 9) for v in np.asarray(results[name])[:, 0]]


def test_element_references_and_array_builtins() -> None:
    results, _ = run("""<aux name="boston pop"><eqn>pop[Location.Boston]</eqn></aux>
    <aux name="boston number"><eqn>Location.Denver</eqn></aux>
    <aux name="total"><eqn>SUM(pop[*])</eqn></aux>
    <aux name="average"><eqn>MEAN(pop)</eqn></aux>
    <aux name="biggest"><eqn>MAX(pop[*])</eqn></aux>
    <aux name="count"><eqn>SIZE(pop)</eqn></aux>
    <aux name="lowest"><eqn>RANK(pop, 1)</eqn></aux>
    <aux name="highest"><eqn>RANK(pop, 3)</eqn></aux>""")
    assert values(results, "boston pop")[0] == 10
    assert values(results, "boston number")[0] == 3
    assert values(results, "total")[0] == 60
    assert values(results, "average")[0] == 20
    assert values(results, "biggest")[0] == 30
    assert values(results, "count")[0] == 3
    assert values(results, "lowest")[0] == 1  # Boston holds the smallest
    assert values(results, "highest")[0] == 2  # Chicago the largest


def test_arrayed_graphical_functions_each_element_its_own_table() -> None:
    gf = '<gf><xscale min="0" max="4"/><yscale min="0" max="40"/><ypts>{}</ypts></gf>'
    results, _ = run(f"""<aux name="effect"><dimensions><dim name="Location"/></dimensions>
      <element subscript="Boston"><eqn>TIME</eqn>{gf.format("0,1,2,3,4")}</element>
      <element subscript="Chicago"><eqn>TIME / 2</eqn>{gf.format("0,10,20,30,40")}</element>
      <element subscript="Denver"><eqn>TIME</eqn>{gf.format("4,3,2,1,0")}</element>
    </aux>""")
    assert values(results, "effect[Boston]") == [0, 1, 2, 3, 4]
    assert values(results, "effect[Chicago]") == [0, 5, 10, 15, 20]  # interpolated between points
    assert values(results, "effect[Denver]") == [4, 3, 2, 1, 0]


def test_self_previous_and_init_over_arrays() -> None:
    results, _ = run("""<aux name="counter"><eqn>PREVIOUS(SELF, 0) + 1</eqn></aux>
    <aux name="grown"><dimensions><dim name="Location"/></dimensions><eqn>pop * (1 + TIME)</eqn></aux>
    <aux name="first"><dimensions><dim name="Location"/></dimensions><eqn>INIT(grown)</eqn></aux>
    <aux name="last"><dimensions><dim name="Location"/></dimensions><eqn>PREVIOUS(grown, -1)</eqn></aux>""")
    assert values(results, "counter") == [1, 2, 3, 4, 5]
    assert values(results, "first[Chicago]") == [30] * 5
    assert values(results, "last[Denver]") == [-1, 20, 40, 60, 80]


def test_macros_are_instantiated_per_call_each_with_its_own_stocks() -> None:
    macros = """<macro name="SMOOTHER"><parm>input</parm><parm>delay</parm><eqn>level</eqn>
      <variables>
        <stock name="level"><eqn>input</eqn><inflow>change</inflow></stock>
        <flow name="change"><eqn>(input - level) / delay</eqn></flow>
      </variables></macro>
      <macro name="TWICE"><parm>x</parm><eqn>2 * x</eqn></macro>"""
    results, _ = run("""<aux name="a"><eqn>SMOOTHER(TIME * 4, 2)</eqn></aux>
    <aux name="b"><eqn>SMOOTHER(8, 1)</eqn></aux>
    <aux name="doubled"><eqn>TWICE(pop[Boston])</eqn></aux>""", macros)
    # Euler: level(0) = 0, then level += (4 t - level) / 2
    assert values(results, "a") == [0, 0, 2, 5, 8.5]
    assert values(results, "b") == [8] * 5  # its own stock, starting at its own input
    assert values(results, "doubled") == [20] * 5
    with pytest.raises(ModelError) as error:
        run('<aux name="c"><eqn>TWICE(1, 2)</eqn></aux>', macros)
    assert any(d.element_name == "c" and "takes 1 arguments" in d.message for d in error.value.diagnostics)


def test_conveyor_carries_material_for_its_transit_time_and_queues_are_refused() -> None:
    results, report = run("""<stock name="belt"><eqn>6</eqn><inflow>enter</inflow><outflow>leave</outflow>
      <conveyor><len>3</len></conveyor></stock>
    <flow name="enter"><eqn>1</eqn></flow><flow name="leave"><eqn>0</eqn></flow>""")
    # the initial 6 leave evenly over the first 3 time units, then what entered 3 units before
    assert values(results, "leave") == [2, 2, 2, 1, 1]
    assert values(results, "belt") == [6, 5, 4, 3, 3]
    _, report = run("""<stock name="line"><eqn>0</eqn><inflow>arrive</inflow><queue/></stock>
    <flow name="arrive"><eqn>1</eqn></flow>""")
    assert any(e.element == "line" and e.severity == "error" and "queue" in e.reason for e in report.entries)
    _, report = run("""<stock name="leaky"><eqn>0</eqn><inflow>put</inflow><outflow>out</outflow><outflow>lost</outflow>
      <conveyor><len>2</len></conveyor></stock>
    <flow name="put"><eqn>1</eqn></flow><flow name="out"><eqn>0</eqn></flow>
    <flow name="lost"><eqn>0.1</eqn><leak/></flow>""")
    assert any(e.element == "leaky" and e.severity == "error" and "leakage" in e.reason for e in report.entries)
