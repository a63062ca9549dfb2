"""Stella's batch stocks (ovens) run end to end; expected values worked out by hand from isee's
description of ovens (fill until full or the fill time has passed, cook, release in one time step)."""

from __future__ import annotations

import numpy as np
import pytest

import solvers
from importers.xmile import loads
from metamodel.errors import SimulationError

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
    # open at 0 and 1 (fill time 2), closed at 2 with 10, cooked 2..5, released over [5, 6], open again at 6
    assert values(results, "load") == [5, 5, 0, 0, 0, 0, 5, 5, 0, 0, 0, 0, 5]
    assert values(results, "unload") == [0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 10, 0]
    assert values(results, "kiln") == [0, 5, 10, 10, 10, 10, 0, 5, 10, 10, 10, 10, 0]


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
    # started full: closed at once, released after the cook time
    results, _ = run(oven("<capacity>20</capacity><cook_time>3</cook_time>", initial="20"), stop=5)
    assert values(results, "unload") == [0, 0, 0, 20, 0, 0] and values(results, "load")[:5] == [0, 0, 0, 0, 5]


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
