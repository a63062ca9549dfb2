"""Architecture checks (AR1xx and the port rules AR0xx) on imported samples with planted faults."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import networkx as nx

import importers
from metamodel.elements import Block, Connector, ConnectorEnd, ItemFlow, Part, Port, Relation, Requirement
from metamodel.model import Model
from metamodel.validation import run_rules
from metamodel.validation.arch_rules import cyclic_components
from tests.paths import MBSE_SAMPLES

SAMPLES = MBSE_SAMPLES
INCOSE = SAMPLES / "sysml1-papyrus-legacy" / "INCOSE.uml"
CAMEO = SAMPLES / "sysml1-cameo" / "CoffeeDispenser_MD19_native.xmi"


def _codes(path: Path) -> Counter:
    model, _ = importers.load(path)
    return Counter(d.code for d in run_rules(model, ["architecture"]))


def _planted(tmp_path: Path, source: Path, *edits: tuple[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    target = tmp_path / source.name
    target.write_text(text, encoding="utf-8")
    return target


def test_unmodified_samples() -> None:
    assert _codes(INCOSE) == Counter()
    cameo = _codes(CAMEO)
    # as published: Product composes itself through a mandatory [1] part, constraint parameters and a flow
    # property without type, three requirements that nothing satisfies, verifies, refines or derives
    # (Req_01 is refined); unnamed parts and a block named like a part beside it are legal
    assert cameo == {"AR110": 1, "AR102": 4, "AR114": 3}


def test_removed_connector_end(tmp_path: Path) -> None:
    path = _planted(tmp_path, CAMEO, ("<end xmi:type='uml:ConnectorEnd' xmi:id='_19_0_77e01af_1538649373170_614361"
                                      "_16878' partWithPort='_18_5_1_78501b2_1501073383994_143602_15215' "
                                      "role='_19_0_77e01af_1538646406265_614146_15837'/>", ""))
    assert _codes(path)["AR104"] == 1


def test_port_direction_changed_by_conjugation(tmp_path: Path) -> None:
    # Coffee Grounds Container's "Water In" loses its conjugation: out meets out on the binding
    path = _planted(tmp_path, CAMEO, ("xmi:id='_19_0_77e01af_1538646206807_795998_15530' name='Water In' "
                                      "visibility='public' aggregation='composite' isConjugated='true'",
                                      "xmi:id='_19_0_77e01af_1538646206807_795998_15530' name='Water In' "
                                      "visibility='public' aggregation='composite'"))
    assert _codes(path)["AR001"] == 1


def test_dangling_reference(tmp_path: Path) -> None:
    path = _planted(tmp_path, CAMEO, ("role='_19_0_77e01af_1538646406265_614146_15837'", "role='_no_such_port'"))
    model, _ = importers.load(path)
    found = [d for d in run_rules(model, ["architecture"]) if d.code == "AR101"]
    assert len(found) == 1 and "_no_such_port" in found[0].message
    assert found[0].element_id == "_19_0_77e01af_1538649373170_189644_16876"


def test_composition_cycle(tmp_path: Path) -> None:
    # Brake Modulator has a part r: Rotor; the planted part makes Rotor compose Brake Modulator
    path = _planted(tmp_path, INCOSE, (
        '<ownedAttribute xmi:id="_90N28BSkEd-wFOMaETc_Cg" name="braking force" type="_izpJaBSgEd-kvuKPcuJnyA" '
        'isUnique="false"/>',
        '<ownedAttribute xmi:id="_90N28BSkEd-wFOMaETc_Cg" name="braking force" type="_izpJaBSgEd-kvuKPcuJnyA" '
        'isUnique="false"/><ownedAttribute xmi:id="_planted" name="back" type="_qTykQBSkEd-wFOMaETc_Cg" '
        'aggregation="composite"/>'))
    model, _ = importers.load(path)
    cycles = [d for d in run_rules(model, ["architecture"]) if d.code == "AR110"]
    assert len(cycles) == 1 and "Brake Modulator" in cycles[0].message and "Rotor" in cycles[0].message


def test_unit_mismatch_across_connector(tmp_path: Path) -> None:
    # give the value types N and Kg units; Rotor's "braking force" becomes Kg, bound by c5 to bf: N
    units = ('<Blocks:ValueType xmi:id="_u1" base_DataType="_izpJaBSgEd-kvuKPcuJnyA"><unit href="pathmap://'
             'SysML16_LIBRARIES/ISO-80000-1-SysML.library.uml#SI_newton"/></Blocks:ValueType>'
             '<Blocks:ValueType xmi:id="_u2" base_DataType="_i6WOWBSgEd-kvuKPcuJnyA"><unit href="pathmap://'
             'SysML16_LIBRARIES/ISO-80000-1-SysML.library.uml#SI_kilogram"/></Blocks:ValueType></xmi:XMI>')
    same = _planted(tmp_path, INCOSE, ("</xmi:XMI>", units))
    assert _codes(same)["AR109"] == 0  # c5 and c7 join N and N
    path = _planted(tmp_path, same, ('name="braking force" type="_izpJaBSgEd-kvuKPcuJnyA"',
                                     'name="braking force" type="_i6WOWBSgEd-kvuKPcuJnyA"'))
    model, _ = importers.load(path)
    found = [d for d in run_rules(model, ["architecture"]) if d.code == "AR109"]
    assert len(found) == 1 and found[0].element_name == "c5"
    assert "newton" in found[0].message and "kilogram" in found[0].message


def _model() -> Model:
    model = Model()
    model.add(Block("a", "A"))
    model.add(Block("b", "B"))
    model.add(Port("pa", "in", owner="a", direction="in", type="b"))
    model.add(Port("pb", "in", owner="b", direction="in", type="b"))
    model.add(Part("x", "x", owner="a", type="b"))
    model.add(Connector("c", "c", owner="a", ends=[ConnectorEnd("pa"), ConnectorEnd("pb", "x")]))
    model.add(Requirement("r", "R"))
    model.add(Relation("s", relation="satisfy", sources=["a"], targets=["r"]))
    model.add(ItemFlow("f", "F", owner="a", conveyed=["b"], source="pa", target="pb", realizing_connectors=["c"]))
    return model


def _arch(model: Model) -> Counter:
    return Counter(d.code for d in run_rules(model, ["architecture"]))


def test_clean_model_has_no_findings() -> None:
    assert _arch(_model()) == Counter()


def test_each_rule_on_a_built_model() -> None:
    model = _model()
    model.add(Part("y", "", owner="a", lower=3, upper=2))
    model.add(Port("pz", "in", owner="b"))  # on b, which a uses as a part: its ports face a context
    model.add(Requirement("r2", "R2"))
    model.add(ItemFlow("g", "G", owner="a"))
    model.add(Connector("c2", "c2", owner="a", ends=[ConnectorEnd("pa")]))
    codes = _arch(model)
    assert codes["AR113"] == 1 and codes["AR112"] == 0 and codes["AR102"] == 2  # y and pz untyped
    assert codes["AR103"] == 1  # pz unconnected
    assert codes["AR111"] == 1  # port "in" twice in B
    assert codes["AR114"] == 1 and codes["AR107"] == 1 and codes["AR104"] == 1
    model.elements["pz"].lower = -1
    assert _arch(model)["AR113"] == 2


def test_cyclic_components_are_the_cycles_networkx_finds_in_its_order() -> None:
    """The composition-cycle check's graph search against networkx's, on random graphs."""
    chance = random.Random(15)
    for _ in range(500):
        nodes = chance.randint(1, 12)
        graph, successors = nx.DiGraph(), {}
        for _ in range(chance.randint(0, 30)):
            source, target = f"n{chance.randrange(nodes)}", f"n{chance.randrange(nodes)}"
            graph.add_edge(source, target)
            successors.setdefault(source, {})[target] = None
            successors.setdefault(target, {})
        expected = [sorted(c) for c in nx.strongly_connected_components(graph)
                    if len(c) > 1 or any(graph.has_edge(n, n) for n in c)]
        assert [sorted(c) for c in cyclic_components(successors)] == expected
