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


def test_allocate_available_stops_as_vensim_does_near_the_supply() -> None:
    # triangular profiles: the level is searched until the total is within 0.001 of the supply (0.001 of
    # the supply itself below 1), so the shares of requests far below the level carry that tolerance
    requests, profiles = [500, 300, 750], [(2, 6.2, 4, 0), (2, 5, 2, 0), (2, 3.8, 2, 0)]
    for supply in (300, 120, 0.5):
        total = sum(vector_functions.available(requests, profiles, supply))
        assert abs(total - supply) < 1e-3 * min(1, supply)
    long_tail = vector_functions.available([10, 10], [(5, 1, 1, 1), (5, 2, 1, 1)], 3)  # constant elasticity
    assert sum(long_tail) == pytest.approx(3, abs=1e-3)


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


def test_vector_functions_read_computed_operands_along_the_equations_dimension(tmp_path: Path) -> None:
    body = """d: A, B, C ~ ~ |
x[A] = 30 - 25 * Time ~ ~ |
x[B] = 10 + 10 * Time ~ ~ |
x[C] = 20 ~ ~ |
offset[d] = 2, 0, 1 ~ ~ |
order[d] = VECTOR SORT ORDER(x[d] * -1, 1) ~ ~ |
mapped[d] = VECTOR ELM MAP(x[d] + 100, offset[d]) ~ ~ |
delayed[d] = VECTOR RANK(DELAY FIXED(x[d], 1, x[d]), 1) ~ ~ |
"""
    results = run(tmp_path, body, stop=1)

    def values(name: str, t: int) -> list[float]:
        return [series(results, f"{name}[{e}]")[t] for e in "ABC"]

    # t = 0: x = 30, 10, 20; -x = -30, -10, -20 sorts as A, C, B
    assert values("order", 0) == [0, 2, 1]
    # t = 1: x = 5, 20, 20; -x = -5, -20, -20 sorts as B, C, A (ties keep their order)
    assert values("order", 1) == [1, 2, 0]
    # element i reads element offset[i] of the whole computed vector, counted from its first element
    assert values("mapped", 0) == [120, 130, 110]
    # the delayed vector at t = 1 is x at t = 0 (30, 10, 20): ranks 3, 1, 2
    assert values("delayed", 1) == [3, 1, 2]


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


AGES = """age : IN VITRO, (AGE 1-AGE 3) ~ ~ |
ageh : (AGE 1-AGE 3) ~ ~ |
Population[IN VITRO] = INTEG(conceptions, 0) ~ Person ~ |
Population[ageh] = INTEG(0, 10) ~ Person ~ |
conceptions = 4 ~ Person/Month ~ |
"""


def test_shift_if_true_moves_the_cohorts_when_its_condition_holds(tmp_path: Path) -> None:
    body = AGES + """aging = SHIFT IF TRUE(Population[IN VITRO], MODULO(Time, 1) = 0, ELMCOUNT(age), {accumulate}, 0)
    ~ Person ~ :SUP |
"""
    # at each whole time the step ends with the cohorts moved one place (IN VITRO emptied, the last keeping
    # its own plus the one before when accumulating), then the step's 0.5 * 4 conceptions added
    results = run(tmp_path, body.format(accumulate=1), stop=3, dt=0.5)
    rows = [[series(results, f"Population[{e}]")[i] for e in ("IN VITRO", "AGE 1", "AGE 2", "AGE 3")]
            for i in range(7)]
    assert rows == [[0, 10, 10, 10], [2, 0, 10, 20], [4, 0, 10, 20], [2, 4, 0, 30], [4, 4, 0, 30],
                    [2, 4, 4, 30], [4, 4, 4, 30]]
    assert series(results, "aging") == [0] * 7  # accumulating: nothing leaves the last
    results = run(tmp_path, body.format(accumulate=0), stop=3, dt=0.5)
    assert series(results, "Population[AGE 3]") == [10, 10, 10, 10, 10, 0, 0]  # AGE 1 was empty at t = 1
    assert series(results, "aging") == [10, 0, 10, 0, 10, 0, 0]  # what leaves the last element at each shift


def test_shift_if_true_is_refused_where_it_cannot_work(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="4 elements from position 2"):
        run(tmp_path, AGES + "s = SHIFT IF TRUE(Population[AGE 1], 1, 4, 0, 0) ~ ~ |\n")
    with pytest.raises(ModelError, match="stock"):
        run(tmp_path, AGES + "v[age] = 1 ~ ~ |\ns = SHIFT IF TRUE(v[IN VITRO], 1, 2, 0, 0) ~ ~ |\n")
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\n" + AGES + "s = SHIFT IF TRUE(Population[IN VITRO], 1, 2, 0, 0) ~ ~ |\n"
                    + CONTROL.format(stop=2, dt=1), encoding="utf-8")
    model, _ = load(path)
    with pytest.raises(ModelError, match="Euler"):
        solvers.compile(model).run(method="rk4")


def test_get_data_functions_read_the_data_variables_points(tmp_path: Path) -> None:
    (tmp_path / "data.tab").write_text("Time\tsales\n0\t10\n2\t30\n4\t20\n", encoding="utf-8")
    body = """sales := ~ ~ |
at3 = GET DATA AT TIME(sales, 3) ~ ~ |
held = GET DATA BETWEEN TIMES(sales, Time, -1) ~ ~ |
ahead = GET DATA BETWEEN TIMES(sales, Time, 1) ~ ~ |
between = GET DATA BETWEEN TIMES(sales, Time, 0) ~ ~ |
first = GET DATA FIRST TIME(sales) ~ ~ |
last = GET DATA LAST TIME(sales) ~ ~ |
points = GET DATA TOTAL POINTS(sales) ~ ~ |
largest = GET DATA MAX(sales, 0, Time) ~ ~ |
smallest = GET DATA MIN(sales, 1, 4) ~ ~ |
mean = GET DATA MEAN(sales, 0, 4) ~ ~ |
none = GET DATA MEAN(sales, 5, 6) ~ ~ |
"""
    results = run(tmp_path, body, stop=5)
    na = -1.298074214633707e33
    assert series(results, "at3") == [25] * 6  # interpolated, as the variable itself is
    assert series(results, "held") == [10, 10, 30, 30, 20, na]
    assert series(results, "ahead") == [10, 30, 30, 20, 20, na]
    assert series(results, "between") == [10, 20, 30, 25, 20, na]
    assert [series(results, n)[0] for n in ("first", "last", "points")] == [0, 4, 3]
    assert series(results, "largest") == [10, 10, 30, 30, 30, 30]
    assert series(results, "smallest")[0] == 20 and series(results, "mean")[0] == 20
    assert series(results, "none")[0] == na
    with pytest.raises(ModelError, match="data variable"):
        run(tmp_path, "x = 1 ~ ~ |\ny = GET DATA AT TIME(x, 1) ~ ~ |\n")


def test_queue_fifo_keeps_its_content_by_age(tmp_path: Path) -> None:
    body = """rising ( (0,0),(1,1) ) ~ ~ |
q = QUEUE FIFO(arriving, leaving, rising, 10, 2) ~ ~ |
arriving = 2 ~ ~ |
leaving = 3 ~ ~ |
average age = QUEUE AGE AVERAGE(q, 0) ~ ~ |
oldest two = QUEUE AGE AVERAGE(q, 2) ~ ~ |
oldest = QUEUE AGE OLDEST(q) ~ ~ |
young = QUEUE AGE IN RANGE(q, :NA:, 1.5) ~ ~ |
"""
    results = run(tmp_path, body, stop=2)
    # 10 spread over ages 1 and 2 by the rising profile: a quarter (its area on [0, 0.5]) is 1 old
    assert series(results, "q") == [10, 9, 8]  # a level: 10 + (2 - 3) per step
    assert series(results, "young")[0] == 2.5 and series(results, "oldest") == [2, 3, 4]
    assert series(results, "average age")[0] == pytest.approx((2.5 * 1 + 7.5 * 2) / 10)
    # after a step: ages 3 (7.5 - 3 left), 2 (2.5) and 1 (the 2 that arrived)
    assert series(results, "average age")[1] == pytest.approx((4.5 * 3 + 2.5 * 2 + 2 * 1) / 9)
    assert series(results, "oldest two")[1] == 3


def test_delay_conveyor_delays_its_input_and_leaks_all_of_it(tmp_path: Path) -> None:
    body = """flat ( (0,1),(1,1) ) ~ ~ |
input = 1 ~ ~ |
out = DELAY CONVEYOR(input, 2, 0, flat, 4, 2) ~ ~ |
leaky = DELAY CONVEYOR(input, 2, 0.1, flat, 0, 2) ~ ~ |
"""
    results = run(tmp_path, body, stop=4)
    assert series(results, "out") == [2, 2, 1, 1, 1]  # the initial 4 over 2 time units, then the input
    # each step 0.1 of everything on the conveyor leaks, the step's input included: 0.9 ** 2 comes out
    assert series(results, "leaky") == [0, 0, pytest.approx(0.81), pytest.approx(0.81), pytest.approx(0.81)]


def test_random_lookup_and_pink_noise_draw_from_their_distributions(tmp_path: Path) -> None:
    body = """rising ( (0,0),(1,1) ) ~ ~ |
draw = RANDOM LOOKUP(rising, 0, 1, 0, 1, 0) ~ ~ |
scaled = RANDOM LOOKUP(rising, 5, 6, 5, 1, 0) ~ ~ |
noise = RANDOM PINK NOISE(10, 2, 4, 0) ~ ~ |
"""
    path = tmp_path / "model.mdl"
    path.write_text("{UTF-8}\n" + body + CONTROL.format(stop=2000, dt=0.5), encoding="utf-8")
    model, _ = load(path)
    results = solvers.compile(model).run(seed=7)
    draws = np.asarray(results["draw"]).ravel()
    assert draws.min() >= 0 and draws.max() <= 1 and draws.mean() == pytest.approx(2 / 3, abs=0.02)
    assert np.asarray(results["scaled"]).min() >= 5
    noise = np.asarray(results["noise"]).ravel()
    # the structure keeps the mean and the standard deviation asked for, whatever TIME STEP is
    assert noise.mean() == pytest.approx(10, abs=0.4) and noise.std() == pytest.approx(2, rel=0.15)
    # a pink series: values a step apart are strongly correlated (exp(-0.5 / 4) ~ 0.88)
    assert np.corrcoef(noise[:-1], noise[1:])[0, 1] > 0.8


def test_lookup_area_invert_slope_and_vector_lookup(tmp_path: Path) -> None:
    body = """table ((0,0),(1,2),(2,2)) ~ ~ |
area = LOOKUP AREA(table, 0, Time) ~ ~ |
inverse = LOOKUP INVERT(table, 1) ~ ~ |
slope = LOOKUP SLOPE(table, Time / 2) ~ ~ |
d : (d1-d3) ~ ~ |
v[d] = 0, 2, 2 ~ ~ |
vector value = VECTOR LOOKUP(v[d1], Time / 2, 0, 2, 0) ~ ~ |
vector area = VECTOR LOOKUP(v[d1], Time, 0, 2, 1) ~ ~ |
vector inverse = VECTOR LOOKUP(v[d1], 1, 0, 2, 5) ~ ~ |
vector slope = VECTOR LOOKUP(v[d1], 3, 0, 2, 9) ~ ~ |
"""
    results = run(tmp_path, body, stop=2)
    assert series(results, "area") == [0, 1, 3]  # the triangle, then 2 per unit
    assert series(results, "inverse") == [0.5] * 3
    assert series(results, "slope") == [2, 2, 0]  # at a point, the slope of the segment after it
    assert series(results, "vector value") == [0, 1, 2]
    assert series(results, "vector area") == [0, 1, 3]
    assert series(results, "vector inverse") == [0.5] * 3
    assert series(results, "vector slope") == [0] * 3  # the last segment continued: flat
    assert series(run(tmp_path, "g = GAMMA LN(5) ~ ~ |\n", stop=1), "g")[0] == pytest.approx(np.log(24))


def test_delay_information_reads_the_input_a_variable_time_back(tmp_path: Path) -> None:
    body = """x = Time * 10 ~ ~ |
late = DELAY INFORMATION(x, IF THEN ELSE(Time < 3, 2, 1), -1) ~ ~ |
"""
    # the delay falls from 2 to 1 at t = 3: inputs of t = 1 and 2 are skipped
    assert series(run(tmp_path, body, stop=5), "late") == [-1, -1, 0, 20, 30, 40]


def test_vensim_functions_without_a_translation_are_import_errors_that_say_why(tmp_path: Path) -> None:
    for call, reason in (("A FUNCTION OF(x)", "placeholder"), ("DELAY BATCH(x, 1, 2, 0, 0, 0)", "DELAY BATCH"),
                         ("RANDOM LOGNORMAL(0, 10, 1, 1, 0)", "RANDOM LOGNORMAL"),
                         ("QUEUE FIFO ATTRIB(x, x, x, 0, t, t, 0, 0, 1)", "attributes")):
        path = tmp_path / "model.mdl"
        path.write_text("{UTF-8}\nx = 1 ~ ~ |\nt ((0,1),(1,1)) ~ ~ |\ny = " + call + " ~ ~ |\n"
                        + CONTROL.format(stop=1, dt=1), encoding="utf-8")
        _, report = load(path)
        assert any(e.severity == "error" and e.element == "y" and reason in e.reason for e in report.entries), call
