"""Capella's well-formedness rules on state machines (AR200-AR204, Capella's DWF_SM family) on a model
that holds, beside each kind of violation, the same construct done right."""

from __future__ import annotations

from pathlib import Path

import importers
from metamodel.validation import run_rules
from tests.test_capella import HEADER

CC = 'xmlns:cc="http://www.polarsys.org/capella/core/common/7.0.0"'


def _state(sid: str, kind: str = "State", inner: str = "") -> str:
    return f'<ownedStates xsi:type="cc:{kind}" id="{sid}" name="{sid}">{inner}</ownedStates>'


def _point(sid: str, kind: str) -> str:
    return f'<ownedConnectionPoints xsi:type="cc:{kind}" id="{sid}" name="{sid}"/>'


def _go(tid: str, source: str, target: str) -> str:
    return f'<ownedTransitions xsi:type="cc:StateTransition" id="{tid}" source="#{source}" target="#{target}"/>'


def _region(rid: str, *content: str) -> str:
    return f'<ownedRegions xsi:type="cc:Region" id="{rid}" name="{rid}">{"".join(content)}</ownedRegions>'


def _machine(mid: str, *regions: str) -> str:
    return (f'<ownedStateMachines xsi:type="cc:StateMachine" id="{mid}" name="{mid}">{"".join(regions)}'
            '</ownedStateMachines>')


# pseudo-states: each kind with the transitions Capella forbids it, and the same kind as it should be
PSEUDO = _machine("sm_pseudo", _region(
    "r_pseudo",
    _state("init_two", "InitialPseudoState"), _state("init_one", "InitialPseudoState"),
    _state("a"), _state("b"), _state("c"),
    _state("choice_none", "ChoicePseudoState"), _state("choice_one", "ChoicePseudoState"),
    _state("fork_two_in", "ForkPseudoState"), _state("join_two_out", "JoinPseudoState"),
    _state("history_out", "DeepHistoryPseudoState"), _state("history_in", "ShallowHistoryPseudoState"),
    _state("comp", inner=_point("entry_unused", "EntryPointPseudoState") + _point("exit_ok", "ExitPointPseudoState")
           + _region("r_comp", _state("inside"), _go("t_exit", "inside", "exit_ok"))),
    _go("t1", "init_two", "a"), _go("t2", "init_two", "b"), _go("t3", "init_one", "c"),
    _go("t4", "a", "choice_one"), _go("t5", "choice_one", "b"), _go("t6", "choice_none", "c"),
    _go("t7", "a", "fork_two_in"), _go("t8", "b", "fork_two_in"), _go("t9", "fork_two_in", "c"),
    _go("t10", "a", "join_two_out"), _go("t11", "join_two_out", "b"), _go("t12", "join_two_out", "c"),
    _go("t13", "history_out", "a"), _go("t14", "b", "history_in"), _go("t15", "exit_ok", "c"),
))
# forks, joins and transitions with concurrent regions: a composite state with two regions
CONCURRENT = _machine("sm_conc", _region(
    "r_top",
    _state("start"), _state("end"), _state("lone_a"), _state("lone_b"),
    _state("fork_ok", "ForkPseudoState"), _state("fork_same_region", "ForkPseudoState"),
    _state("join_ok", "JoinPseudoState"),
    _state("par", inner=_point("par_entry", "EntryPointPseudoState")
           + _region("r_left", _state("left"), _state("left_2"), _go("t_in_region", "left", "left_2"),
                     _go("t_across", "left", "right"))
           + _region("r_right", _state("right"))),
    _go("u1", "start", "fork_ok"), _go("u2", "fork_ok", "left"), _go("u3", "fork_ok", "right"),
    _go("u4", "left_2", "join_ok"), _go("u5", "right", "join_ok"), _go("u6", "join_ok", "end"),
    _go("u7", "start", "fork_same_region"), _go("u8", "fork_same_region", "lone_a"),
    _go("u9", "fork_same_region", "lone_b"),
    _go("u10", "start", "par_entry"), _go("u11", "par_entry", "left"),
))
# modes beside states, a state holding modes, a machine whose regions hold modes in one and states in the other
MIXED = _machine("sm_mixed", _region("r_mixed", _state("m1", "Mode"), _state("s1")))
NESTED = _machine("sm_nested", _region("r_nested", _state("outer", inner=_region("r_inner", _state("m2", "Mode")))))
SPLIT = _machine("sm_split", _region("r_modes", _state("m3", "Mode")), _region("r_states", _state("s3")))
MODES_ONLY = _machine("sm_modes", _region("r_only", _state("m4", "Mode", _region("r_m4", _state("m5", "Mode")))))

MODEL = HEADER.replace("<org.polarsys.capella.core.data.capellamodeller:Project ",
                       f"<org.polarsys.capella.core.data.capellamodeller:Project {CC} ") + f"""
  <ownedModelRoots xsi:type="m:SystemEngineering" id="se" name="SE">
    <ownedArchitectures xsi:type="la:LogicalArchitecture" id="la" name="Logical">
      <ownedLogicalComponentPkg xsi:type="la:LogicalComponentPkg" id="pkg" name="Structure">
        <ownedLogicalComponents xsi:type="la:LogicalComponent" id="sys" name="Sys">
          {PSEUDO}{CONCURRENT}{MIXED}{NESTED}{SPLIT}{MODES_ONLY}
        </ownedLogicalComponents>
      </ownedLogicalComponentPkg>
    </ownedArchitectures>
  </ownedModelRoots>
</org.polarsys.capella.core.data.capellamodeller:Project>
"""


def _found(tmp_path: Path, code: str) -> dict[str, str]:
    path = tmp_path / "states.capella"
    path.write_text(MODEL, encoding="utf-8")
    model, _ = importers.load(path)
    return {d.element_id: d.message for d in run_rules(model, ["architecture"]) if d.code == code}


def test_pseudo_states_take_the_transitions_their_kind_allows(tmp_path: Path) -> None:
    found = _found(tmp_path, "AR200")
    assert set(found) == {"init_two", "choice_none", "fork_two_in", "join_two_out", "history_out", "entry_unused"}
    assert "has 0 incoming and 2 outgoing transitions; it takes at most one outgoing transition" in found["init_two"]
    assert found["fork_two_in"].startswith("fork 'fork_two_in' (logical architecture) has 2 incoming")


def test_forks_and_joins_serve_concurrent_regions(tmp_path: Path) -> None:
    assert set(_found(tmp_path, "AR201")) == {"fork_same_region"}


def test_transitions_stay_out_of_concurrent_regions(tmp_path: Path) -> None:
    """Into a composite state's entry point and from there to a substate is fine; from one of its regions
    into the other is not (a fork's transitions are AR201's concern, not this rule's)."""
    found = _found(tmp_path, "AR202")
    assert set(found) == {"t_across"}
    assert "goes from 'left' to 'right'" in found["t_across"]


def test_modes_and_states_are_not_mixed(tmp_path: Path) -> None:
    found = _found(tmp_path, "AR203")
    assert set(found) == {"m1", "s1", "outer"}
    assert "mode 'm1' (logical architecture) is in a region with states 's1' in state machine 'sm_mixed'" \
        in found["m1"]
    assert "state 'outer' (logical architecture) holds modes 'm2'" in found["outer"]
    assert set(_found(tmp_path, "AR204")) == {"sm_mixed", "sm_split"}
