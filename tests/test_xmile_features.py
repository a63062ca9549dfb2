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


def test_conveyor_carries_material_for_its_transit_time() -> None:
    results, _ = run("""<stock name="belt"><eqn>6</eqn><inflow>enter</inflow><outflow>leave</outflow>
      <conveyor><len>3</len></conveyor></stock>
    <flow name="enter"><eqn>1</eqn></flow><flow name="leave"><eqn>0</eqn></flow>""")
    # the initial 6 leave evenly over the first 3 time units, then what entered 3 units before
    assert values(results, "leave") == [2, 2, 2, 1, 1]
    assert values(results, "belt") == [6, 5, 4, 3, 3]


BELT = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>belt</name></header>
  <sim_specs method="{method}"><start>0</start><stop>{stop}</stop><dt>0.25</dt></sim_specs>
  <model><variables>
    <stock name="belt"><eqn>{initial}</eqn><inflow>enter</inflow><outflow>leave</outflow>{more}
      <conveyor {attributes}><len>4</len>{options}</conveyor></stock>
    <flow name="enter"><eqn>{inflow}</eqn></flow>
    <flow name="leave"><eqn>0</eqn></flow>
    {flows}
  </variables></model>
</xmile>"""


def belt(initial: str = "0", inflow: str = "250", options: str = "", attributes: str = "", leak: str = "",
         stop: float = 12, method: str = "Euler"):  # noqa: ANN201
    """A conveyor of transit time 4 (16 slats of DT 0.25) fed at ``inflow``, with one leak flow when
    ``leak`` gives its attributes and children."""
    more = "<outflow>spill</outflow>" if leak else ""
    flows = f'<flow name="spill" {leak}</flow>' if leak else ""
    model, report = loads(BELT.format(initial=initial, inflow=inflow, options=options, attributes=attributes,
                                      more=more, flows=flows, stop=stop, method=method))
    return solvers.compile(model).run(), report


def test_conveyor_linear_leak_takes_its_fraction_evenly_from_what_entered() -> None:
    # 62.5 enters each DT; each slat of it loses 0.2 / 16 of it per DT on its 16 DTs on the belt, so 80 %
    # leaves: outflow 200, leak 50; in steady state the belt holds 62.5 * sum(1 - 0.0125 k, k = 0..15)
    results, _ = belt(initial="906.25", leak="><eqn>0.2</eqn><leak/>")
    assert set(values(results, "belt")) == {906.25}
    assert set(values(results, "leave")) == {200} and set(values(results, "spill")) == {50}
    # a zone over the exit half leaks the same fraction over 8 slats: 62.5 * (8 + sum(1 - 0.025 k, k = 0..7))
    results, _ = belt(initial="956.25", leak=' leak_start="0.5" leak_end="1"><eqn>0.2</eqn><leak/>')
    assert set(values(results, "belt")) == {956.25} and set(values(results, "leave")) == {200}
    # started at another content, the belt holds its steady profile scaled: 1000 / 14.5 per entering unit
    results, _ = belt(initial="1000", leak="><eqn>0.2</eqn><leak/>")
    assert values(results, "leave")[0] == pytest.approx(1000 / 14.5 * 0.8 / 0.25)


def test_conveyor_exponential_leak_takes_a_fraction_of_what_is_there() -> None:
    results, _ = belt(initial="1000", attributes='exponential_leak="true"', leak="><eqn>0.1</eqn><leak/>")
    # 0.1 per time unit: each DT keeps 0.975 of a slat; after 16 DTs 250 * 0.975^16 leaves
    assert values(results, "leave")[-1] == pytest.approx(250 * 0.975 ** 16)
    assert values(results, "belt")[-1] == pytest.approx(62.5 * sum(0.975 ** k for k in range(16)))


def test_conveyor_leaking_whole_units_carries_the_fractions() -> None:
    # one unit enters per DT and leaks 0.1 / 16 per DT: the carry first reaches 1 after 18 DTs (18 * 19 / 2
    # cohort-steps of 0.00625), when the exit slat (a whole unit) leaks instead of leaving
    results, _ = belt(inflow="4", stop=8, leak="><eqn>0.1</eqn><leak/><leak_integers/>")
    spill, leave = values(results, "spill"), values(results, "leave")
    assert spill[:18] == [0] * 18 and spill[18] == 4
    assert leave[16:20] == [4, 4, 0, 4]


def test_conveyor_capacity_and_inflow_limit_hold_the_inflow_back() -> None:
    results, _ = belt(options="<capacity>600</capacity>", stop=20)
    enter, content = values(results, "enter"), values(results, "belt")
    assert max(content) == 600 and enter[8:11] == [250, 150, 0]  # 562.5 on the belt, room for 37.5
    results, _ = belt(options="<in_limit>150</in_limit>", stop=20)
    assert max(values(results, "enter")) == 150 and values(results, "belt")[-1] == 600


def test_conveyor_arrest_freezes_the_belt_and_its_flows() -> None:
    results, _ = belt(options="<arrest>IF TIME &gt;= 1 AND TIME &lt; 2 THEN 1 ELSE 0</arrest>")
    enter, content, leave = values(results, "enter"), values(results, "belt"), values(results, "leave")
    assert enter[4:8] == [0] * 4 and content[4:9] == [250] * 5
    assert leave.index(250) == 20  # the first material leaves at t = 5, a time unit late


def test_conveyor_into_an_arrested_conveyor_holds_its_exit() -> None:
    model, _ = loads("""<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>chain</name></header>
  <sim_specs method="Euler"><start>0</start><stop>6</stop><dt>0.25</dt></sim_specs>
  <model><variables>
    <stock name="A"><eqn>500</eqn><outflow>ab</outflow><conveyor><len>2</len></conveyor></stock>
    <flow name="ab"><eqn>0</eqn></flow>
    <stock name="B"><eqn>0</eqn><inflow>ab</inflow><outflow>out</outflow>
      <conveyor><len>4</len><capacity>100</capacity>
        <arrest>IF TIME &gt;= 1 AND TIME &lt; 2 THEN 1 ELSE 0</arrest></conveyor></stock>
    <flow name="out"><eqn>0</eqn></flow>
    <stock name="done"><eqn>0</eqn><inflow>out</inflow></stock>
  </variables></model></xmile>""")
    results = solvers.compile(model).run()
    flow = values(results, "ab")
    # A empties 62.5 per DT; while B is arrested A's exit holds, then the 4 held slats leave at once;
    # B takes conveyed material beyond its capacity (a conveyor's outflow is never blocked)
    assert flow[:9] == [250, 250, 250, 250, 0, 0, 0, 0, 1000]
    total = np.asarray(results["A"]) + np.asarray(results["B"]) + np.asarray(results["done"])
    assert np.ptp(total) == 0 and max(values(results, "B")) > 100


def test_arrayed_conveyor_runs_one_belt_per_element_and_many_runs_at_once() -> None:
    model, _ = loads(HEAD + """<model><variables>
    <stock name="c"><dimensions><dim name="Location"/></dimensions><eqn>12</eqn><inflow>cin</inflow>
      <outflow>cout</outflow><conveyor><len>transit</len></conveyor></stock>
    <aux name="transit"><dimensions><dim name="Location"/></dimensions>
      <element subscript="Boston"><eqn>1</eqn></element><element subscript="Chicago"><eqn>2</eqn></element>
      <element subscript="Denver"><eqn>3</eqn></element></aux>
    <flow name="cin"><dimensions><dim name="Location"/></dimensions><eqn>1</eqn></flow>
    <flow name="cout"><dimensions><dim name="Location"/></dimensions><eqn>0</eqn></flow>
    </variables></model></xmile>""")
    compiled = solvers.compile(model)
    results = compiled.run()
    assert values(results, "cout[Boston]") == [12, 1, 1, 1, 1]
    assert values(results, "cout[Denver]") == [4, 4, 4, 1, 1]
    batch = compiled.run(params={"transit[Boston]": [1, 2]})
    assert np.asarray(batch["cout[Boston]"])[:3].T.tolist() == [[12, 1, 1], [6, 6, 1]]


def test_conveyor_asked_to_run_in_c_runs_in_python_and_says_why() -> None:
    from solvers.backends import NativeFallbackWarning

    model, _ = loads(BELT.format(initial="8", inflow="1", options="", attributes="", more="", flows="", stop=6,
                                 method="Euler"))
    compiled = solvers.compile(model)
    with pytest.warns(NativeFallbackWarning, match="conveyors"):
        native = compiled.run(backend="native")
    assert native.metadata["backend"] != "native" and "solvers.blocks" in native.metadata["backend_note"]
    # 8 units leave over the 4 time units of transit (2 per unit), then the 1 per unit that entered 4 before
    leave = dict(zip(np.asarray(native.time).round(9).tolist(), values(native, "leave"), strict=True))
    assert (leave[0], leave[3.75], leave[4], leave[6]) == (2, 2, 1, 1)
    np.testing.assert_array_equal(native["belt"], compiled.run(backend="python")["belt"])


def test_conveyor_refusals_name_the_reason() -> None:
    text = BELT.format(initial="0", inflow="1", options="", attributes="", more="", flows="", stop=4, method="Euler")
    _, report = loads(text.replace('name="enter"', 'name="enter" spreadflow="evenly"'))
    assert any(e.element == "belt" and e.severity == "error" and "spread over the belt (evenly)" in e.reason
               for e in report.entries)
    _, report = run("""<stock name="kiln"><eqn>0</eqn><inflow>load</inflow><oven><cook_time>2</cook_time>
      <capacity>5</capacity></oven></stock><flow name="load"><eqn>1</eqn></flow>""")
    assert any(e.element == "kiln" and e.severity == "error" and "oven" in e.reason and e.line
               for e in report.entries)
    with pytest.raises(ModelError, match="Euler"):
        belt(method="RK4")


def test_an_array_where_one_value_is_needed_names_the_variable() -> None:
    # 'total' has no dimension, so pop[Location] leaves an array where one value must stand
    with pytest.raises(ModelError) as error:
        run('<aux name="total"><eqn>pop[Location] * 2</eqn></aux><aux name="fine"><eqn>SUM(pop[*])</eqn></aux>')
    found = [d for d in error.value.diagnostics if d.code == "SD023"]
    assert [d.element_name for d in found] == ["total"] and "single value" in found[0].message


def test_lookup_of_one_element_of_a_per_element_graphical_function() -> None:
    tables = "".join(f'<element subscript="{city}"><eqn>0</eqn><gf><xpts>0,10</xpts><ypts>{low},{high}</ypts></gf>'
                     "</element>" for city, low, high in (("Boston", 0, 10), ("Chicago", 5, 25), ("Denver", 1, 1)))
    results, report = run(f"""<aux name="curve"><dimensions><dim name="Location"/></dimensions>{tables}</aux>
    <aux name="one"><eqn>LOOKUP(curve[Chicago], TIME)</eqn></aux>
    <aux name="each"><dimensions><dim name="Location"/></dimensions>
      <eqn>LOOKUP(curve[Location], 2 * TIME)</eqn></aux>""")
    assert not [e for e in report.entries if e.severity == "error"]
    # Chicago's table runs from 5 to 25 over 0..10: 5 + 2 t; Boston's 0..10 read at 2 t; Denver's is flat
    assert values(results, "one") == [5, 7, 9, 11, 13]
    assert values(results, "each[Boston]") == [0, 2, 4, 6, 8]
    assert values(results, "each[Chicago]") == [5, 9, 13, 17, 21]
    assert values(results, "each[Denver]") == [1] * 5
