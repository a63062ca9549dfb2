"""Structure analysis: causes and uses trees, feedback loops with polarity, Loops That Matter against the
published examples (Bass diffusion, population models, SIR), discovery on big models, ensembles, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import importers
from app.cli import main
from metamodel.elements import Aux, Dimension, Flow, GraphicalFunction, SimSpec, Stock
from metamodel.errors import ModelError
from metamodel.model import Model
from solvers.analysis.loops import enumerate_cycles
from solvers.analysis.ltm import LoopsThatMatter, strongest_loops
from solvers.analysis.structure import CausalGraph, VariableGraph, causes, uses
from tests.paths import SD_MODELS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def sir() -> Model:
    return importers.load(SAMPLES / "sir.salver")[0]


def bass(market: float = 1_000_000.0) -> Model:
    """The Bass diffusion model of Schoenberg, Davidsen and Eberlein (2020): word of mouth only."""
    model = Model(name="bass", sim_spec=SimSpec(start=0, stop=15, dt=0.0625))
    model.add(Stock("p", "Potential Adopters", equation=str(market), outflows=["adopting"]))
    model.add(Stock("a", "Adopters", equation="100", inflows=["adopting"]))
    model.add(Flow("adopting", "Adopting", equation="Potentials Contacts With Adopters * Adoption Fraction"))
    model.add(Aux("af", "Adoption Fraction", equation="0.015"))
    model.add(Aux("cr", "Contact Rate", equation="100"))
    model.add(Aux("n", "Total Population", equation=str(market + 100)))
    model.add(Aux("ac", "Adopter Contacts", equation="Adopters * Contact Rate"))
    model.add(Aux("pp", "Probability Of Contact With Potentials", equation="Potential Adopters / Total Population"))
    model.add(Aux("pc", "Potentials Contacts With Adopters",
                  equation="Adopter Contacts * Probability Of Contact With Potentials"))
    return model


def population(birth: str = "0.1", lifetime: str = "20", split_net: bool = False) -> Model:
    """Births and deaths of a population; ``split_net`` writes them as one net flow instead."""
    model = Model(name="population", sim_spec=SimSpec(start=0, stop=30, dt=0.25))
    model.add(Aux("bf", "Birth Fraction", equation=birth))
    model.add(Aux("life", "Average Lifetime", equation=lifetime))
    if split_net:
        model.add(Stock("pop", "Population", equation="100", inflows=["net"]))
        model.add(Flow("net", "Net Births", equation="Population * Birth Fraction - Population / Average Lifetime"))
    else:
        model.add(Stock("pop", "Population", equation="100", inflows=["births"], outflows=["deaths"]))
        model.add(Flow("births", "Births", equation="Population * Birth Fraction"))
        model.add(Flow("deaths", "Deaths", equation="Population / Average Lifetime"))
    return model


def shares(analysis, at: int = -1) -> dict[str, float]:  # noqa: ANN001 - LoopAnalysis
    return {loop.id: float(analysis.relative[i, at, 0]) for i, loop in enumerate(analysis.loops)}


def loop_named(analysis, *names: str):  # noqa: ANN001, ANN201 - LoopAnalysis, Loop
    wanted = set(names)
    return next(loop for loop in analysis.loops if {analysis.graph.name(k) for k in loop.variables} == wanted)


# -- causes and uses --------------------------------------------------------------------------------------------
def test_causes_of_a_stock_are_its_flows_then_what_they_read(sir: Model) -> None:
    tree = causes(sir, "infected", depth=2)
    assert [(c.name, c.link) for c in tree.children] == [("Infection", "inflow"), ("Recovery", "outflow")]
    infection = tree.children[0]
    assert {c.name for c in infection.children} == {"Contact Rate", "Infectivity", "Susceptible", "Infected",
                                                    "Total Population"}
    assert next(c for c in infection.children if c.name == "Infected").cycle
    assert next(c for c in infection.children if c.name == "Susceptible").more  # cut at the depth asked for


def test_uses_follow_links_downstream_to_the_depth_asked(sir: Model) -> None:
    tree = uses(sir, "Contact Rate", depth=1)
    assert [(c.name, c.link) for c in tree.children] == [("Infection", "equation")]
    assert tree.children[0].more and not tree.children[0].children
    deeper = uses(sir, "Contact Rate", depth=3)
    assert {c.name for c in deeper.children[0].children} == {"Infected", "Susceptible"}


def test_initial_values_are_causes_of_their_own_kind() -> None:
    model = Model(name="m")
    model.add(Aux("start", "Start", equation="5"))
    model.add(Stock("s", "S", equation="Start * 2"))
    assert [(c.name, c.link) for c in causes(model, "S").children] == [("Start", "initial")]


def test_unknown_variable_names_the_close_ones(sir: Model) -> None:
    with pytest.raises(ModelError, match="did you mean infected"):
        causes(sir, "infectd")
    with pytest.raises(ModelError, match="depth"):
        uses(sir, "infected", depth=-1)


def test_an_equation_that_does_not_parse_is_marked_not_dropped() -> None:
    model = Model(name="m")
    model.add(Aux("a", "A", equation="1"))
    model.add(Aux("b", "B", equation="A + * 2"))
    graph = VariableGraph(model)
    assert causes(graph, "B").unparsed and causes(graph, "B").children == []


# -- loops and polarity -----------------------------------------------------------------------------------------
def test_sir_loops_contagion_is_reinforcing_and_recovery_balancing(sir: Model) -> None:
    analysis = LoopsThatMatter(sir).analyze()
    contagion = loop_named(analysis, "Infected", "Infection")
    assert contagion.polarity == "R"
    assert loop_named(analysis, "Infected", "Recovery").polarity == "B"
    assert loop_named(analysis, "Susceptible", "Infection").polarity == "B"
    assert analysis.polarity[("total_population", "infection")] == "-"
    assert len(analysis.loops) == 6 and analysis.mode == "exhaustive"


def test_sir_dominance_moves_from_contagion_to_a_balancing_loop(sir: Model) -> None:
    analysis = LoopsThatMatter(sir).analyze()
    periods = analysis.dominance[0]
    contagion = loop_named(analysis, "Infected", "Infection").id
    assert periods[0].loops == [contagion] and periods[0].start == 0.0
    last = analysis.loop(periods[-1].loops[0])
    assert last.polarity == "B" and periods[-1].end == 100.0
    results = LoopsThatMatter(sir).compiled.run(save_per=0.25)
    infected = results["Infected"][:, 0]
    inflection, peak = results.time[np.argmax(np.diff(infected))], results.time[np.argmax(infected)]
    assert inflection < periods[0].end <= peak  # contagion leads past the inflection, not past the peak


def test_bass_word_of_mouth_dominates_until_the_inflection_point_then_saturation() -> None:
    for flow_scores in ("2020", "2023"):
        analysis = LoopsThatMatter(bass(), flow_scores=flow_scores).analyze()
        word_of_mouth = loop_named(analysis, "Adopters", "Adopter Contacts", "Potentials Contacts With Adopters",
                                   "Adopting")
        saturation = loop_named(analysis, "Potential Adopters", "Probability Of Contact With Potentials",
                                "Potentials Contacts With Adopters", "Adopting")
        assert (word_of_mouth.polarity, saturation.polarity) == ("R", "B")
        periods = analysis.dominance[0]
        assert [p.loops for p in periods] == [[word_of_mouth.id], [saturation.id]]
        results = LoopsThatMatter(bass()).compiled.run(save_per=0.0625)
        half = results.time[np.argmax(results["Adopters"][:, 0] >= 1_000_100 / 2)]
        assert abs(periods[0].end - half) <= 2 * 0.0625


LOGISTIC = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>logistic-growth</name></header>
  <sim_specs method="euler"><start>0</start><stop>100</stop><dt>1</dt></sim_specs>
  <model><variables>
    <stock name="population"><eqn>5</eqn><inflow>net_birth_rate</inflow></stock>
    <flow name="net_birth_rate"><eqn>fractional_growth_rate * population</eqn></flow>
    <aux name="maximum_growth_rate"><eqn>.12</eqn></aux>
    <aux name="carrying_capacity"><eqn>1000</eqn></aux>
    <aux name="fractional_growth_rate"><eqn>maximum_growth_rate * (1 - fraction_of_carrying_capacity_used)</eqn></aux>
    <aux name="fraction_of_carrying_capacity_used"><eqn>population/carrying_capacity</eqn></aux>
  </variables></model>
</xmile>
"""
# Stella's relative loop scores (%) of that model at times 1, 10, 30, 46, 60, 80 and 99 (Simlin's
# test/logistic_growth_ltm/ltm_results.tsv, exported from Stella, rounded to three figures). Stella labels the
# interval [t, t + dt] with t; Salver labels it with its end, t + dt.
STELLA_LOGISTIC = {1: (99.40, -0.56), 10: (98.50, -1.54), 30: (86.70, -13.30), 46: (50.10, -49.90),
                   60: (15.30, -84.70), 80: (1.41, -98.60), 99: (0.11, -99.90)}


def test_logistic_growth_matches_stellas_loop_scores(tmp_path: Path) -> None:
    path = tmp_path / "logistic_growth.stmx"
    path.write_text(LOGISTIC)
    analysis = LoopsThatMatter(importers.load(path)[0]).analyze()
    growth = analysis.share(loop_named(analysis, "population", "net birth rate").id)
    crowding = analysis.share(next(loop.id for loop in analysis.loops if loop.polarity == "B"))
    for t, (reinforcing, balancing) in STELLA_LOGISTIC.items():
        at = int(np.flatnonzero(analysis.time == t + 1)[0])
        assert 100 * growth[at] == pytest.approx(reinforcing, abs=0.051, rel=0.005)
        assert 100 * crowding[at] == pytest.approx(balancing, abs=0.051, rel=0.005)
    assert [p.loops for p in analysis.dominance[0]] == [["R1"], ["B1"]]


def yeast() -> Model:
    """The yeast and alcohol model of the loop-dominance literature (Schoenberg, Davidsen and Eberlein 2020 use
    it): cells are born and die, and the alcohol they make slows births and hastens deaths."""
    model = Model(name="yeast", sim_spec=SimSpec(start=0, stop=100, dt=0.125))
    model.add(Stock("cells", "Cells", equation="1", inflows=["births"], outflows=["deaths"]))
    model.add(Stock("alcohol", "Alcohol", equation="0", inflows=["production"]))
    model.add(Flow("births", "Births", equation="Cells * Birth Fraction * Effect Of Alcohol On Births"))
    model.add(Flow("deaths", "Deaths", equation="Cells * Death Fraction * Effect Of Alcohol On Deaths"))
    model.add(Flow("production", "Production", equation="Cells * Alcohol Per Cell"))
    model.add(Aux("bf", "Birth Fraction", equation="0.3"))
    model.add(Aux("df", "Death Fraction", equation="0.05"))
    model.add(Aux("apc", "Alcohol Per Cell", equation="0.01"))
    model.add(Aux("eb", "Effect Of Alcohol On Births", equation="MAX(0, 1 - Alcohol / 12)"))
    model.add(Aux("ed", "Effect Of Alcohol On Deaths", equation="EXP(Alcohol / 4)"))
    return model


def test_yeast_growth_then_alcohol_loops_then_dying_out() -> None:
    """Births dominate the exponential growth; the two loops through alcohol take over before the peak and hold
    it; in the tail, where the alcohol no longer changes, births and deaths share the behaviour as in a population
    without alcohol, the deaths loop dominant."""
    analysis = LoopsThatMatter(yeast()).analyze()
    births = loop_named(analysis, "Cells", "Births")
    deaths = loop_named(analysis, "Cells", "Deaths")
    through_alcohol = {loop.id for loop in analysis.loops if "alcohol" in loop.variables}
    assert births.polarity == "R" and deaths.polarity == "B" and len(through_alcohol) == 2
    assert all(analysis.loop(i).polarity == "B" for i in through_alcohol)
    results = LoopsThatMatter(yeast()).compiled.run(save_per=0.125)
    cells = results["Cells"][:, 0]
    inflection, peak = results.time[np.argmax(np.diff(cells))], results.time[np.argmax(cells)]
    periods = analysis.dominance[0]
    assert periods[0].loops == [births.id] and inflection < periods[0].end < peak
    at_peak = next(p for p in periods if p.start <= peak < p.end)
    assert set(at_peak.loops) <= through_alcohol
    assert periods[-1].loops == [deaths.id] and periods[-1].end == 100.0
    born, died = results["Births"][-1, 0], results["Deaths"][-1, 0]  # as births and deaths of a population
    assert analysis.share(deaths.id)[-1] == pytest.approx(-died / (born + died), rel=0.01)
    assert all(abs(analysis.share(i)[-1]) < 1e-3 for i in through_alcohol)


def test_population_births_and_deaths_split_two_thirds_one_third() -> None:
    """The paper's pedagogical example: birth fraction 0.1, lifetime 20 gives R1 +67 %, B1 -33 %."""
    analysis = LoopsThatMatter(population()).analyze()
    found = shares(analysis)
    assert sorted(found.values()) == pytest.approx([-1 / 3, 2 / 3], rel=1e-6)
    assert {loop.polarity for loop in analysis.loops} == {"R", "B"}


def test_equilibrium_reports_no_dominant_loop() -> None:
    analysis = LoopsThatMatter(population(lifetime="10")).analyze()
    assert analysis.dominance[0] == [] and np.all(analysis.relative == 0)


def growth(net: bool) -> Model:
    """A stock with a reinforcing inflow and a balancing outflow, as two flows or as one net flow of two auxes."""
    model = Model(name="grow", sim_spec=SimSpec(start=0, stop=20, dt=0.5))
    model.add(Stock("s", "S", equation="100", **({"inflows": ["n"]} if net else {"inflows": ["i"], "outflows": ["o"]})))
    kind = Aux if net else Flow
    model.add(kind("i", "I", equation="S * 0.1 + 5"))
    model.add(kind("o", "O", equation="S / (10 + TIME)"))
    if net:
        model.add(Flow("n", "N", equation="I - O"))
    return model


def test_the_2023_flow_scores_do_not_depend_on_how_flows_are_split() -> None:
    def relative(model: Model, flow_scores: str) -> dict[str, np.ndarray]:
        analysis = LoopsThatMatter(model, flow_scores=flow_scores).analyze()
        return {loop.polarity: analysis.relative[i, :, 0] for i, loop in enumerate(analysis.loops)}

    split, net = relative(growth(net=False), "2023"), relative(growth(net=True), "2023")
    assert set(split) == set(net) == {"R", "B"}
    for polarity in ("R", "B"):
        np.testing.assert_allclose(split[polarity], net[polarity], rtol=1e-9, atol=1e-12)
    paper_split, paper_net = relative(growth(net=False), "2020"), relative(growth(net=True), "2020")
    assert not np.allclose(paper_split["R"], paper_net["R"])  # the paper's form weighs the constant inflow


def test_polarity_from_graphical_functions_and_from_the_run() -> None:
    model = Model(name="m", sim_spec=SimSpec(start=0, stop=10, dt=0.5))
    model.add(Stock("s", "S", equation="1", inflows=["f"]))
    model.add(Flow("f", "F", equation="Effect"))
    model.add(Aux("e", "Effect", equation="S", gf=GraphicalFunction(ypts=[3, 2, 1, 0], xpts=[0, 10, 20, 30])))
    model.add(Stock("t", "T", equation="0", inflows=["g"]))
    model.add(Flow("g", "G", equation="1 + T * (4 - T)"))  # the derivative 4 - 2T changes sign when T passes 2
    model.add(Stock("u", "U", equation="1", inflows=["h"]))
    model.add(Flow("h", "H", equation="U * Other"))
    model.add(Aux("o", "Other", equation="1 + SIN(TIME / 100)"))  # no sign known, positive along the run
    analysis = LoopsThatMatter(model).analyze()
    assert analysis.polarity[("s", "effect")] == "-"
    assert analysis.polarity[("t", "g")] == "unknown"
    assert analysis.polarity[("u", "h")] == "+"
    assert {analysis.graph.name(loop.variables[0]): loop.polarity for loop in analysis.loops} == {
        "S": "B", "T": "U", "U": "R"}


def test_hidden_stocks_of_builtins_are_collapsed_into_the_users_links() -> None:
    model = Model(name="smoothed", sim_spec=SimSpec(start=0, stop=40, dt=0.25))
    model.add(Stock("s", "Stock", equation="10", inflows=["f"]))
    model.add(Flow("f", "Adjustment", equation="(Goal - Perceived) / 4"))
    model.add(Aux("p", "Perceived", equation="SMTH3(Stock, 5)"))
    model.add(Aux("g", "Goal", equation="100"))
    analysis = LoopsThatMatter(model).analyze()
    assert [[analysis.graph.name(k) for k in loop.variables] for loop in analysis.loops] == [
        ["Stock", "Perceived", "Adjustment"]]  # the three smoothing stages' own loops are not reported
    assert analysis.loops[0].polarity == "B"
    assert all(not k.startswith("#") for loop in analysis.loops for k in loop.variables)
    assert analysis.dominance[0][0].loops == ["B1"] and analysis.dominance[0][0].share == pytest.approx(1)


def test_arrays_are_analysed_element_by_element() -> None:
    model = Model(name="regions", sim_spec=SimSpec(start=0, stop=10, dt=0.5))
    model.dimensions.append(Dimension("Region", ["North", "South"]))
    model.add(Stock("pop", "Pop", equation="100", inflows=["growth"], dimensions=["Region"]))
    model.add(Flow("growth", "Growth", equation="Pop[Region] * 0.05", dimensions=["Region"]))
    analysis = LoopsThatMatter(model).analyze()
    names = sorted(tuple(analysis.graph.name(k) for k in loop.variables) for loop in analysis.loops)
    assert names == [("Pop[North]", "Growth[North]"), ("Pop[South]", "Growth[South]")]
    assert {loop.partition for loop in analysis.loops} == {0, 1}  # two stocks that never meet
    assert all(period.share == pytest.approx(1) for period in analysis.dominance[0])


def test_imported_vensim_and_xmile_teacups_have_one_balancing_loop() -> None:
    for name in ("teacup.mdl", "teacup.xmile"):
        model, _ = importers.load(SD_MODELS / "samples" / "teacup" / name)
        analysis = LoopsThatMatter(model).analyze()
        assert [loop.polarity for loop in analysis.loops] == ["B"]
        assert [period.loops for period in analysis.dominance[0]] == [["B1"]]


BELT = """<?xml version="1.0" encoding="utf-8"?>
<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
  <header><name>belt</name></header>
  <sim_specs method="Euler"><start>0</start><stop>20</stop><dt>0.25</dt></sim_specs>
  <model><variables>
    <stock name="belt"><eqn>10</eqn><inflow>enter</inflow><outflow>leave</outflow>
      <conveyor><len>4</len></conveyor></stock>
    <stock name="done"><eqn>1</eqn><inflow>leave</inflow></stock>
    <flow name="enter"><eqn>0.1 * done</eqn></flow>
    <flow name="leave"><eqn>0</eqn></flow>
  </variables></model>
</xmile>
"""


def test_loops_through_a_conveyor_are_said_to_be_missing(tmp_path: Path) -> None:
    path = tmp_path / "belt.xmile"
    path.write_text(BELT)
    analysis = LoopsThatMatter(importers.load(path)[0]).analyze()
    assert any("conveyors and queues (belt)" in note and "missing" in note for note in analysis.notes)


# -- big models ---------------------------------------------------------------------------------------------------
def ring(size: int) -> Model:
    """Stocks in a ring, each draining into the next and reading every other one: many loops, one that matters
    (the next stock feeds each inflow twenty times more than the others)."""
    model = Model(name="ring", sim_spec=SimSpec(start=0, stop=5, dt=0.25))
    for i in range(size):
        others = " + ".join(f"0.001 * S{j}" for j in range(size) if j not in (i, (i + 1) % size))
        model.add(Stock(f"s{i}", f"S{i}", equation=str(1 + i), inflows=[f"f{i}"]))
        model.add(Flow(f"f{i}", f"F{i}", equation=f"0.1 * S{(i + 1) % size} + {others}"))
    return model


def test_a_model_with_too_many_loops_says_so_and_searches_the_strongest() -> None:
    model = ring(6)
    _, complete = enumerate_cycles(LoopsThatMatter(model).graph, max_loops=50)
    assert not complete
    analysis = LoopsThatMatter(model, max_loops=50).analyze()
    assert analysis.mode == "discovery" and "more than 50 feedback loops" in analysis.notes[0]
    biggest = max(analysis.loops, key=lambda loop: np.abs(analysis.relative[analysis.loops.index(loop)]).mean())
    assert len(biggest.variables) == 12  # the great ring through every stock and flow
    full = LoopsThatMatter(model, max_loops=100_000).analyze()
    found = {loop.variables for loop in analysis.loops}
    strong = [loop.variables for i, loop in enumerate(full.loops) if np.abs(full.relative[i]).max() >= 0.05]
    assert strong and all(loop in found for loop in strong)


def test_strongest_path_search_prunes_weaker_paths_as_the_paper_describes() -> None:
    """Eberlein and Schoenberg (2020): the search from a reaches b through d with a larger product than the
    direct link a -> b, so it misses the stronger loop a-b-c (1000) while finding a-d-c (100); the search
    from b finds it."""
    a, b, c, d = range(4)
    adjacency = [[(d, 10.0), (b, 1.0)], [(c, 1000.0)], [(a, 1.0)], [(c, 10.0), (b, 0.2)]]
    from_a, _ = strongest_loops(adjacency, a)
    assert sorted(map(tuple, from_a)) == [(a, d, b, c), (a, d, c)]
    assert [b, c, a] in strongest_loops(adjacency, b)[0]


# -- ensembles ---------------------------------------------------------------------------------------------------
def test_dominance_per_run_of_a_sensitivity_design() -> None:
    ltm = LoopsThatMatter(population())
    loops, periods = ltm.per_run({"Birth Fraction": [0.1, 0.02, 0.2]}, chunk_runs=2)
    ids = {loop.polarity: loop.id for loop in loops}
    assert [p[0].loops for p in periods] == [[ids["R"]], [ids["B"]], [ids["R"]]]
    alone = LoopsThatMatter(population(birth="0.02")).analyze()
    assert [p.to_json() for p in alone.dominance[0]] == [p.to_json() for p in periods[1]]


# -- command line ------------------------------------------------------------------------------------------------
def test_cli_loops_json_on_the_sir_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["loops", str(SAMPLES / "sir.salver"), "--json"]) == 0
    output = json.loads(capsys.readouterr().out)
    assert set(output) >= {"loops", "dominance"}
    contagion = next(loop for loop in output["loops"] if set(loop["variables"]) == {"Infected", "Infection"})
    assert contagion["polarity"] == "R" and {"id", "polarity", "variables", "links"} <= set(contagion)
    assert output["dominance"][0]["loop"] == contagion["id"]
    assert {"start", "end", "loop"} <= set(output["dominance"][-1])
    balancing = {loop["id"] for loop in output["loops"] if loop["polarity"] == "B"}
    assert output["dominance"][-1]["loop"] in balancing


def test_cli_causes_uses_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["causes", str(SAMPLES / "sir.salver"), "Recovery", "--depth", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == ["Recovery (flow)", "  [equation] Duration (aux)",
                                                    "  [equation] Infected (stock) …"]
    assert main(["uses", str(SAMPLES / "sir.salver"), "Duration", "--json"]) == 0
    tree = json.loads(capsys.readouterr().out)
    assert tree["children"][0]["variable"] == "Recovery"
    assert main(["uses", str(SAMPLES / "sir.salver"), "nothing"]) == 2
    assert "no variable 'nothing'" in capsys.readouterr().err


def test_cli_loops_per_run_of_a_study(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "runs.parquet"
    assert main(["sensitivity", str(SAMPLES / "sir.salver"), "--vary", "Contact Rate=uniform(2, 6)", "--runs", "4",
                 "--seed", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["loops", str(SAMPLES / "sir.salver"), "--runs-from", str(out), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert len(runs) == 4 and all(run["dominance"][0]["loop"] == "R1" for run in runs)
    assert main(["loops", str(SAMPLES / "sir.salver"), "--runs-from", str(tmp_path / "none.parquet")]) == 2


def test_cli_loops_refuses_a_model_that_does_not_compile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = Model(name="broken")
    model.add(Aux("a", "A", equation="B + 1"))
    model.add(Aux("b", "B", equation="A * 2"))  # an algebraic loop: no stock breaks it
    from metamodel.io import save

    path = tmp_path / "broken.salver"
    save(model, path)
    assert main(["loops", str(path)]) == 1
    assert "algebraic loop" in capsys.readouterr().err
    assert main(["loops", str(SAMPLES / "sir.salver"), "--max-loops", "0"]) == 2


def test_graph_of_the_flat_model_keeps_hidden_pathways() -> None:
    model = Model(name="delayed", sim_spec=SimSpec(start=0, stop=10, dt=0.5))
    model.add(Stock("s", "S", equation="1", inflows=["f"]))
    model.add(Flow("f", "F", equation="DELAY3(S, 2)"))
    ltm = LoopsThatMatter(model)
    graph: CausalGraph = ltm.graph
    assert list(graph.paths) == [("f", "s"), ("s", "f")]
    assert len(graph.paths[("s", "f")][0]) > 3  # through the delay's stages
