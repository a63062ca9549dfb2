"""An element's ``invalid`` and ``properties`` values: one shared empty until it has some of its own."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from metamodel import io
from metamodel.elements import NO_VALUES, Block, Part, Port
from metamodel.model import Model


def test_elements_without_values_read_as_empty_and_share_one() -> None:
    a, b = Port("a"), Part("b")
    assert a.invalid == {} and b.properties == {} and not a.properties and list(b.invalid) == []
    assert a.properties is b.properties is a.invalid
    assert repr(Port("x")) == repr(Port("x", invalid={}, properties={}))
    assert Port("x") == Port("x", invalid={}, properties={})


@pytest.mark.parametrize("change", [
    lambda values: values.__setitem__("k", "v"),
    lambda values: values.update({"k": "v"}),
    lambda values: values.setdefault("k", "v"),
    lambda values: values.pop("k", None),
])
def test_the_shared_empty_cannot_change_in_place(change) -> None:  # noqa: ANN001
    with pytest.raises(TypeError, match="add_properties"):
        change(Block("b").properties)
    assert NO_VALUES == {}


def test_add_properties_gives_the_element_its_own_values() -> None:
    first, second = Block("a"), Block("b")
    first.add_properties({})
    assert first.properties is NO_VALUES
    first.add_properties({"period": "20 ms"})
    first.add_properties({"latency": "1 ms"})
    assert first.properties == {"period": "20 ms", "latency": "1 ms"}
    assert second.properties == {} and NO_VALUES == {}


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy, lambda e: pickle.loads(pickle.dumps(e))])
def test_copies_keep_sharing_the_empty_values(duplicate) -> None:  # noqa: ANN001
    element = Part("p", "p", invalid={"lower": "1,5"})
    twin = duplicate(element)
    assert twin == element and twin.properties is NO_VALUES
    twin.add_properties({"k": "v"})
    assert element.properties == {}


def test_saved_and_loaded_models_have_the_same_values() -> None:
    model = Model()
    model.add(Block("a"))
    model.add(Part("p", "p", owner="a", invalid={"upper": "x"}))
    model["a"].add_properties({"actor": "true"})
    again = io.from_dict(json.loads(io.dumps(model)))
    assert again.equal_content(model) and io.dumps(again) == io.dumps(model)
