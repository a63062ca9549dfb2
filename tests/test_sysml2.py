"""SysML v2 textual import: the public examples, a planted model with every mapped construct, bad input."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

import importers
from importers.sysml2_lex import tokenize
from importers.sysml2_parse import MAX_DEPTH, parse
from metamodel.elements import Block, Connector, Interface, Part, Port, Relation, Requirement, ValueType
from metamodel.errors import ParseError
from metamodel.model import Model
from metamodel.validation import arch_rules  # noqa: F401  (registers the AR rules)
from metamodel.validation.registry import run_rules
from tests.bad_input import load_fails
from tests.paths import MBSE_SAMPLES

SAMPLES = MBSE_SAMPLES / "sysml2"
VEHICLE = SAMPLES / "VehicleDefinitions.sysml"
PORTS = SAMPLES / "Port Example.sysml"
FLOW = SAMPLES / "Flow Interface Example.sysml"

# Counted in the files. VehicleDefinitions: 6 part defs + 1 interface def (blocks), 3 port defs
# (interfaces), 3 ports, 2 attributes + 2 interface ends (parts), 1 package, ISQ::mass and ISQ::torque
# (library value types), the flow of the interface def. Port Example: 3 part defs, 2 port defs, 2 ports,
# 1 attribute def. Flow Interface Example: 1 part def + 1 interface def, 3 part usages + 2 ends, 1
# connector, the 2 flows of the interface def, plus Port Example, which it imports and which is read from
# beside it.
EXPECTED = {
    VEHICLE: {"block": 7, "interface": 3, "port": 3, "part": 4, "package": 1, "value_type": 2, "item_flow": 1},
    PORTS: {"block": 3, "interface": 2, "port": 2, "package": 1, "value_type": 1},
    FLOW: {"block": 5, "interface": 2, "port": 2, "part": 5, "package": 2, "value_type": 1, "connector": 1,
           "item_flow": 2},
}

PLANTED = """
package Plant {
    doc /* A planted plant. */
    private import Lib::*;  // a library that is nowhere
    attribute def Volume;
    port def WaterPort { out item water : Volume; }
    part def Pump {
        port outlet : WaterPort;
        attribute speed : Real = 3.5 * 2;
    }
    part def Tank { port inlet : ~WaterPort; }
    part def Station {
        part pumps : Pump[2..*];
        part tank : Tank;
        ref part spare : Pump [0..1];
        connect pumps.outlet to tank.inlet;
        action run { first start; then done; }
    }
    requirement def <'R1'> FlowRate {
        doc /* The station shall deliver water. */
        subject s : Station;
    }
    satisfy FlowRate by Station;
    state def Modes { entry; }
    state def Other;
}
"""


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_sample_counts(path: Path) -> None:
    model, report = importers.load(path)
    assert Counter(e.kind for e in model.elements.values()) == EXPECTED[path]
    assert report.ok and {e.severity for e in report.entries} <= {"info"}
    assert all(" x " in e.reason and " not imported: " in e.reason or "read from" in e.reason
               for e in report.entries)


def test_vehicle_definitions() -> None:
    model, report = importers.load(VEHICLE)
    package = model["VehicleDefinitions"]
    assert package.doc == "Example vehicle definitions model."
    mount = model["VehicleDefinitions::AxleMountIF"]
    assert isinstance(mount, Interface)
    assert [(fp.name, fp.direction, fp.type) for fp in mount.flow_properties] == \
        [("transferredTorque", "out", "library:ISQ::torque")]
    port = model["VehicleDefinitions::Axle::leftMountingPoint"]
    assert (port.type, port.direction, port.flow_type) == ("VehicleDefinitions::AxleMountIF", "out", "AxleMountIF")
    torque = model["library:ISQ::torque"]
    assert isinstance(torque, ValueType) and torque.href == "ISQ::torque"
    mounting = model["VehicleDefinitions::Mounting"]
    assert isinstance(mounting, Block) and mounting.stereotype == "interface def"
    assert mounting.doc == "The definition of the interface for mounting a Wheel to an Axle."
    assert report.lines["VehicleDefinitions::Wheel::hub"] == 25
    reasons = [e.reason for e in report.entries]
    assert "5 x import not imported: imports are used to resolve names; the import itself is not an element" in reasons
    flow = model["VehicleDefinitions::Mounting::flow@52"]  # flow axleMount.transferredTorque to hub.appliedTorque
    assert (flow.source, flow.target, flow.conveyed) == ("VehicleDefinitions::Mounting::axleMount",
                                                         "VehicleDefinitions::Mounting::hub", ["library:ISQ::torque"])


def test_flow_interface_connector_resolves_through_parts() -> None:
    model, report = importers.load(FLOW)
    connector = next(model.of_kind(Connector))
    assert connector.type == "Flow Interface Example::FuelInterface"
    assert [(e.role, e.part_with_port) for e in connector.ends] == [
        ("Port Example::FuelTankAssembly::fuelTankPort", "Flow Interface Example::vehicle::tankAssy"),
        ("Port Example::Engine::engineFuelPort", "Flow Interface Example::vehicle::eng")]
    for end in connector.ends:
        assert isinstance(model[end.role], Port) and isinstance(model[end.part_with_port], Part)
        assert model[end.part_with_port].type == model[end.role].owner
    assert "imported package 'Port Example' read from Port Example.sysml" in [e.reason for e in report.entries]
    # a port def and its mirror carry the same flows: no flow type error, nothing else either
    assert run_rules(model, ("architecture",)) == []


def test_planted_model(tmp_path: Path) -> None:
    path = tmp_path / "plant.sysml"
    path.write_text(PLANTED, encoding="utf-8")
    model, report = importers.load(path)
    assert model["Plant"].doc == "A planted plant."
    pumps = model["Plant::Station::pumps"]
    assert (pumps.type, pumps.lower, pumps.upper, pumps.aggregation) == ("Plant::Pump", 2, None, "part")
    spare = model["Plant::Station::spare"]
    assert (spare.aggregation, spare.lower, spare.upper) == ("reference", 0, 1)
    speed = model["Plant::Pump::speed"]
    assert (speed.aggregation, speed.default, speed.type) == ("value", "3.5 * 2", "library:Real")
    inlet = model["Plant::Tank::inlet"]
    assert inlet.conjugated and inlet.direction == "out"
    connector = next(model.of_kind(Connector))
    assert connector.owner == "Plant::Station"
    assert [(e.role, e.part_with_port) for e in connector.ends] == [
        ("Plant::Pump::outlet", "Plant::Station::pumps"), ("Plant::Tank::inlet", "Plant::Station::tank")]
    requirement = model["Plant::FlowRate"]
    assert isinstance(requirement, Requirement)
    assert (requirement.req_id, requirement.doc) == ("R1", "The station shall deliver water.")
    satisfy = next(model.of_kind(Relation))
    assert (satisfy.relation, satisfy.sources, satisfy.targets) == ("satisfy", ["Plant::Station"], ["Plant::FlowRate"])
    entries = {e.reason: e for e in report.entries}
    assert entries["2 x state def not imported: not mapped to Salver's architecture metamodel"].line == 24
    assert entries["1 x action not imported: not mapped to Salver's architecture metamodel"].line == 17
    subject = model["Plant::FlowRate::s"]  # a requirement's subject: a reference to what it is about
    assert (subject.stereotype, subject.aggregation, subject.type) == ("subject", "reference", "Plant::Station")
    undefined = [e for e in report.entries if e.severity == "warning"]
    assert [e.reason for e in undefined] == ["name 'Real' is not defined in this file or the .sysml files beside "
                                             "it; kept as an external value type"]
    assert undefined[0].line == 9
    diagnostics = run_rules(model, ("architecture",))
    assert not any(d.severity == "error" for d in diagnostics)  # conjugated inlet meets the out outlet


def test_connector_end_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "bad_end.sysml"
    path.write_text("package P { part def A { port p; } part a : A; part b : A; connect a.p to b.q; }")
    model, report = importers.load(path)
    assert not report.ok
    assert any(e.reason == "connector end 'b.q' not found" and e.line == 1 for e in report.entries)
    assert Counter(d.code for d in run_rules(model, ("architecture",)))["AR101"] == 1


@pytest.mark.parametrize("text, message, line", [
    ("package P {\n  part def A {\n    port p;\n}\n", r"'\{' opened at line 1 is not closed", 4),
    ("package P {\n}\n}\n", r"unexpected '\}': no '\{' is open", 3),
    ("package P {\n  action a { if x { y; }\n", r"'\{' opened at line 2 is not closed", 2),
    ("package P { /* no end\n part def A; }", r"comment '/\*' is not closed", 1),
    ("package P {\n part x : ;\n}", "expected a name, found ';'", 2),
    ("package P {\n part def 'A;\n}", "name starting here is not closed", 2),
    ("package P {\n part x : A [1..2 ;\n}", r"'\[' of line 2 is not closed", 2),
    ("package P {\n part def A\n}", r"expected ';' or '\{' to end the part def statement of line 2", 3),
    ("package P " + "{ part def A " * (MAX_DEPTH + 2) + "}" * (MAX_DEPTH + 3), f"nesting deeper than {MAX_DEPTH}", 1),
    ("package P { action a " + "{ " * (MAX_DEPTH + 2) + "}" * (MAX_DEPTH + 3), f"nesting deeper than {MAX_DEPTH}", 1),
])
def test_bad_input_is_a_parse_error(tmp_path: Path, text: str, message: str, line: int) -> None:
    assert load_fails(tmp_path / "bad.sysml", text, message).line == line


def test_not_utf8_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.sysml"
    path.write_bytes(b"package P { doc /* caf\xe9 */ }")
    with pytest.raises(ParseError, match="not UTF-8"):
        importers.load(path)


def test_broken_neighbour_is_reported_not_fatal(tmp_path: Path) -> None:
    shutil.copy(FLOW, tmp_path / FLOW.name)
    (tmp_path / "Broken.sysml").write_text("package Broken {", encoding="utf-8")
    model, report = importers.load(tmp_path / FLOW.name)
    assert any(e.element == "Broken.sysml" and "not closed" in e.reason for e in report.entries)
    # the port example is not there: its names stay unresolved, as warnings, and the checks see it
    assert any("'FuelTankAssembly' is not defined" in e.reason for e in report.entries)
    assert "Flow Interface Example::vehicle" in model.elements


def test_tokens_and_statements() -> None:
    tokens = tokenize("part def 'My Part' :> Base; // note\n/* c */ in x : T[0..*];")
    assert [t.value for t in tokens if t.kind != "comment"][:4] == ["part", "def", "My Part", ":>"]
    nodes = parse(tokens)
    assert (nodes[0].keyword, nodes[0].name, nodes[0].subsets) == ("part def", "My Part", ["Base"])
    assert (nodes[1].keyword, nodes[1].direction, nodes[1].types, nodes[1].multiplicity) == \
        ("feature", "in", ["T"], (0, None))


USAGES = """
package Usages {
    port def P1;
    port def P2;
    interface def I1 { end port p1 : P1; end port p2 : P2; }
    abstract flow def F;
    part def A {
        part x { port p1 : P1; }
        part y { port p2 : P2; }
        interface i1 : I1 connect x.p1 to y.p2;
        part a;
        part b;
        bind a = b;
        message : F from x to y;
    }
    part d1;
    part d2;
    part d3;
    connection bus connect (d1, d2, d3);
    connection { end e1 ::> d1; end e2 ::> d2; }
    connection { end e1 ::> d2; end e2 ::> d3; }
}
"""


def test_usages_without_definitions_and_connections_of_sysml2(tmp_path: Path) -> None:
    path = tmp_path / "usages.sysml"
    path.write_text(USAGES, encoding="utf-8")
    model, report = importers.load(path)
    # usages typed by nothing but the library's base (x, y, a, b, d1...) are complete in SysML v2; ports
    # typed by two empty port defs, as the interface def connecting them says, carry nothing that differs;
    # a three-ended connection is one; bound parts are not an equation; the ends of connections without
    # 'connect' stay inside them (not two 'e1' in the package)
    assert [d for d in run_rules(model, ["architecture"])] == []
    assert len(model["Usages::bus"].ends) == 3
    reasons = " ".join(e.reason for e in report.entries)
    assert "flow def" in reasons and "message" in reasons and "binding of parts" in reasons


STREAMS = """
package Rooms {
    part def Air;
    port def Entry { in ref air : Air; }
    part def Room { port entry : Entry; }
    part def Hall { port exit : ~Entry; }
    part context {
        part r : Room;
        part h : Hall;
        stream hallToRoom from h.exit.air to r.entry.air;
        flow from h.nowhere to r.entry;
    }
}
"""


def test_flows_between_ports_are_item_flows(tmp_path: Path) -> None:
    path = tmp_path / "rooms.sysml"
    path.write_text(STREAMS, encoding="utf-8")
    model, report = importers.load(path)
    flow = model["Rooms::context::hallToRoom"]
    assert (flow.source, flow.target, flow.conveyed) == ("Rooms::Hall::exit", "Rooms::Room::entry", ["Rooms::Air"])
    assert [d for d in run_rules(model, ["architecture"])] == []  # the ports are connected by the flow
    assert [e.reason for e in report.entries if e.severity == "error"] == ["flow end 'h.nowhere' not found"]


FORMS = """
package Forms {
    part def Fuel;
    port def Bank;
    port def Spigot;
    port def Outlet { out item fuel : Fuel; }
    interface def Delivery {
        end [1] port suppliedBy : Bank { port hot : Spigot; }
        end [1..*] port deliveredTo : Bank { port hot : Spigot; }
        connect suppliedBy.hot to deliveredTo.hot;
    }
    part def Tank { port outlet : Outlet; }
    part def Joint;
    part def Hole;
    part assembly {
        part joints : Joint[0..5];
        part holes : Hole[5];
        connect joints[0..1] to holes[1];
        part tank : Tank {
            port redefines outlet { out item redefines fuel; }
            bind outlet.fuel = pump.out1;
            part pump { out item out1 : Fuel; }
        }
    }
}
"""


def test_end_multiplicities_indexed_ends_redefinitions_and_item_bindings(tmp_path: Path) -> None:
    path = tmp_path / "forms.sysml"
    path.write_text(FORMS, encoding="utf-8")
    model, report = importers.load(path)
    ends = model["Forms::Delivery::connect@10"].ends
    assert [e.role for e in ends] == ["Forms::Delivery::suppliedBy::hot", "Forms::Delivery::deliveredTo::hot"]
    assert model["Forms::Delivery::deliveredTo"].upper is None
    assert [e.role for e in model["Forms::assembly::connect@18"].ends] == ["Forms::assembly::joints",
                                                                           "Forms::assembly::holes"]
    # 'port redefines outlet' is no new, nameless port; binding two items is no equation
    assert not [e for e in model.elements.values() if e.owner == "Forms::assembly::tank" and not e.name]
    assert report.ok and not [d for d in run_rules(model, ["architecture"]) if d.code != "AR103"]


ACTIONS = """
package Drive {
    part def Fuel;
    port def FuelPort { in item fuel : Fuel; }
    part def Engine { port intake : FuelPort; port exhaust : ~FuelPort; }
    action def ProvidePower {
        in item fuel : Fuel;
        action generate { in item fuel : Fuel; out item torque; }
        action amplify { in item t; }
        flow fuel to generate.fuel;
        succession flow handOver from generate.torque to amplify.t;
    }
    part car {
        part e1 : Engine;
        part e2 : Engine;
        perform action drive : ProvidePower { stream of Fuel from drive.fuel to drive.generate.fuel; }
        succession flow feed from e1.exhaust to e2.intake;
    }
}
"""


def test_flows_inside_actions_are_reported_and_succession_flows_are_flows(tmp_path: Path) -> None:
    """Flows between action parameters (behaviour) are named in the report, never dropped unseen; a
    ``succession flow`` between ports is an item flow like ``flow``."""
    path = tmp_path / "drive.sysml"
    path.write_text(ACTIONS, encoding="utf-8")
    model, report = importers.load(path)
    feed = model["Drive::car::feed"]
    assert (feed.source, feed.target) == ("Drive::Engine::exhaust", "Drive::Engine::intake")
    inside = sorted((e.element, e.reason.split(" not imported")[0]) for e in report.entries if "inside" in e.reason)
    assert inside == [("ProvidePower", "2 flows inside action def 'ProvidePower'"),
                      ("drive", "1 flow inside perform 'drive'")]


def _uncovered(model: Model) -> list[str]:
    """The ids of the requirements AR114 reports as covered by nothing, sorted."""
    return sorted(d.element_id or "" for d in run_rules(model, ["architecture"]) if d.code == "AR114")


def test_expression_statements_end_at_their_semicolons_and_asserted_satisfactions_count(tmp_path: Path) -> None:
    """Statements in a requirement body separated by ';' (``frame c;``) are read one after the other; an
    ``assert satisfy`` is a satisfaction like ``satisfy``, a negated one is not."""
    path = tmp_path / "req.sysml"
    path.write_text("package Q {\n  concern c;\n  requirement def R { frame c; x > 1; }\n  part p;\n"
                    "  requirement r : R;\n  requirement s : R;\n  assert satisfy r by p;\n"
                    "  assert not satisfy s by p;\n}\n", encoding="utf-8")
    model, _ = importers.load(path)
    satisfied = [(r.sources, r.targets) for r in model.of_kind(Relation) if r.relation == "satisfy"]
    assert satisfied == [(["Q::p"], ["Q::r"])]
    uncovered = _uncovered(model)
    assert "Q::s" in uncovered and "Q::r" not in uncovered


def test_constraint_usages_need_no_definition(tmp_path: Path) -> None:
    """A SysML v2 constraint (or calculation) usage without a definition is typed by the library's base
    constraint: not an untyped feature."""
    path = tmp_path / "c.sysml"
    path.write_text("package K {\n  constraint def C;\n  constraint c : C;\n  constraint loose;\n"
                    "  requirement def R { require constraint tight :>> c; }\n  calc def F;\n  calc f;\n}\n",
                    encoding="utf-8")
    model, _ = importers.load(path)
    assert [d.message for d in run_rules(model, ["architecture"]) if d.code == "AR102"] == []


def test_requirement_definitions_are_checked_through_their_usages(tmp_path: Path) -> None:
    """A SysML v2 requirement definition states what its usages require; the usages, which may be
    anonymous, are what a design satisfies."""
    path = tmp_path / "defs.sysml"
    path.write_text("package D {\n  requirement def Mass { requirement; requirement def <'1'> Inner; }\n"
                    "  requirement def Unused;\n  part car;\n  requirement m : Mass;\n  requirement open : Mass;\n"
                    "  satisfy m by car;\n}\n", encoding="utf-8")
    model, _ = importers.load(path)
    found = [(d.code, d.element_id) for d in run_rules(model, ["architecture"]) if d.code in ("AR112", "AR114")]
    assert found == [("AR114", "D::open")]


def test_end_ports_of_a_connection_usage_are_its_ends(tmp_path: Path) -> None:
    """'end port p3 : P;' in the body of a connection usage declares an end of the connection, not a port
    that a connector must reach."""
    path = tmp_path / "ends.sysml"
    path.write_text("package E {\n  port def P;\n  connection def A { end port p1 : P; end port p2 : ~P; }\n"
                    "  part def B1 {\n    part p { port p1 : P; port p2 : ~P; }\n"
                    "    connection a : A connect p.p1 to p.p2 { end port p3 : P; }\n  }\n  part b : B1;\n}\n",
                    encoding="utf-8")
    model, _ = importers.load(path)
    assert [d.message for d in run_rules(model, ["architecture"]) if d.code == "AR103"] == []


def test_names_in_a_usage_body_are_its_types_features(tmp_path: Path) -> None:
    """In 'part b : B { connect f.a to a.g; }' f and a are B's features (inherited members of b), not
    the package's part f; 'part c subsets b.f { part aa subsets a; }' sees F's; a v2 flow without a
    payload type carries any item (no AR107)."""
    path = tmp_path / "paths.sysml"
    path.write_text("package Q {\n  part def F { part a : A; }\n  part f : F;\n  part def A { part g; }\n"
                    "  part def B { part f : F; part a : A; }\n  part def C {\n"
                    "    part b : B { connect f.a to a.g; }\n    part c subsets b.f { part aa subsets a; }\n"
                    "    flow b.f.a to c.aa;\n  }\n}\n", encoding="utf-8")
    model, report = importers.load(path)
    connector = model["Q::C::b::connect@7"]
    assert [(e.role, e.part_with_port) for e in connector.ends] == [("Q::F::a", "Q::B::f"), ("Q::A::g", "Q::B::a")]
    assert [e.reason for e in report.entries if e.severity != "info"] == []
    assert [d.code for d in run_rules(model, ["architecture"])] == []


def test_body_expressions_and_actions_in_analysis_bodies_end(tmp_path: Path) -> None:
    """A constraint whose expression takes a body (``xs->forAll { in i; … }``) and an action usage with a
    body inside an analysis definition are read to their ends (each made the parser loop for ever);
    the action is a usage, not an expression of the analysis."""
    import signal

    path = tmp_path / "analysis.sysml"
    path.write_text("package A {\n  attribute def S { n : Real; }\n  analysis def F () r : Real {\n"
                    "    action dynamics(in s : S, out p : Real[*]) {\n"
                    "      assert constraint c { (1..s.n)->forAll {in i : Integer; p[i] > 0} }\n    }\n"
                    "    action use(in p : Real[*] = dynamics.p, out e : Real = r) { }\n  }\n"
                    "  part q { attribute x : Real; }\n}\n", encoding="utf-8")
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the import did not end"))
    signal.alarm(20)
    try:
        model, _ = importers.load(path)
    finally:
        signal.alarm(0)
    assert model.get("A::q::x") is not None
    unreadable = [d.message for d in run_rules(model, ["architecture", "parametrics"]) if d.code == "PA001"]
    assert not any("action" in message for message in unreadable), unreadable


def test_values_nothing_determines_are_one_finding(tmp_path: Path) -> None:
    """Values that no constraint, default or binding determines have one cause (a run must set them):
    one PA004 finding names them all."""
    from solvers.architecture import diagnose

    path = tmp_path / "unset.sysml"
    path.write_text("package U {\n  part def T {\n    attribute a : Real;\n    attribute b : Real;\n"
                    "    attribute c : Real;\n    constraint { c == a + b }\n  }\n  part t : T;\n}\n",
                    encoding="utf-8")
    model, _ = importers.load(path)
    unset = [d for d in diagnose(model) if d.code == "PA004"]
    assert len(unset) == 1, [d.message for d in unset]
    assert "these 2 values: a, b;" in unset[0].message


def test_requirements_inside_satisfied_usages_and_requirement_parameters_are_covered(tmp_path: Path) -> None:
    """A SysML v2 requirement usage nested in a satisfied one is part of what is satisfied; a requirement
    parameter of an analysis and a redefinition that binds it name other requirements, so none of them
    is an uncovered requirement (AR114), while a requirement nothing covers still is."""
    path = tmp_path / "group.sysml"
    path.write_text("package G {\n  part def V;\n  requirement def R;\n  requirement loose : R;\n"
                    "  analysis def A { subject v : V; in requirement r : R; }\n"
                    "  part ctx {\n    part v : V;\n    requirement group {\n      requirement city : R;\n"
                    "      requirement highway : R;\n    }\n"
                    "    analysis a : A { subject v = ctx.v; requirement :>> r = loose; }\n"
                    "    satisfy group by v;\n  }\n}\n", encoding="utf-8")
    model, _ = importers.load(path)
    assert _uncovered(model) == ["G::loose"]


def test_requirement_usage_subsetted_by_a_satisfied_one_is_covered(tmp_path: Path) -> None:
    """``requirement city :> base`` satisfied satisfies ``base`` too (along a chain); a requirement nothing
    subsets or satisfies is still uncovered."""
    path = tmp_path / "subsets.sysml"
    path.write_text("package S {\n  requirement def R;\n  requirement base : R;\n  requirement mid :> base;\n"
                    "  requirement other : R;\n  part p {\n    requirement city :> mid;\n    satisfy city by p;\n"
                    "  }\n}\n", encoding="utf-8")
    model, _ = importers.load(path)
    assert _uncovered(model) == ["S::other"]


def test_binding_the_items_of_two_ports_wires_the_ports(tmp_path: Path) -> None:
    """``bind p.fuel = tank.p.fuel`` delegates an outer port to an inner one: both ports are connected
    (a binding connector, no AR103), while a port nothing reaches still is reported."""
    path = tmp_path / "bind.sysml"
    path.write_text("package B {\n  item def Fuel;\n  port def FuelPort { out item fuel : Fuel; }\n"
                    "  part def Tank { port inlet : ~FuelPort; port outlet : FuelPort; }\n"
                    "  part def Car { port inlet : ~FuelPort; }\n"
                    "  part car : Car {\n    part tank : Tank;\n    bind inlet.fuel = tank.inlet.fuel;\n  }\n}\n",
                    encoding="utf-8")
    model, _ = importers.load(path)
    bindings = [c for c in model.of_kind(Connector) if c.binding]
    assert [[e.role for e in c.ends] for c in bindings] == [["B::Car::inlet", "B::Tank::inlet"]]
    unconnected = sorted(d.message for d in run_rules(model, ["architecture"]) if d.code == "AR103")
    assert len(unconnected) == 1 and "'outlet'" in unconnected[0], unconnected


def test_flow_through_an_action_usage_is_reported_not_an_error(tmp_path: Path) -> None:
    """A flow whose end goes through an action usage (not imported) is reported as not imported, not as an
    end that does not exist; an end that names nothing at all is still an error."""
    path = tmp_path / "actions.sysml"
    path.write_text("package F {\n  part ctx {\n    part a { action run { out x; } }\n"
                    "    part b { action go { in y; } }\n"
                    "    flow a.run.x to b.go.y;\n    flow a.nothing to b.go.y;\n  }\n}\n", encoding="utf-8")
    _, report = importers.load(path)
    errors = [e.reason for e in report.errors]
    assert errors == ["flow end 'a.nothing' not found"], errors
    assert any("flow through a usage that is not imported" in e.reason for e in report.entries)


def test_short_names_written_with_id(tmp_path: Path) -> None:
    """The pilot releases' ``requirement id 'UR1' Load`` gives the short name as ``<'UR1'>`` does; a feature
    named ``id`` is still a feature."""
    path = tmp_path / "ids.sysml"
    path.write_text("package I {\n  requirement id 'UR1' Load { requirement id 'UR1.1' Cargo; }\n"
                    "  part def P { attribute id : ScalarValues::String; }\n}\n", encoding="utf-8")
    model, _ = importers.load(path)
    requirements = {r.name: r.req_id for r in model.of_kind(Requirement)}
    assert requirements == {"Load": "UR1", "Cargo": "UR1.1"}
    assert model.get("I::P::id") is not None
