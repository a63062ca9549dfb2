"""Distributions written as text and the sampling designs: values, truncation, strata, grids, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvers.analysis.distributions import DistributionError, parse_distribution
from solvers.analysis.sampling import sample, unit_sample


@pytest.mark.parametrize(("text", "median"), [
    ("uniform(2, 6)", 4.0), ("normal(10, 2)", 10.0), ("lognormal(1, 0.5)", math.e),
    ("triangular(0, 0, 2)", 2 - math.sqrt(2)), ("UNIFORM( -1 , 1 )", 0.0),
])
def test_the_quantile_function_gives_the_median_of_each_distribution(text: str, median: float) -> None:
    assert parse_distribution(text).ppf(np.array([0.5]))[0] == pytest.approx(median)


def test_truncation_keeps_every_value_inside_the_bounds_even_far_in_a_tail() -> None:
    values = sample({"x": "normal(0, 1, low=8)", "y": "lognormal(0, 1, low=0.5, high=2)"}, 500, "random", 3).values
    assert np.isfinite(values).all()
    assert values[:, 0].min() >= 8 and values[:, 0].max() < 9.5
    assert values[:, 1].min() >= 0.5 and values[:, 1].max() <= 2


def test_truncated_normal_has_the_mean_of_the_truncated_distribution() -> None:
    values = sample({"x": "normal(0, 1, low=0)"}, 4000, "lhs", 1).values[:, 0]
    assert values.mean() == pytest.approx(math.sqrt(2 / math.pi), rel=0.01)  # the half-normal's mean


def test_choice_draws_only_the_listed_values_equally_often() -> None:
    values = sample({"x": "choice(1, 2.5, 7)"}, 300, "lhs", 5).values[:, 0]
    found, counts = np.unique(values, return_counts=True)
    assert found.tolist() == [1.0, 2.5, 7.0] and counts.tolist() == [100, 100, 100]


def test_latin_hypercube_puts_one_run_in_each_stratum_of_each_parameter() -> None:
    unit = unit_sample(3, 50, "lhs", 11)
    for column in unit.T:
        assert sorted(np.floor(column * 50).astype(int)) == list(range(50))


def test_designs_repeat_with_a_seed_and_differ_between_seeds() -> None:
    for sampling in ("lhs", "sobol", "random"):
        first = sample({"a": "uniform(0, 1)", "b": "normal(0, 1)"}, 64, sampling, 9)
        assert np.array_equal(first.values, sample({"a": "uniform(0, 1)", "b": "normal(0, 1)"}, 64, sampling,
                                                   9).values)
        assert not np.array_equal(first.values, sample({"a": "uniform(0, 1)", "b": "normal(0, 1)"}, 64, sampling,
                                                       10).values)


def test_a_design_without_a_seed_records_the_seed_it_drew() -> None:
    design = sample({"a": "uniform(0, 1)"}, 8, "lhs")
    again = sample({"a": "uniform(0, 1)"}, 8, "lhs", design.seed)
    assert np.array_equal(design.values, again.values)
    assert design.describe()["seed"] == design.seed


def test_grid_is_the_full_factorial_of_levels_and_choices() -> None:
    design = sample({"a": "uniform(0, 10)", "b": "choice(1, 2)", "c": "normal(0, 1, low=-1, high=1)"}, 50, "grid")
    assert design.runs == 50
    assert sorted(set(design.values[:, 0])) == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert sorted(set(design.values[:, 1])) == [1.0, 2.0]
    assert len({tuple(row) for row in design.values}) == 50


@pytest.mark.parametrize(("vary", "runs", "message"), [
    ({"a": "uniform(0, 1)", "b": "uniform(0, 1)"}, 10, "cannot have 10 runs"),
    ({"a": "normal(0, 1)"}, 5, "unbounded"),
])
def test_impossible_grids_are_refused_with_the_reason(vary: dict, runs: int, message: str) -> None:
    with pytest.raises(DistributionError, match=message):
        sample(vary, runs, "grid")


@pytest.mark.parametrize(("text", "message"), [
    ("beta(1, 2)", "unknown distribution 'beta'"),
    ("uniform(1)", "takes 2 arguments"),
    ("uniform(3, 1)", "a < b"),
    ("normal(0, -1)", "must be positive"),
    ("normal(0, 1, low=2, high=1)", "low < high"),
    ("uniform(0, 1, low=2)", "no values"),
    ("triangular(0, 5, 2)", "low <= mode <= high"),
    ("choice()", "at least one value"),
    ("choice(1, 2, low=0)", "takes no bounds"),
    ("normal(0, 1, mean=3)", "unknown keyword"),
    ("normal(0, x)", "'x' is not a number"),
    ("uniform(0, inf)", "not a finite number"),
    ("__import__('os').system('true')", "unknown distribution '__import__'"),
    ("5", "not a distribution"),
])
def test_bad_distributions_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(DistributionError, match=message):
        parse_distribution(text)


def test_bad_sampling_requests_are_refused() -> None:
    with pytest.raises(DistributionError, match="unknown sampling"):
        sample({"a": "uniform(0, 1)"}, 10, "halton")
    with pytest.raises(DistributionError, match="positive whole number"):
        sample({"a": "uniform(0, 1)"}, 0)
    with pytest.raises(DistributionError, match="nothing to vary"):
        sample({}, 10)


def test_vensim_sensitivity_distributions_truncate_at_their_minimum_and_maximum() -> None:
    values = sample({"n": "RANDOM NORMAL(0, 10, 5, 20)", "t": "random_triangular(1, 2, 0, 1, 4)",
                     "u": "RANDOM UNIFORM(11, 15)"}, 400, "lhs", 2).values
    assert values[:, 0].min() >= 0 and values[:, 0].max() <= 10
    assert values[:, 1].min() >= 1 and values[:, 1].max() <= 2
    assert values[:, 2].min() >= 11 and values[:, 2].max() <= 15
    assert parse_distribution("RANDOM NORMAL(0, 10, 5, 2)").ppf(np.array([0.5]))[0] == pytest.approx(5)


@pytest.mark.parametrize(("text", "message"), [
    ("RANDOM GAMMA(0, 1, 2, 0, 1)", "RANDOM GAMMA is not supported"),
    ("RANDOM UNIFORM(1)", "takes 2 arguments"),
    ("RANDOM UNIFORM(5, 5)", "minimum must be below the maximum"),
    ("RANDOM NORMAL(0, 1, 0.5)", "takes 4 arguments"),
])
def test_unsupported_vensim_distributions_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(DistributionError, match=message):
        parse_distribution(text)


def test_a_vensim_control_file_gives_runs_design_seed_and_distributions(tmp_path) -> None:  # noqa: ANN001
    from solvers.analysis.vensim_control import read_control

    path = tmp_path / "sens.vsc"
    path.write_text("250,L,99,,0\nPRICE OF STEEL=RANDOM TRIANGULAR(.5,1.5,.5,1,1.5)\n"
                    "BUILDING TIME=RANDOM UNIFORM(11,15)\n")
    control = read_control(path)
    assert (control.runs, control.sampling, control.seed) == (250, "lhs", 99)
    assert control.vary == {"PRICE OF STEEL": "RANDOM TRIANGULAR(.5,1.5,.5,1,1.5)",
                            "BUILDING TIME": "RANDOM UNIFORM(11,15)"}
    path.write_text("100,M,1234,,0\nLog10 Fatality Rate=RANDOM_NORMAL(-3,-1,-2.3,0.3)\n"  # as Vensim writes them
                    "Statistical Value of Life=RANDOM_TRIANGULAR(0,1.5e+07,1e+06,1e+07,1.5e+07)\n")
    written = read_control(path)
    values = sample(written.vary, written.runs, written.sampling, written.seed).values
    assert values[:, 0].min() >= -3 and values[:, 0].max() <= -1 and values[:, 1].max() <= 1.5e7
    path.write_text(",,,,\nX=RANDOM UNIFORM(0, 1)\n")
    assert read_control(path).runs == 200 and read_control(path).sampling == "random"


@pytest.mark.parametrize(("text", "message"), [
    ("200,U,1234,,0\nX=RANDOM UNIFORM(0,1)\n", "univariate"),
    ("200,F,1234,sample.tab,0\nX=RANDOM UNIFORM(0,1)\n", "from a file"),
    ("200,Q,1234,,0\nX=RANDOM UNIFORM(0,1)\n", "unknown method"),
    ("many,M,1234,,0\nX=RANDOM UNIFORM(0,1)\n", "whole numbers"),
    ("200,M,1234,,0\nX=RANDOM WEIBULL(0,1,2,0,1)\n", "line 2"),
    ("200,M,1234,,0\n", "no constant to vary"),
])
def test_control_files_that_cannot_be_followed_are_refused(tmp_path, text: str, message: str) -> None:  # noqa: ANN001
    from metamodel.errors import ParseError
    from solvers.analysis.vensim_control import read_control

    path = tmp_path / "bad.vsc"
    path.write_text(text)
    with pytest.raises(ParseError, match=message):
        read_control(path)
