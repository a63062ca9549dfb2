"""Vensim builtins run end to end (import, compile, run); expected values worked out by hand from the
reference manual's definitions, not taken from any engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import solvers
from importers.vensim import load
from metamodel.errors import ModelError
from solvers import vector_functions

CONTROL = """FINAL TIME = {stop} ~ Month ~ |
INITIAL TIME = 0 ~ Month ~ |
SAVEPER = TIME STEP ~ Month [0,?] ~ |
TIME STEP = {dt} ~ Month [0,?] ~ |
"""


def run(tmp_path: Path, body: str, stop: float = 6, dt: float = 1, runs: int | None = None):  # noqa: ANN201
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\n" + body + CONTROL.format(stop=stop, dt=dt), encoding="utf-8")
    model, _ = load(path)
    return solvers.compile(model).run(runs=runs)


def series(results, name: str) -> list[float]:  # noqa: ANN001
    return [round(float(v), 9) for v in np.asarray(results[name])[:, 0]]


def test_delay_fixed_rounds_the_delay_to_whole_steps_fixed_at_the_start(tmp_path: Path) -> None:
    body = """x = Time * 10 ~ ~ |
d15 = DELAY FIXED(x, 1.5, -1) ~ ~ |
d05 = DELAY FIXED(x, 0.5, -2) ~ ~ |
moving = DELAY FIXED(x, 1 + Time, -3) ~ ~ |
"""
    results = run(tmp_path, body)
    assert series(results, "d15") == [-1, -1, 0, 10, 20, 30, 40]  # 1.5 steps -> 2
    assert series(results, "d05") == [-2, 0, 10, 20, 30, 40, 50]  # at least one step
    assert series(results, "moving") == [-3, 0, 10, 20, 30, 40, 50]  # the delay at the start (1) is kept


def test_delay_n_drains_each_stage_with_the_delay_time_it_entered_with(tmp_path: Path) -> None:
    body = """input = 0 ~ ~ |
time to deliver = 2 + STEP(2, 3) ~ ~ |
out = DELAY N(input, time to deliver, 1, 1) ~ ~ |
"""
    results = run(tmp_path, body, stop=5)
    # one stage holding 1 * 2 at the start, draining at content / delay; the reported value divides
    # by the delay time of the step before: at t = 3 the new delay time (4) is not yet seen
    level = [2.0]
    for t in range(5):
        level.append(level[-1] - level[-1] / (2 if t < 3 else 4))
    reported = [level[t] / (2 if t <= 3 else 4) for t in range(6)]
    assert series(results, "out") == pytest.approx(reported)


def test_allocate_by_priority_by_hand() -> None:
    # priorities 5, 3, 0, 1.5, 4 (request 0 ignored), width 3, supply 10: A alone until it holds
    # (5-3)/3 * 8; A and B in proportion 8:1 until A is full; B alone until 0.5; B and D 1:4 until the
    # supply is spent
    assert vector_functions.by_priority([8, 1, 3, 4, 0], [5, 3, 0, 1.5, 4], 3, 10) == pytest.approx(
        [8, 0.8, 0, 1.2, 0])
    assert vector_functions.by_priority([2, 3], [1, 1], 1, 10) == [2, 3]  # enough for everyone
    assert vector_functions.by_priority([2, 2], [1, 1], 1, 2) == pytest.approx([1, 1])  # equal priorities share
    with pytest.raises(ValueError, match="width"):
        vector_functions.by_priority([1], [1], 0, 1)


def test_allocate_by_priority_in_a_model_per_element_and_per_run(tmp_path: Path) -> None:
    body = """d: A, B, C, D, E ~ ~ |
request[d] = 8, 1, 3, 4, 0 ~ ~ |
priority[d] = 5, 3, 0, 1.5, 4 ~ ~ |
supply = 10 ~ ~ |
got[d] = ALLOCATE BY PRIORITY(request[d], priority[d], ELMCOUNT(d), 3, supply) ~ ~ |
"""
    results = run(tmp_path, body, stop=1)
    assert [series(results, f"got[{e}]")[0] for e in "ABCDE"] == pytest.approx([8, 0.8, 0, 1.2, 0])
    batch = run(tmp_path, body, stop=1, runs=2)
    assert np.asarray(batch["got[B]"])[0].tolist() == pytest.approx([0.8, 0.8])


def test_allocate_available_rectangular_profiles_by_hand(tmp_path: Path) -> None:
    # rectangular profiles (type 1): a request gets all of it below priority - width/2, none above
    # priority + width/2, linearly between. Priorities 2 and 4, widths 2, requests 10 and 10, supply 12:
    # for a level x in [1, 3], B (from 3 to 5) is full and A gets 10 * (3 - x) / 2; 10 + 5 (3 - x) = 12
    # gives x = 2.6: A gets 2, B gets 10.
    body = """d: A, B ~ ~ |
p: ptype, ppriority, pwidth, pextra ~ ~ |
request[d] = 10, 10 ~ ~ |
profile[d, p] = 1, 2, 2, 0; 1, 4, 2, 0; ~ ~ |
got[d] = ALLOCATE AVAILABLE(request[d], profile[d, ptype], 12) ~ ~ |
"""
    results = run(tmp_path, body, stop=1)
    assert series(results, "got[A]")[0] == pytest.approx(2)
    assert series(results, "got[B]")[0] == pytest.approx(10)
    normal = vector_functions.available([4, 4], [(3, 1, 1, 0), (3, 1, 1, 0)], 4)
    assert normal == pytest.approx([2, 2])  # symmetric profiles split evenly at the common priority
    with pytest.raises(ValueError, match="profile type 7"):
        vector_functions.available([4, 4], [(7, 1, 1, 0), (7, 1, 1, 0)], 4)


def test_vector_select_actions_and_errors(tmp_path: Path) -> None:
    body = """d: A, B, C ~ ~ |
pick[d] = 1, 0, 2 ~ ~ |
x[d] = 5, 7, 3 ~ ~ |
weighted sum = VECTOR SELECT(pick[d!], x[d!], -1, 0, 0) ~ ~ |
smallest = VECTOR SELECT(pick[d!], x[d!], -1, 8, 0) ~ ~ |
mean = VECTOR SELECT(pick[d!], x[d!], -1, 10, 0) ~ ~ |
nothing = VECTOR SELECT(pick[d!] * 0, x[d!], -1, 0, 0) ~ ~ |
"""
    results = run(tmp_path, body, stop=1)
    assert series(results, "weighted sum")[0] == 5 * 1 + 3 * 2
    assert series(results, "smallest")[0] == 3
    assert series(results, "mean")[0] == 4
    assert series(results, "nothing")[0] == -1  # the missing value
    with pytest.raises(FloatingPointError):
        vector_functions.vector_select(-1, 0, 1, 2, 0, 0, 1, 2)


def test_vector_sort_order_rank_reorder_and_elm_map(tmp_path: Path) -> None:
    body = """d: A, B, C, D ~ ~ |
x[d] = 30, 10, 40, 20 ~ ~ |
order[d] = VECTOR SORT ORDER(x[d], 1) ~ ~ |
down[d] = VECTOR SORT ORDER(x[d], -1) ~ ~ |
rank[d] = VECTOR RANK(x[d], 1) ~ ~ |
sorted[d] = VECTOR REORDER(x[d], order[d]) ~ ~ |
shift[d] = VECTOR ELM MAP(x[A], 1) ~ ~ |
"""
    results = run(tmp_path, body, stop=1)

    def values(name: str) -> list[float]:
        return [series(results, f"{name}[{e}]")[0] for e in "ABCD"]

    assert values("order") == [1, 3, 0, 2]  # 0-based element numbers, smallest first
    assert values("down") == [2, 0, 3, 1]
    assert values("rank") == [3, 1, 4, 2]
    assert values("sorted") == [10, 20, 30, 40]
    assert values("shift") == [10, 10, 10, 10]


def test_vector_functions_on_a_scalar_are_diagnostics_naming_the_element(tmp_path: Path) -> None:
    body = """y = 3 ~ ~ |
order = VECTOR SORT ORDER(y, 1) ~ ~ |
"""
    with pytest.raises(ModelError) as error:
        run(tmp_path, body, stop=1)
    assert any(d.element_name == "order" and "subscripted array" in d.message for d in error.value.diagnostics)


def test_logical_expressions_over_subscripts_count_in_the_parent_dimension(tmp_path: Path) -> None:
    # d3 reorders d1's elements: Vensim takes it as d1's subrange, so its elements count in d1's order
    body = """d1: A, B, C ~ ~ |
d3: A, C, B ~ ~ |
d4: A, B ~ ~ |
same[d1, d3] = IF THEN ELSE(d1 = d3, 1, 0) ~ ~ |
differ[d1, d4] = IF THEN ELSE(d1 <> d4 :AND: Time >= 0, 1, 0) ~ ~ |
"""
    results = run(tmp_path, body, stop=1)
    assert series(results, "same[B,B]")[0] == 1 and series(results, "same[B,C]")[0] == 0
    assert series(results, "same[C,C]")[0] == 1
    assert series(results, "differ[C,A]")[0] == 1 and series(results, "differ[B,B]")[0] == 0


def test_quoted_names_with_quotes_backslashes_and_operators(tmp_path: Path) -> None:
    body = r'''"rate*with ^ + signs" = "value with \"Quotes\" in 'it' and \ backslashes!!" ~ ~ |
"value with \"Quotes\" in 'it' and \ backslashes!!" = 4 ~ ~ |
"Stock-with \n newline" = INTEG("rate*with ^ + signs", 1) ~ ~ |
'''
    results = run(tmp_path, body, stop=3)
    assert series(results, '"Stock-with \\n newline"') == [1, 5, 9, 13]


def test_npv_and_npve_follow_the_manuals_equivalent_equations(tmp_path: Path) -> None:
    body = """stream = 10 + Time ~ ~ |
rate = 0.1 ~ ~ |
npv = NPV(stream, rate, 5, 2) ~ ~ |
npve = NPVE(stream, rate, 0, 1) ~ ~ |
"""
    results = run(tmp_path, body, stop=4)
    # df starts at 1 (NPV) or 1/1.1 (NPVE) and falls by the factor 1/1.1 per step of 1; the discounted
    # stream accumulates from the initial value; the value adds this step's discounted stream
    for name, df0, init, factor in (("npv", 1.0, 5.0, 2.0), ("npve", 1 / 1.1, 0.0, 1.0)):
        df, accumulated, expected = df0, init, []
        for t in range(5):
            expected.append((accumulated + (10 + t) * df) * factor)
            accumulated += (10 + t) * df
            df /= 1.1
        assert series(results, name) == pytest.approx(expected)


def test_time_base_is_start_plus_time_times_slope(tmp_path: Path) -> None:
    results = run(tmp_path, "year = TIME BASE(1970, 0.25) ~ ~ |\n", stop=3)
    assert series(results, "year") == [1970, 1970.25, 1970.5, 1970.75]


def test_random_functions_truncate_by_drawing_again_and_repeat_with_a_seed(tmp_path: Path) -> None:
    body = """normal = RANDOM NORMAL(-1, 2, 0, 1, 0) ~ ~ |
poisson = RANDOM POISSON(0, 100, 4, 10, 2, 0) ~ ~ |
triangle = RANDOM TRIANGULAR(1, 3, 0, 2, 4, 0) ~ ~ |
uniform = RANDOM UNIFORM(5, 6, 0) ~ ~ |
unit = RANDOM 0 1() ~ ~ |
own stream = RANDOM EXPONENTIAL(0, 1000, 0, 3, 7) ~ ~ |
"""
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\n" + body + CONTROL.format(stop=3000, dt=1), encoding="utf-8")
    model, report = load(path)
    assert not report.entries
    compiled = solvers.compile(model)
    first, again, other = compiled.run(seed=3), compiled.run(seed=3), compiled.run(seed=4)
    normal = np.asarray(first["normal"])[:, 0]
    assert normal.min() >= -1 and normal.max() <= 2 and normal.min() < -0.9 and normal.max() > 1.9
    poisson = np.asarray(first["poisson"])[:, 0]  # Poisson(4) stretched by 2, shifted by 10: even numbers
    assert set(np.unique(poisson)) <= {10.0 + 2 * k for k in range(46)} and abs(poisson.mean() - 18) < 0.3
    triangle = np.asarray(first["triangle"])[:, 0]
    assert triangle.min() >= 1 and triangle.max() <= 3 and abs(triangle.mean() - 2) < 0.05  # symmetric cut
    assert np.asarray(first["uniform"]).min() >= 5 and np.asarray(first["uniform"]).max() <= 6
    assert abs(np.asarray(first["unit"]).mean() - 0.5) < 0.03
    assert np.array_equal(first["normal"], again["normal"]) and not np.array_equal(first["normal"], other["normal"])
    # a stream id other than 0 draws from its own generator, whatever the run's seed
    assert np.array_equal(first["own stream"], other["own stream"])
    assert abs(np.asarray(first["own stream"]).mean() - 3) < 0.3


def test_random_draw_that_cannot_fall_between_minimum_and_maximum_is_an_error(tmp_path: Path) -> None:
    from metamodel.errors import SimulationError

    with pytest.raises(SimulationError, match="RANDOM POISSON"):
        run(tmp_path, "x = RANDOM POISSON(0.2, 0.8, 3, 0, 1, 0) ~ ~ |\n")


def test_time_step_saveper_and_final_time_that_change_during_the_run(tmp_path: Path) -> None:
    body = """level = INTEG(1, 0) ~ ~ |
FINAL TIME = IF THEN ELSE(Time < 2, 3, 4) ~ Month ~ |
INITIAL TIME = 0 ~ Month ~ |
SAVEPER = IF THEN ELSE(Time < 3, TIME STEP, 1) ~ Month ~ |
TIME STEP = IF THEN ELSE(Time < 2, 1, 0.25) ~ Month ~ |
"""
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\n" + body, encoding="utf-8")
    model, _ = load(path)
    compiled = solvers.compile(model)
    results = compiled.run()
    # steps of 1 until t = 2, then 0.25; saved every step until t = 3, then every 1; the stop moves to 4
    expected = [0, 1, 2, 2.25, 2.5, 2.75, 3, 4]
    assert list(results.time) == expected
    assert series(results, "level") == expected  # the level integrates 1 over the steps actually taken
    with pytest.raises(ModelError, match="one run at a time"):
        compiled.run(runs=2)
    fixed = compiled.run(dt=0.5, save_per=1, stop=2)  # given controls are fixed; FINAL TIME stays dynamic
    assert list(fixed.time) == [0, 1, 2]


def test_delay_n_lowers_its_order_while_a_stage_would_last_less_than_a_step(tmp_path: Path) -> None:
    body = """input = -1 + STEP(5, 2) ~ ~ |
third = DELAY N(input, 1.25, 6, 3) ~ ~ |
second = DELAY N(input, 1.25, 6, 2) ~ ~ |
"""
    results = run(tmp_path, body, stop=5, dt=0.5)
    # 3 stages of 1.25 / 3 < 0.5 would each empty in less than a step: Vensim runs 2 stages of 0.625;
    # by hand, stages hold 6 * 0.625 each, then drain at content / 0.625 per time unit
    stage = [3.75, 3.75]
    expected = []
    for n in range(11):
        expected.append(stage[1] / 0.625)
        t = n * 0.5
        inflow = -1 + (5 if t >= 2 else 0)
        out1, out2 = stage[0] / 0.625, stage[1] / 0.625
        stage = [stage[0] + 0.5 * (inflow - out1), stage[1] + 0.5 * (out1 - out2)]
    assert series(results, "third") == series(results, "second") == pytest.approx(expected)
