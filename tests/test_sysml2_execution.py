"""SysML v2 textual models run: attribute expressions, calc defs, constraint defs and asserted constraints,
bind, analysis and verification cases with their subjects. Expected values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

import solvers
from importers import load
from metamodel.elements import Block, Constraint, Relation
from metamodel.errors import ModelError
from solvers.verify import verify

VEHICLE = """package MassDemo {
    part def Engine { attribute m : Real = 200; }
    part def Transmission { attribute m : Real = 100; }
    calc def Acceleration(p : Real, m : Real, v : Real) : Real = p / (m * v);
    calc def Half { in x : Real; return h : Real = x / 2; }
    constraint def MassLimit (mass : Real, maxMass : Real) { mass <= maxMass }
    constraint def Total (total : Real, parts : Real[0..*]) { total == sum(parts) }
    part def Vehicle {
        attribute m : Real;
        attribute power : Real = 50000;
        attribute speed : Real = 20;
        attribute accel : Real = Acceleration(power, m, speed);
        attribute halfMass : Real = Half(m);
        part eng : Engine;
        part trans : Transmission { attribute :>> m = 150; }
        assert constraint total : Total (total = m, parts = (eng.m, trans.m));
        assert constraint ml : MassLimit (mass = m, maxMass = 2500 [kg]);
        assert constraint { m >= 100 }
    }
}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "model.sysml"
    path.write_text(text, encoding="utf-8")
    return path


def test_constraint_defs_calc_defs_and_expressions_run(tmp_path: Path) -> None:
    """m = sum(200, 150) = 350 (the usage's :>> m = 150 hides Transmission's 100);
    accel = 50000 / (350 * 20); halfMass = 350 / 2."""
    model, report = load(write(tmp_path, VEHICLE))
    assert {b.name: b.stereotype for b in model.of_kind(Block) if b.stereotype != "part def"} == {
        "Acceleration": "calc def", "Half": "calc def", "MassLimit": "constraint def", "Total": "constraint def"}
    results = solvers.compile(model).run()
    assert results["m"][0, 0] == pytest.approx(350.0)
    assert results["accel"][0, 0] == pytest.approx(50000 / (350 * 20))
    assert results["halfMass"][0, 0] == pytest.approx(175.0)
    assert results["check: m >= 100 (Vehicle)"][0, 0] == 1.0
    assert results["check: mass <= maxMass (ml)"][0, 0] == 1.0


def test_acausal_v2_constraint_is_solved_for_whatever_is_unknown(tmp_path: Path) -> None:
    text = VEHICLE.replace("attribute m : Real;", "attribute m : Real = 400;").replace(
        "part def Transmission { attribute m : Real = 100; }", "part def Transmission { attribute m : Real; }").replace(
        "part trans : Transmission { attribute :>> m = 150; }", "part trans : Transmission;")
    results = solvers.load(write(tmp_path, text)).run()
    assert results["trans.m"][0, 0] == pytest.approx(200.0)  # total == sum(parts) solved for the transmission


def test_bind_makes_two_values_one(tmp_path: Path) -> None:
    text = """package P {
        part def Tank { attribute volume : Real; attribute area : Real = 2; attribute level : Real;
                        assert constraint { volume == area * level } }
        part def Plant { part tank : Tank; attribute fill : Real = 6; bind tank.volume = fill; }
    }"""
    results = solvers.load(write(tmp_path, text)).run()
    assert results["tank.level"][0, 0] == pytest.approx(3.0)


def test_analysis_with_a_subject_and_a_verification_case(tmp_path: Path) -> None:
    """The analysis' result is v.m / v.k = 3 / 2 of the subject vv; the verification case's PassIf(v.m <= 5)
    verifies requirement r."""
    text = """package Demo {
        part def V { attribute m : Real = 3; attribute k : Real = 2; }
        part vv : V;
        requirement def R;
        requirement r : R;
        analysis def Stiffness { subject v : V; return ratio : Real; v.m / v.k }
        verification def MassCheck { subject v : V; objective { verify r; } VerificationCases::PassIf(v.m <= 5) }
        part context {
            analysis stiffness : Stiffness { subject v = vv; }
            verification check : MassCheck { subject v = vv; }
            attribute doubled : Real = stiffness.ratio * 2;
        }
    }"""
    model, _ = load(write(tmp_path, text))
    assert any(r.relation == "verify" and r.targets == ["Demo::r"] for r in model.of_kind(Relation))
    compiled = solvers.compile(model)
    results = compiled.run()
    assert results["context.stiffness.ratio"][0, 0] == pytest.approx(1.5)
    assert results["context.doubled"][0, 0] == pytest.approx(3.0)
    (verdict,) = [v for v in verify(compiled, results) if v.name == "r"]
    assert verdict.status == "pass" and verdict.checks[0].instance == "context.check"
    failing = compiled.run(params={"vv.m": 6.0})
    (verdict,) = [v for v in verify(compiled, failing) if v.name == "r"]
    assert verdict.status == "fail" and verdict.checks[0].value == 6.0


def test_unknown_calc_or_feature_is_named(tmp_path: Path) -> None:
    model, _ = load(write(tmp_path, VEHICLE.replace("Acceleration(power, m, speed)", "Acceleration(power, m)")))
    with pytest.raises(ModelError, match=r"Acceleration\(\) in .* takes 3 argument\(s\), not 2"):
        solvers.compile(model)
    model, _ = load(write(tmp_path, VEHICLE.replace("{ m >= 100 }", "{ mass_total >= 100 }")))
    with pytest.raises(ModelError, match="'mass_total' .* is not a feature of Vehicle"):
        solvers.compile(model)


def test_constraints_keep_their_text_as_written(tmp_path: Path) -> None:
    model, _ = load(write(tmp_path, VEHICLE))
    bodies = {c.body for c in model.of_kind(Constraint)}
    assert "total.parts == ((eng.m, trans.m))" in bodies and "ml.maxMass == (2500 [kg])" in bodies
    assert all(c.language == "SysML v2" for c in model.of_kind(Constraint))


def test_quoted_names_calc_usages_and_specialized_definitions(tmp_path: Path) -> None:
    """p = rho * R * T through a calc usage bound with 'bind', on a part whose definition specializes
    another: 1.2 * 287 * 300 = 103320."""
    text = """package 'Gas Demo' {
        package Functions { calc def 'Ideal Gas Law' (in rho, in R_bar, in T) return p { rho * R_bar * T } }
        part def 'Gas Parcel' { attribute 'Density' = 1.2; attribute 'Gas Constant' = 287; }
        part def 'Moving Parcel' specializes 'Gas Parcel' { attribute 'Temperature' = 300; attribute 'Pressure'; }
        part 'Context' {
            import Functions::*;
            part 'Inlet' : 'Moving Parcel' {
                calc 'Solve' : 'Ideal Gas Law' (rho, R_bar, T) p;
                bind 'Density' = 'Solve'.rho;
                bind 'Gas Constant' = 'Solve'.R_bar;
                bind 'Temperature' = 'Solve'.T;
                bind 'Pressure' = 'Solve'.p;
            }
        }
    }"""
    results = solvers.load(write(tmp_path, text)).run()
    assert results["Inlet.Pressure"][0, 0] == pytest.approx(1.2 * 287 * 300)


def test_usages_typed_by_their_owner_definition_are_no_cycle_and_solve_acausally(tmp_path: Path) -> None:
    """A vehicle : Component with parts typed by Component (features of the usage, not of Component):
    mass == sum of the parts, solved for the part nothing gives, 1000 - 100 - 200 = 700."""
    text = """package P {
        part def Component { attribute mass : Real; }
        part vehicle : Component {
            part engine : Component;
            part front : Component { attribute :>> mass = 100; }
            part rear : Component { attribute :>> mass = 200; }
        }
        part vehicle2 :> vehicle {
            attribute :>> mass = 1000;
            assert constraint { mass == engine.mass + front.mass + rear.mass }
            bind indexed[1] = mass;
        }
    }"""
    model, report = load(write(tmp_path, text))
    assert any("bind of an indexed feature" in e.reason for e in report.entries)  # reported, not a parse error
    compiled = solvers.compile(model)
    assert compiled.parameters == {"mass": 1000.0, "front.mass": 100.0, "rear.mass": 200.0}
    assert compiled.run()["engine.mass"][0, 0] == pytest.approx(700.0)
