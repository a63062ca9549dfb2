"""Strict wiring of executable architectures: nesting with delegation ports, and the failure cases of
a heater / room / thermostat architecture fail loudly in both ``check`` and ``run``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import solvers
from app.cli import main
from importers import load
from metamodel.errors import ModelError
from tests.sysml_models import (
    behaviour,
    block,
    connector,
    papyrus,
    part,
    port,
    stereotype,
    write,
    xmile,
)

HEATER = "<aux name='command'><eqn>0</eqn></aux><aux name='power'><eqn>command * 2000</eqn></aux>"
ROOM = ("<stock name='temperature'><eqn>15</eqn><inflow>heating</inflow><outflow>loss</outflow></stock>"
        "<flow name='heating'><eqn>heat_in / capacity</eqn></flow><flow name='loss'><eqn>(temperature - outside) / tau"
        "</eqn></flow><aux name='heat_in'><eqn>0</eqn></aux><aux name='capacity'><eqn>1000</eqn></aux>"
        "<aux name='outside'><eqn>5</eqn></aux><aux name='tau'><eqn>10</eqn></aux>")
THERMOSTAT = ("<aux name='temperature'><eqn>0</eqn></aux><aux name='setpoint'><eqn>20</eqn></aux>"
              "<aux name='command'><eqn>IF temperature &lt; setpoint THEN 1 ELSE 0</eqn></aux>")
DIRECTIONS = {"r_t": "out", "r_h": "in", "h_c": "in", "h_p": "out", "t_t": "in", "t_c": "out"}


def house(folder: Path, *, room_port: str = "heat_in", directions: dict[str, str] | None = None,
          heater_stop: float = 10, skip_file: str = "", config: str = "") -> Path:
    """House = room + hvac; hvac = heater + thermostat behind delegation ports temp_in and heat_out."""
    for name, text, stop in (("heater", HEATER, heater_stop), ("room", ROOM, 10), ("thermostat", THERMOSTAT, 10)):
        if name != skip_file:
            write(folder, f"{name}.xmile", xmile(name, text, stop=stop))
    room = block("Room", "Room", port("r_t", "temperature"), port("r_h", room_port), behaviour("room_b", "room",
                                                                                               "room.xmile"))
    heater = block("Heater", "Heater", port("h_c", "command"), port("h_p", "power"),
                   behaviour("heater_b", "heater", "heater.xmile"))
    thermostat = block("Thermostat", "Thermostat", port("t_t", "temperature"), port("t_c", "command"),
                       behaviour("thermostat_b", "thermostat", "thermostat.xmile"))
    hvac = block("HVAC", "HVAC", port("v_in", "temp_in"), port("v_out", "heat_out"),
                 part("p_heater", "heater", "Heater"), part("p_thermostat", "thermostat", "Thermostat"),
                 connector("d_in", ("v_in", None), ("t_t", "p_thermostat"), "temperature delegated"),
                 connector("d_out", ("h_p", "p_heater"), ("v_out", None), "heat delegated"),
                 connector("c_cmd", ("t_c", "p_thermostat"), ("h_c", "p_heater"), "command"))
    home = block("House", "House", part("p_room", "room", "Room"), part("p_hvac", "hvac", "HVAC"),
                 connector("c_t", ("r_t", "p_room"), ("v_in", "p_hvac"), "temperature"),
                 connector("c_h", ("v_out", "p_hvac"), ("r_h", "p_room"), "heat"))
    stereotypes = [stereotype("Blocks:Block", b, f"s_{b}") for b in ("Room", "Heater", "Thermostat", "HVAC", "House")]
    stereotypes += [stereotype("DeprecatedElements:FlowPort", p, f"f_{p}", **({"direction": d} if d else {}))
                    for p, d in (directions or DIRECTIONS).items()]
    if config:
        stereotypes.append(config)
    return write(folder, "house.uml", papyrus("house", [room, heater, thermostat, hvac, home], stereotypes))


def exit_codes(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, int, str]:
    check = main(["check", str(path)])
    run = main(["run", str(path), "--out", str(path.parent / "out.csv")])
    return check, run, capsys.readouterr().out + capsys.readouterr().err


def test_nested_parts_with_delegation_ports_are_flattened_and_wired(tmp_path: Path) -> None:
    results = solvers.load(house(tmp_path)).run()
    np.testing.assert_array_equal(results["room.heat_in"], results["hvac.heater.power"])
    np.testing.assert_array_equal(results["hvac.thermostat.temperature"], results["room.temperature"])
    # first step by hand: 15 < 20 so the heater gives 2000 W: 15 + 0.25 * (2000/1000 - (15 - 5)/10) = 15.25
    assert results["room.temperature"][1, 0] == pytest.approx(15.25)
    assert results["room.temperature"][:, 0].max() < 21


def test_check_and_run_pass_on_the_wired_house(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check, run, _ = exit_codes(house(tmp_path), capsys)
    assert (check, run) == (0, 0)


def test_port_that_matches_no_variable_names_the_closest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = house(tmp_path, room_port="heatIn")
    check, run, output = exit_codes(path, capsys)
    assert (check, run) == (1, 1)
    assert "port 'heatIn' of Room matches no variable of its behaviour 'room'; the closest is 'heat in'" in output


def test_missing_behaviour_file_fails_check_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check, run, output = exit_codes(house(tmp_path, skip_file="heater"), capsys)
    assert (check, run) == (1, 1)
    assert "heater.xmile" in output


def test_port_without_direction_fails_check_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directions = {**DIRECTIONS, "t_t": ""}
    check, run, output = exit_codes(house(tmp_path, directions=directions), capsys)
    assert (check, run) == (1, 1)
    assert "port 'temperature' of Thermostat has no direction" in output


def test_out_to_out_connection_fails_check_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directions = {**DIRECTIONS, "r_h": "out"}
    check, run, output = exit_codes(house(tmp_path, directions=directions), capsys)
    assert (check, run) == (1, 1)
    assert "joins two outputs" in output and "room.heat in" in output


def test_behaviours_with_different_time_settings_are_refused(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    check, run, output = exit_codes(house(tmp_path, heater_stop=20), capsys)
    assert (check, run) == (1, 1)
    assert "different time settings" in output and "heater: 0 to 20 step 0.25" in output


def test_behaviours_run_under_the_architecture_time_settings(tmp_path: Path) -> None:
    config = '  <SimulationProfile:SimulationConfig xmlns:SimulationProfile="http://www.magicdraw.com/simulation" ' \
             'xmi:id="cfg" base_Class="House" startTime="0" endTime="5" stepSize="0.5"/>'
    model, report = load(house(tmp_path, heater_stop=20, config=config))
    assert report.ok and any("run under the architecture's time settings" in e.reason for e in report.entries)
    results = solvers.compile(model).run()
    assert results.time[-1] == 5.0 and results.time[1] == 0.5


def test_wiring_errors_are_model_errors_of_the_compiler(tmp_path: Path) -> None:
    model, _ = load(house(tmp_path, room_port="heatIn"))
    with pytest.raises(ModelError) as caught:
        solvers.compile(model)
    assert [d.code for d in caught.value.diagnostics] == ["AR120"]


TANK = ("<stock name='level'><eqn>2</eqn><inflow>filling</inflow></stock><flow name='filling'><eqn>inflow</eqn>"
        "</flow><aux name='inflow'><eqn>0</eqn></aux>")


def test_parametric_controller_closes_a_loop_through_an_sd_stock(tmp_path: Path) -> None:
    """flow = gain * (setpoint - level) feeds the tank's inflow; the tank's level stock comes back:
    level(k+1) = level(k) + dt * 0.5 * (10 - level(k)), from 2 with dt 0.25: 3, then 3.875."""
    from tests.sysml_models import constraint, value

    write(tmp_path, "tank.xmile", xmile("tank", TANK))
    tank = block("Tank", "Tank", port("k_level", "level"), port("k_in", "inflow"), behaviour("tank_b", "tank",
                                                                                            "tank.xmile"))
    control = block("Controller", "Controller", port("c_level", "level"), port("c_flow", "flow"),
                    value("gain", "gain", "0.5"), value("sp", "setpoint", "10"),
                    constraint("law", "flow = gain * (setpoint - level)"))
    plant = block("Plant", "Plant", part("p_tank", "tank", "Tank"), part("p_ctl", "controller", "Controller"),
                  connector("c1", ("k_level", "p_tank"), ("c_level", "p_ctl")),
                  connector("c2", ("c_flow", "p_ctl"), ("k_in", "p_tank")))
    stereotypes = [stereotype("Blocks:Block", b, f"s_{b}") for b in ("Tank", "Controller", "Plant")]
    stereotypes += [stereotype("DeprecatedElements:FlowPort", p, f"f_{p}", direction=d)
                    for p, d in (("k_level", "out"), ("k_in", "in"))]
    results = solvers.load(write(tmp_path, "plant.uml", papyrus("plant", [tank, control, plant], stereotypes))).run()
    np.testing.assert_allclose(results["tank.level"][:3, 0], [2.0, 3.0, 3.875])
    np.testing.assert_allclose(results["tank.inflow"][:, 0], 0.5 * (10 - results["tank.level"][:, 0]))
    assert results["controller.gain"][0, 0] == 0.5
