"""Stella's batch stocks (ovens, queues) run end to end; expected values worked out by hand from isee's
description of ovens (fill until full or the fill time has passed, cook, release in one time step) and
queues (batches in order of arrival, taken from the front)."""

from __future__ import annotations

import numpy as np
import pytest

import solvers
from importers.xmile import loads
from metamodel.errors import SimulationError
from tests.test_xmile_features import belt

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>batches</name></header>
  <sim_specs method="Euler"><start>0</start><stop>{stop}</stop><dt>{dt}</dt></sim_specs>
  <model><variables>{variables}</variables></model></xmile>"""


def load(variables: str, stop: float = 12, dt: float = 1):  # noqa: ANN201
    return loads(HEAD.format(stop=stop, dt=dt, variables=variables))


def run(variables: str, stop: float = 12, dt: float = 1, **options):  # noqa: ANN003, ANN201
    model, report = load(variables, stop, dt)
    return solvers.compile(model).run(**options), report


def values(results, name: str) -> list[float]:  # noqa: ANN001
    return [round(float(v), 9) for v in np.asarray(results[name])[:, 0]]


def oven(options: str, inflow: str = "5", initial: str = "0", more: str = "") -> str:
    return f"""<stock name="kiln"><eqn>{initial}</eqn><inflow>load</inflow><outflow>unload</outflow>
      <oven>{options}</oven></stock>
    <flow name="load"><eqn>{inflow}</eqn></flow><flow name="unload"><eqn>0</eqn></flow>{more}"""


def errors(report) -> list[str]:  # noqa: ANN001
    return [f"{e.element}: {e.reason}" for e in report.entries if e.severity == "error"]


def test_oven_fills_for_its_fill_time_cooks_then_releases_in_one_step() -> None:
    results, report = run(oven("<capacity>20</capacity><fill_time>2</fill_time><cook_time>3</cook_time>"))
    assert not errors(report)
    # open at 0 and 1 (fill time 2), closed at 2 with 10, cooked 2..5, released over [5, 6] while it fills
    # again (no clean time), closed at 7, released at 10
    assert values(results, "load") == [5, 5, 0, 0, 0, 5, 5, 0, 0, 0, 5, 5, 0]
    assert values(results, "unload") == [0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 10, 0, 0]
    assert values(results, "kiln") == [0, 5, 10, 10, 10, 10, 5, 10, 10, 10, 10, 5, 10]


def test_oven_closes_when_full_and_stays_closed_for_its_clean_time() -> None:
    results, _ = run(oven("<capacity>12</capacity><cook_time>2</cook_time><clean_time>1</clean_time>"))
    # 5 + 5 + the 2 that still fit: full at 3, cooked 3..5, released over [5, 6], cleaned 6..7
    assert values(results, "load")[:9] == [5, 5, 2, 0, 0, 0, 0, 5, 5]
    assert values(results, "unload")[:9] == [0, 0, 0, 0, 0, 12, 0, 0, 0]
    assert values(results, "kiln")[:9] == [0, 5, 10, 12, 12, 12, 0, 0, 5]


def test_oven_inflow_limit_arrest_and_initial_content() -> None:
    results, _ = run(oven("<fill_time>2</fill_time><cook_time>3</cook_time><in_limit>4</in_limit>"))
    assert values(results, "load")[:3] == [4, 4, 0] and values(results, "unload")[5] == 8
    # arrested at 3: the cooking timer stops for that step, so the batch leaves one step late
    results, _ = run(oven("<fill_time>2</fill_time><cook_time>3</cook_time>"
                          "<arrest>IF TIME = 3 THEN 1 ELSE 0</arrest>"))
    assert values(results, "unload")[5:8] == [0, 10, 0]
    # started full: closed at once, released after the cook time, filling again meanwhile
    results, _ = run(oven("<capacity>20</capacity><cook_time>3</cook_time>", initial="20"), stop=5)
    assert values(results, "unload") == [0, 0, 0, 20, 0, 0] and values(results, "load")[:5] == [0, 0, 0, 5, 5]


def test_oven_time_steps_and_many_runs_at_once() -> None:
    # DT 0.5: fill time 1 is two steps (2 x 2.5), cook time 1.2 rounds to two steps
    results, _ = run(oven("<fill_time>1</fill_time><cook_time>1.2</cook_time>"), stop=3, dt=0.5)
    assert values(results, "unload")[:6] == [0, 0, 0, 0, 10, 0]
    model, _ = load(oven("<fill_time>2</fill_time><cook_time>cook</cook_time>",
                         more='<aux name="cook"><eqn>3</eqn></aux>'))
    batch = solvers.compile(model).run(params={"cook": [3, 1]})
    assert np.asarray(batch["unload"])[:6].T.tolist() == [[0, 0, 0, 0, 0, 10], [0, 0, 0, 10, 0, 0]]


def test_oven_release_rides_a_conveyor_downstream() -> None:
    results, report = run(oven("<fill_time>2</fill_time><cook_time>3</cook_time>").replace(
        '<flow name="unload"><eqn>0</eqn></flow>', """<flow name="unload"><eqn>0</eqn></flow>
    <stock name="belt"><eqn>0</eqn><inflow>unload</inflow><outflow>off</outflow>
      <conveyor><len>2</len></conveyor></stock><flow name="off"><eqn>0</eqn></flow>"""))
    assert not errors(report)
    assert values(results, "off")[:9] == [0, 0, 0, 0, 0, 0, 0, 10, 0]


QUEUE = """<stock name="line"><eqn>{initial}</eqn>{inflows}{outflows}<queue/></stock>"""
KILN = """<stock name="kiln"><eqn>0</eqn><inflow>load</inflow><outflow>unload</outflow>
      <oven {attributes}>{options}</oven></stock><flow name="unload"><eqn>0</eqn></flow>"""


def queue(initial: str = "0", inflows: tuple[str, ...] = ("arrive",), outflows: tuple[str, ...] = ("load",)) -> str:
    return QUEUE.format(initial=initial, inflows="".join(f"<inflow>{f}</inflow>" for f in inflows),
                        outflows="".join(f"<outflow>{f}</outflow>" for f in outflows))


def test_queue_feeds_an_oven_what_it_admits() -> None:
    results, report = run(queue() + '<flow name="arrive"><eqn>5</eqn></flow><flow name="load"><eqn>0</eqn></flow>'
                          + KILN.format(attributes="", options="<capacity>20</capacity><fill_time>2</fill_time>"
                                                               "<cook_time>3</cook_time>"))
    assert not errors(report)
    # batches of 5 wait from 1; the oven takes 5 at 1 and 2, closes, releases 10 at 6 and takes the 20 waiting
    assert values(results, "load") == [0, 5, 5, 0, 0, 0, 20, 0, 0, 0, 20, 0, 0]
    assert values(results, "line") == [0, 5, 5, 5, 10, 15, 20, 5, 10, 15, 20, 5, 10]
    assert values(results, "unload")[6] == 10 and values(results, "unload")[10] == 20


def test_queue_keeps_batches_whole_or_one_at_a_time_for_an_oven() -> None:
    flows = '<flow name="arrive"><eqn>5</eqn></flow><flow name="load"><eqn>0</eqn></flow>'
    options = "<capacity>12</capacity><fill_time>3</fill_time><cook_time>1</cook_time>"
    results, _ = run(queue(initial="3") + flows + KILN.format(attributes='batch_integrity="true"', options=options))
    # batches 3 (initial), then 5 per step: 3 fits at 0; at 1 the 5 fits (8), at 2 the next 5 does not (13)
    assert values(results, "load")[:3] == [3, 5, 0]
    results, _ = run(queue(initial="3") + flows + KILN.format(attributes="", options=options))
    assert values(results, "load")[:3] == [3, 5, 4]  # split batches fill it to 12
    # two inflows make two batches a step, 2 then 3: one at a time the oven takes the front one only
    flows = '<flow name="a"><eqn>2</eqn></flow><flow name="b"><eqn>3</eqn></flow><flow name="load"><eqn>0</eqn></flow>'
    options = "<capacity>20</capacity><fill_time>3</fill_time><cook_time>1</cook_time>"
    results, _ = run(queue(inflows=("a", "b")) + flows + KILN.format(attributes='one_at_a_time="true"',
                                                                       options=options), stop=4)
    assert values(results, "load")[:5] == [0, 2, 3, 2, 0] and values(results, "kiln")[4] == 7
    results, _ = run(queue(inflows=("a", "b")) + flows + KILN.format(attributes="", options=options), stop=4)
    assert values(results, "load")[:5] == [0, 5, 5, 5, 0]


def test_queue_outflows_take_from_the_front_in_their_order() -> None:
    results, report = run(queue(initial="6", inflows=("arrive", "extra"), outflows=("first", "second")) + """
    <flow name="arrive"><eqn>4</eqn></flow><flow name="extra"><eqn>-2</eqn></flow>
    <flow name="first"><eqn>3</eqn></flow><flow name="second"><eqn>3</eqn></flow>""", stop=4)
    assert not errors(report)
    # 6 waiting: 3 and 3; then the 4 that arrived each step: 3 and 1 (a negative inflow brings nothing)
    assert values(results, "first") == [3, 3, 3, 3, 3] and values(results, "second") == [3, 1, 1, 1, 1]
    assert values(results, "extra") == [0] * 5 and values(results, "line") == [6, 4, 4, 4, 4]


def test_queue_refusals_name_the_element_and_option() -> None:
    flows = '<flow name="arrive"><eqn>1</eqn></flow><flow name="load"><eqn>1</eqn></flow>'
    _, report = load(queue().replace("<queue/>", '<queue priority="true"/>') + flows)
    assert any(e.startswith("line: queue not supported (option priority)") for e in errors(report))
    _, report = load(queue() + flows.replace('"load"><eqn>1</eqn>', '"load"><eqn>1</eqn><overflow/>'))
    assert any("overflow outflow 'load'" in e for e in errors(report))



def test_oven_refusals_name_the_element_and_option() -> None:
    cases = {
        "<capacity>20</capacity>": "no cook time <cook_time>",
        "<capacity>-5</capacity><cook_time>2</cook_time>": "negative <capacity> -5",
        "<cook_time>2</cook_time>": "neither <capacity> nor <fill_time>",
        "<capacity>5</capacity><cook_time>2</cook_time><batch_size>2</batch_size>": "<batch_size>",
    }
    for options, reason in cases.items():
        _, report = load(oven(options))
        assert any(e.startswith("kiln: oven not supported") and reason in e for e in errors(report)), options
    _, report = load(oven("<capacity>5</capacity><cook_time>2</cook_time>").replace(
        "<inflow>load</inflow>", "<inflow>load</inflow><inflow>extra</inflow>")
        + '<flow name="extra"><eqn>1</eqn></flow>')
    assert any("2 inflow(s) and 1 outflow(s)" in e for e in errors(report))
    with pytest.raises(SimulationError, match="oven 'kiln': the capacity must not be negative"):
        run(oven("<capacity>room</capacity><cook_time>2</cook_time>", more='<aux name="room"><eqn>-1</eqn></aux>'))


def test_discrete_conveyor_starts_with_one_package_per_time_unit() -> None:
    results, report = belt(initial="8", inflow="0", attributes='discrete="true"', stop=4)
    assert not errors(report)
    # 8 over 4 time units: a package of 2 in the last step of each time unit, so 2 / DT leaves at 0.75, 1.75..
    leave = values(results, "leave")
    assert [i for i, v in enumerate(leave) if v] == [3, 7, 11, 15] and set(leave) == {0, 8}
    continuous, _ = belt(initial="8", inflow="0", stop=4)
    assert set(values(continuous, "leave")[:16]) == {2}


def test_discrete_conveyor_inflow_limit_counts_per_time_unit() -> None:
    results, _ = belt(attributes='discrete="true"', options="<in_limit>150</in_limit>", stop=3)
    # 150 may enter in each time unit, as fast as it comes (62.5 a step): 62.5, 62.5, 25, then nothing
    assert values(results, "enter")[:9] == [250, 250, 100, 0, 250, 250, 100, 0, 250]
    continuous, _ = belt(options="<in_limit>150</in_limit>", stop=3)
    assert set(values(continuous, "enter")) == {150}


def test_queue_feeds_a_discrete_conveyor_its_room() -> None:
    def chain(attributes: str) -> list[float]:
        results, report = run(queue() + """<flow name="arrive"><eqn>5</eqn></flow><flow name="load"><eqn>0</eqn></flow>
    <stock name="belt"><eqn>0</eqn><inflow>load</inflow><outflow>off</outflow>
      <conveyor discrete="true" """ + attributes + """><len>2</len><capacity>8</capacity></conveyor></stock>
    <flow name="off"><eqn>0</eqn></flow>""", stop=4)
        assert not errors(report)
        assert values(results, "off")[:4] == [0, 0, 0, 5]
        return values(results, "load")[:4]

    # 5 waits from 1 and goes on the belt; at 2 the belt holds 5 of 8, so 3 of the next batch fits (or
    # nothing when batches stay whole); at 3 the first 5 leaves
    assert chain("") == [0, 5, 3, 5]
    assert chain('batch_integrity="true"') == [0, 5, 0, 5]


def test_discrete_conveyor_refusals_name_the_element_and_option() -> None:
    _, report = belt(attributes='discrete="true"', leak="><eqn>0.1</eqn><leak/>")
    assert any(e.startswith("belt: conveyor not supported (a discrete conveyor with leak flows)")
               for e in errors(report))
    _, report = load(queue() + """<flow name="arrive"><eqn>5</eqn></flow><flow name="load"><eqn>0</eqn></flow>
    <stock name="belt"><eqn>0</eqn><inflow>load</inflow><inflow>more</inflow><outflow>off</outflow>
      <conveyor><len>2</len></conveyor></stock><flow name="more"><eqn>1</eqn></flow>
    <flow name="off"><eqn>0</eqn></flow>""")
    assert any("inflow 'load' from a queue beside other inflows" in e for e in errors(report))
