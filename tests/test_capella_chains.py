"""Sequence links and control nodes of Capella functional chains: how they import and what Capella's
DWF_DF_15, DWF_DF_16 and DWF_DF_18 (AR179-AR181) find on them."""

from __future__ import annotations

from pathlib import Path

import pytest

import importers
from metamodel.elements import Behavior
from metamodel.validation import run_rules
from tests.test_capella import _CHAIN_FUNCTIONS, _FA, _layer_with_functions

_CONDITION = ('<ownedConstraints xsi:type="org.polarsys.capella.core.data.capellacore:Constraint" id="c-{id}" '
              'name="{name}"><ownedSpecification xsi:type="org.polarsys.capella.core.data.information.datavalue:'
              'OpaqueExpression" id="x-{id}"><bodies>{body}</bodies><languages>capella:linkedText</languages>'
              '</ownedSpecification></ownedConstraints>')


def _involvement(ref: str) -> str:
    """The chain's involvement of function ``f<n>`` (id ``i-f<n>``) or of exchange ``fe<a><b>`` (id ``i-fe<a><b>``,
    from ``i-f<a>`` to ``i-f<b>``)."""
    if ref.startswith("fe"):
        return (f'<ownedFunctionalChainInvolvements xsi:type="{_FA}:FunctionalChainInvolvementLink" id="i-{ref}" '
                f'involved="#{ref}" source="#i-f{ref[2]}" target="#i-f{ref[3]}"/>')
    return f'<ownedFunctionalChainInvolvements xsi:type="{_FA}:FunctionalChainInvolvementFunction" id="i-{ref}" ' \
           f'involved="#{ref}"/>'


def _link(link: str) -> str:
    """A sequence link written ``id:source>target[:links][:condition body[/constraint name]]``; ends are
    involvement ids or control node ids (``n...``)."""
    key, ends, links, condition = (link.split(":") + ["", ""])[:4]
    source, target = ends.split(">")
    attributes = f' links="{" ".join("#" + ref for ref in links.split())}"' if links else ""
    body = ""
    if condition:
        text, _, name = condition.partition("/")
        attributes += f' condition="#c-{key}"'
        body = _CONDITION.format(id=key, name=name, body=text.strip("'"))
    return (f'<ownedSequenceLinks xsi:type="{_FA}:SequenceLink" id="{key}" source="#{source}" target="#{target}"'
            f'{attributes}>{body}</ownedSequenceLinks>')


def _chain_file(tmp_path: Path, involved: str, links: list[str], nodes: str = "") -> Path:
    """A logical layer with four functions (exchanges FE12 and FE34) and a chain of the given involvements,
    AND control nodes and sequence links."""
    content = ("".join(_involvement(ref) for ref in involved.split())
               + "".join(f'<ownedSequenceNodes xsi:type="{_FA}:ControlNode" id="{n}" kind="AND"/>'
                         for n in nodes.split())
               + "".join(_link(link) for link in links))
    chain = f'<ownedFunctionalChains xsi:type="{_FA}:FunctionalChain" id="chain" name="Chain">{content}' \
            '</ownedFunctionalChains>'
    path = tmp_path / "chain.capella"
    path.write_text(_layer_with_functions(_CHAIN_FUNCTIONS + chain), encoding="utf-8")
    return path


def _found(path: Path, code: str) -> list[str]:
    model, _ = importers.load(path)
    return sorted(d.element_id for d in run_rules(model, ("architecture",)) if d.code == code)


def test_sequence_links_and_control_nodes_import_with_their_chain(tmp_path: Path) -> None:
    path = _chain_file(tmp_path, "f1 fe12 f2", ["s1:i-f1>n1:i-fe12:go", "s2:n1>i-f2"], nodes="n1")
    model, report = importers.load(path)
    s1, s2, node = model["s1"], model["s2"], model["n1"]
    assert isinstance(s1, Behavior) and (s1.behavior_kind, s1.owner, s1.source, s1.target) == \
        ("sequence_link", "chain", "i-f1", "n1")
    assert s1.members == ["i-fe12"] and s1.properties["condition"] == "go"
    assert "condition" not in s2.properties
    assert (node.behavior_kind, node.properties["kind"]) == ("control_node", "AND")
    link = model["i-fe12"]
    assert (link.behavior_kind, link.detail, link.members, link.source, link.target) == \
        ("involvement", "FunctionalChainInvolvementLink", ["fe12"], "i-f1", "i-f2")
    assert model["chain"].members == ["f1", "fe12", "f2"]
    assert not [entry for entry in report.entries if "SequenceLink" in str(entry) or "ControlNode" in str(entry)]


@pytest.mark.parametrize(("condition", "reported"), [
    ("", True),  # no condition at all
    ("''", True),  # a condition whose expression and name are empty
    ("speed > 3", False),
    ("''/nominal", False),  # an empty expression, but a named constraint
])
def test_sequence_link_condition(tmp_path: Path, condition: str, reported: bool) -> None:
    """Capella's DWF_DF_16: a sequence link's condition is not empty."""
    path = _chain_file(tmp_path, "f1 fe12 f2", [f"s1:i-f1>i-f2:i-fe12:{condition}"])
    assert _found(path, "AR180") == (["s1"] if reported else [])


@pytest.mark.parametrize(("involved", "links", "reported"), [
    ("f1 fe12 f2", ["s1:i-f1>i-f2:i-fe12"], []),  # FE12 goes from F1 to F2
    ("f1 f2", ["s1:i-f1>i-f2"], ["s1"]),  # the chain does not involve FE12
    ("f1 fe12 f2", ["s1:i-f2>i-f1"], ["s1"]),  # FE12 goes the other way
    ("f1 fe12 f2 f3", ["s1:i-f1>i-f2:i-fe12", "s2:i-f2>i-f3"], ["s2"]),  # nothing from F2 to F3
    ("f1 fe12 f2", ["s1:i-f1>n1", "s2:n1>i-f2"], []),  # through a control node, FE12 is across both links
    ("f1 fe12 f2 f3", ["s1:i-f1>n1", "s2:n1>i-f3", "s3:n1>i-f2"], ["s2"]),  # F1 to F3: no exchange
])
def test_sequence_link_matched_by_an_exchange(tmp_path: Path, involved: str, links: list[str],
                                               reported: list[str]) -> None:
    """Capella's DWF_DF_15: an involvement link goes from the functions before a sequence link (through
    control nodes) to those after it."""
    nodes = "n1" if any("n1" in link for link in links) else ""
    assert _found(_chain_file(tmp_path, involved, links, nodes), "AR179") == reported


@pytest.mark.parametrize(("links", "reported"), [
    (["s1:i-f1>i-f2"], ["s1"]),  # FE12's involvement goes across it, unnamed
    (["s1:i-f1>i-f2:i-fe12"], []),
    (["s1:i-f1>n1", "s2:n1>i-f2:i-fe12"], ["s1"]),  # across the control node too
    (["s1:i-f2>i-f1"], []),  # nothing across it to name (DWF_DF_15's case)
])
def test_sequence_link_names_its_involvement_links(tmp_path: Path, links: list[str], reported: list[str]) -> None:
    """Capella's DWF_DF_18: a sequence link that involvement links go across names some of them."""
    nodes = "n1" if any("n1" in link for link in links) else ""
    assert _found(_chain_file(tmp_path, "f1 fe12 f2", links, nodes), "AR181") == reported


def test_a_loop_of_control_nodes_ends(tmp_path: Path) -> None:
    """Sequence links that loop between control nodes are followed once."""
    path = _chain_file(tmp_path, "f1 fe12 f2", ["s1:i-f1>n1:i-fe12", "s2:n1>n2:i-fe12", "s3:n2>n1:i-fe12",
                                                "s4:n2>i-f2:i-fe12"], nodes="n1 n2")
    assert _found(path, "AR179") == []
