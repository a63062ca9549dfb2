"""The Model's index of names and references: kept current by every way of changing a model."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metamodel import io
from metamodel.elements import (
    Aux,
    Block,
    Connector,
    ConnectorEnd,
    Element,
    Flow,
    FlowProperty,
    Interface,
    Part,
    Port,
    Relation,
    Stock,
)
from metamodel.errors import ModelError
from metamodel.index import ModelIndex
from metamodel.model import Model
from metamodel.views import View


def assert_current(model: Model) -> None:
    """The index equals one made from scratch from the elements as they are now."""
    assert model.elements.index.state() == ModelIndex.build(model.elements.values()).state()


def sd() -> Model:
    m = Model()
    m.add(Stock("pop", "Population", equation="100", inflows=["births"], outflows=["deaths"]))
    m.add(Flow("births", "births", equation="Population * rate"))
    m.add(Flow("deaths", "deaths", equation="Population / 80"))
    m.add(Aux("rate", "birth rate", equation="0.03"))
    return m


def arch() -> Model:
    m = Model()
    m.add(Block("pump", "Pump"))
    m.add(Port("out", "out", owner="pump", type="water"))
    m.add(Interface("water", "Water", flow_properties=[FlowProperty("q", type="litres")]))
    m.add(Block("plant", "Plant"))
    m.add(Part("p1", "pump", owner="plant", type="pump"))
    m.add(Connector("c1", "c1", owner="plant", ends=[ConnectorEnd("out", "p1"), ConnectorEnd("in")]))
    m.add(Relation("sat", "satisfy", sources=["pump"], targets=["req"]))
    return m


def ids(elements: list[Element]) -> list[str]:
    return [e.id for e in elements]


def test_find_prefers_variables_then_model_order_and_ignores_case_and_spacing() -> None:
    m = arch()
    m.add(Port("out2", "Out", owner="plant"))
    m.add(Aux("out_var", "OUT", equation="1"))
    assert m.find("  out ") is m.elements["out_var"]
    assert ids(m.named("Out")) == ["out_var", "out", "out2"]
    assert m.find("birth_rate") is None
    model = sd()
    assert model.find("Birth  Rate") is model.find("BIRTH_RATE") is model.elements["rate"]


def test_referrers_name_the_elements_holding_an_id() -> None:
    m = arch()
    assert ids(m.referrers("pump")) == ["out", "p1", "sat"]
    assert ids(m.referrers("out")) == ["c1"]
    assert ids(m.referrers("litres")) == ["water"]
    assert ids(m.referrers("plant")) == ["p1", "c1"]
    assert m.referrers("nothing") == []
    assert ids(sd().referrers("births")) == ["pop"]


def test_assignments_renames_and_list_edits_in_place_keep_the_index() -> None:
    m = sd()
    stock = m.elements["pop"]
    assert isinstance(stock, Stock)
    stock.inflows.append("rate")
    stock.outflows.remove("deaths")
    assert ids(m.referrers("rate")) == ["pop"] and m.referrers("deaths") == []
    stock.outflows += ["deaths", "deaths"]
    assert m.elements.index.referrers["deaths"] == {"pop": 2}
    del stock.outflows[:]
    stock.name = "People"
    assert m.find("people") is stock and m.find("population") is None
    m.elements["rate"].name = "fertility"
    assert m.find("fertility").id == "rate"
    assert_current(m)


def test_parts_of_elements_report_their_changes() -> None:
    m = arch()
    connector = m.elements["c1"]
    assert isinstance(connector, Connector)
    connector.ends[1].role = "pump"
    connector.ends.append(ConnectorEnd("x", nested_path=["p1"]))
    connector.ends[-1].nested_path.append("plant")
    water = m.elements["water"]
    assert isinstance(water, Interface)
    water.flow_properties[0].type = "kg"
    water.flow_properties.append(FlowProperty("heat"))
    water.flow_properties[1].type = "joule"
    assert "c1" in ids(m.referrers("pump")) and ids(m.referrers("x")) == ["c1"]
    assert ids(m.referrers("kg")) == ids(m.referrers("joule")) == ["water"] and m.referrers("litres") == []
    assert_current(m)


def test_dict_edits_replacements_and_reassignment_keep_the_index() -> None:
    m = sd()
    m.elements["rate"] = Flow("rate", "rate as flow", equation="1")  # replaced in place
    assert list(m.elements) == ["pop", "births", "deaths", "rate"] and m.find("rate as flow").kind == "flow"
    m.elements.update({"k": Aux("k", "k")})
    m.elements.setdefault("k2", Aux("k2", "k2"))
    assert m.elements.pop("k2").id == "k2" and m.find("k2") is None
    del m.elements["births"]
    assert m.find("births") is None and ids(m.referrers("births")) == ["pop"]
    assert_current(m)
    m.elements = {"a": Aux("a", "alpha")}
    assert m.find("alpha").id == "a" and m.find("k") is None
    assert_current(m)
    with pytest.raises(ValueError, match="key 'b' does not match its id 'a'"):
        m.elements["b"] = Aux("a", "a")


def test_ids_are_fixed_while_in_a_model() -> None:
    m = sd()
    with pytest.raises(ModelError, match="id of element 'rate' cannot change"):
        m.elements["rate"].id = "other"
    free = Aux("x", "x")
    free.id = "y"  # outside a model an element is a plain object
    view = View("v")
    with pytest.raises(ModelError, match="id of view 'v' is fixed"):
        view.id = "w"


def test_an_element_removed_from_the_model_no_longer_reports() -> None:
    m = sd()
    rate = m.elements.pop("rate")
    rate.name = "fertility"
    assert m.find("fertility") is None
    assert_current(m)


def test_elements_shared_by_two_models_keep_both_indexes() -> None:
    m = arch()
    other = replace(m, elements=dict(m.elements), _observers=[])  # as the architecture binding does
    m.elements["pump"].name = "Compressor"
    assert m.find("compressor") is other.find("compressor") is m.elements["pump"]
    del other.elements["pump"]
    m.elements["pump"].name = "Fan"
    assert m.find("fan") is m.elements["pump"] and other.find("fan") is None
    assert_current(m)
    assert_current(other)


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m)),
                                       lambda m: io.from_dict(io.to_dict(m))])
def test_copies_have_their_own_index(duplicate) -> None:  # noqa: ANN001
    m = arch()
    twin = duplicate(m)
    assert twin.equal_content(m) and twin.elements.index.state() == m.elements.index.state()
    twin.elements["pump"].name = "Fan"
    twin.elements["c1"].ends[0].role = "fan_out"
    assert twin.find("fan") is twin.elements["pump"] and m.find("fan") is None
    assert m.referrers("fan_out") == [] and ids(twin.referrers("fan_out")) == ["c1"]
    assert_current(twin)
    assert_current(m)


def test_new_ids_are_unique_among_elements_and_views_without_scanning() -> None:
    m = Model()
    m.views.append(View("flow"))
    made = []
    for _ in range(2000):
        element_id = m.new_id("Flow")
        m.add(Aux(element_id, element_id))
        made.append(element_id)
    assert made[:3] == ["flow_2", "flow_3", "flow_4"] and len(set(made)) == 2000
    assert m.view("flow") is m.views[0] and m.view("nope") is None
    m.views.append(View("flow_2002"))
    assert m.new_id("flow") == "flow_2003"


# -- the index always equals one made from scratch, whatever is done to the elements -------------------

NAMES = st.sampled_from(["a", "B", "c c", "C_C", "stock 1", "Flow", "flow", ""])
IDS = st.sampled_from(["pop", "births", "deaths", "rate", "pump", "out", "water", "plant", "p1", "c1", "sat",
                       "zz"])


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_random_edits_of_elements_keep_the_index_current(data: st.DataObject) -> None:
    m = sd()
    for element in arch().elements.values():
        m.add(copy.deepcopy(element))
    for _ in range(data.draw(st.integers(1, 25))):
        present = sorted(m.elements)
        action = data.draw(st.sampled_from(["rename", "refs", "append", "remove", "end", "replace", "delete",
                                            "add"]))
        if action == "add":
            key = data.draw(st.text("xyz", min_size=1, max_size=3))
            if key not in m.elements:
                m.add(Relation(key, data.draw(NAMES), sources=[data.draw(IDS)], targets=data.draw(st.lists(IDS))))
            continue
        if not present:
            continue
        element = m.elements[data.draw(st.sampled_from(present))]
        if action == "rename":
            element.name = data.draw(NAMES)
        elif action == "refs":
            element.owner = data.draw(st.none() | IDS)
        elif action == "append" and isinstance(element, Stock):
            element.inflows.append(data.draw(IDS))
        elif action == "remove" and isinstance(element, Stock) and element.inflows:
            element.inflows.pop(data.draw(st.integers(0, len(element.inflows) - 1)))
        elif action == "end" and isinstance(element, Connector) and element.ends:
            end = element.ends[data.draw(st.integers(0, len(element.ends) - 1))]
            end.part_with_port = data.draw(st.none() | IDS)
            end.nested_path.append(data.draw(IDS))
        elif action == "replace":
            m.elements[element.id] = replace(element, name=data.draw(NAMES))
        elif action == "delete":
            del m.elements[element.id]
        assert_current(m)
    assert_current(m)
