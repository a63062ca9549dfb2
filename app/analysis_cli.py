"""``salver sensitivity``, ``salver calibrate`` and ``salver optimize``: analyses over many runs.

Bad requests (unknown names, bad distributions or ranges, unreadable data) exit 2; an analysis that
cannot give an answer (a model that fails to run) exits 1.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SAMPLINGS = ("lhs", "sobol", "random", "grid")


@contextmanager
def _requests() -> Iterator[None]:
    """Bad requests become the CLI's usage errors (exit 2)."""
    from app.cli import UsageError
    from solvers.analysis.parameters import RequestError

    try:
        yield
    except RequestError as exc:
        raise UsageError(str(exc)) from None


def _compile(path: str):  # noqa: ANN202 - CompiledModel
    import solvers

    compiled = solvers.load(path)
    if not compiled.variables:
        from metamodel.errors import ModelError

        raise ModelError(f"'{path}' has nothing to simulate: no stocks, flows or auxiliaries")
    return compiled


def _run_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"method": args.integrator, "stop": args.stop, "dt": args.dt}


def _pairs(items: Sequence[str] | None, what: str, form: str) -> dict[str, str]:
    from solvers.analysis.parameters import split_assignment

    found: dict[str, str] = {}
    for item in items or []:
        name, spec = split_assignment(item, what, form)
        found[name] = spec
    return found


def _ranges(items: Sequence[str] | None, what: str) -> dict[str, tuple[float, float]]:
    from solvers.analysis.parameters import parse_range

    return dict(parse_range(item, what) for item in items or [])


def _numbers(items: Sequence[str] | None, what: str, default: float | None = None) -> dict[str, float]:
    """``NAME=NUMBER`` items; a bare ``NAME`` takes ``default`` when one is given."""
    from solvers.analysis.parameters import RequestError

    found: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep and default is not None and name.strip():
            found[name.strip()] = default
            continue
        try:
            found[name.strip()] = float(value)
        except ValueError:
            raise RequestError(f"{what}: expected NAME=NUMBER, got '{item}'") from None
        if not name.strip():
            raise RequestError(f"{what}: expected NAME=NUMBER, got '{item}'")
    return found


def _progress(label: str):  # noqa: ANN202 - ProgressBar
    from app.cli import ProgressBar

    return ProgressBar(label)


def _emit(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2))


# -- sensitivity -------------------------------------------------------------------------------------
def cmd_sensitivity(args: argparse.Namespace) -> int:
    from solvers.analysis.indices import global_sensitivity
    from solvers.analysis.parameters import RequestError
    from solvers.analysis.sensitivity import sensitivity

    compiled = _compile(args.model)
    with _requests():
        vary, runs, sampling, seed = _design(args)
        study = {"seed": seed, "workers": args.workers, "scheduler": args.scheduler, "out": args.out,
                 "chunk_runs": args.chunk_runs, **_run_options(args)}
        progress = _progress(f"{Path(args.model).name}: sensitivity")
        try:
            if args.indices:
                if args.output is None:
                    raise RequestError("--indices needs --output VARIABLE (the output to attribute)")
                if args.sampling is not None:
                    raise RequestError("--indices uses SALib's own design; leave out --sampling")
                found = global_sensitivity(compiled, vary, args.output, indices=args.indices, samples=runs,
                                           statistic=args.statistic, levels=args.levels,
                                           second_order=args.second_order, progress=progress,
                                           variables=args.save or None, **study)
            else:
                result = sensitivity(compiled, vary, runs, sampling=sampling,
                                     variables=args.save or None, progress=progress, **study)
        finally:
            progress.close()
        if args.indices:
            return _report_indices(args, found)
        return _report_study(args, result)


def _design(args: argparse.Namespace) -> tuple[dict[str, str], int, str, int | None]:
    """What to vary, runs, design and seed: from --vary and the options, over a Vensim control file."""
    from solvers.analysis.parameters import RequestError

    vary: dict[str, str] = {}
    runs, sampling, seed = 200, "lhs", None
    if args.control:
        from solvers.analysis.vensim_control import read_control

        control = read_control(args.control)
        vary, runs, sampling, seed = control.vary, control.runs, control.sampling, control.seed
    vary |= _pairs(args.vary, "--vary", "DIST")
    if not vary:
        raise RequestError("--vary: give at least one NAME=DIST, e.g. --vary \"Contact Rate=uniform(2, 6)\"")
    runs = runs if args.runs is None else args.runs
    return vary, runs, args.sampling or sampling, seed if args.seed is None else args.seed


def _report_indices(args: argparse.Namespace, found: Any) -> int:  # noqa: ANN401 - Indices
    if args.plot:
        from app.analysis_plots import draw_indices, save_picture

        save_picture(args.plot, lambda plot: draw_indices(plot, found))
    if args.json:
        _emit(found.to_json())
        return 0
    keys = ("S1", "S1_conf", "ST", "ST_conf") if found.method == "sobol" else ("mu_star", "mu_star_conf", "sigma")
    print(f"{found.method} indices of {found.output} ({found.statistic}) over {found.runs} runs (seed {found.seed})")
    print(f"  {'parameter':30}" + "".join(f"{k:>14}" for k in keys))
    for name, values in found.values.items():
        cells = "".join(f"{'-' if values[k] is None else format(values[k], '.4g'):>14}" for k in keys)
        print(f"  {name:30}{cells}")
    return 0


def _report_study(args: argparse.Namespace, study: Any) -> int:  # noqa: ANN401 - SensitivityStudy
    shown = args.plot_variable or study.variables[: 1 if args.plot else 8]
    with _requests():
        summaries = [study.summary(name) for name in shown]
    if args.plot:
        from app.analysis_plots import draw_bands, save_picture

        save_picture(args.plot, lambda plot: draw_bands(plot, summaries[0]))
    design = study.design
    if args.json:
        _emit({"runs": study.runs, "sampling": design.sampling, "seed": design.seed, "seconds": study.seconds,
               "out": str(study.path) if study.path else None,
               "distributions": design.describe()["distributions"],
               "final": {s.variable: s.to_json(-1) for s in summaries}})
        return 0
    print(f"{Path(args.model).name}: {study.runs} runs ({design.sampling}, seed {design.seed}) in "
          f"{study.seconds:.2f} s")
    if study.path:
        from solvers.output.parquet import parameters_path

        print(f"  wrote {study.path} and {parameters_path(study.path)}")
    print(f"  {'at time ' + format(float(study.time[-1]), 'g'):30}{'mean':>12}{'2.5%':>12}{'median':>12}{'97.5%':>12}")
    for s in summaries:
        cells = [s.mean[-1], s.percentile(2.5)[-1], s.median[-1], s.percentile(97.5)[-1]]
        print(f"  {s.variable:30}" + "".join(f"{v:12.5g}" for v in cells))
    return 0


# -- calibrate -----------------------------------------------------------------------------------------
def cmd_calibrate(args: argparse.Namespace) -> int:
    from solvers.analysis.calibration import calibrate

    compiled = _compile(args.model)
    with _requests():
        fit = _ranges(args.fit, "--fit")
        weights = _numbers(args.weights, "--weights")
        found = calibrate(compiled, args.data, fit, weights=weights, payoff=args.payoff, optimizer=args.fit_method,
                          intervals=args.intervals, confidence=args.confidence, seed=args.seed,
                          mcmc_steps=args.mcmc_steps, **_run_options(args))
    if args.plot:
        from app.analysis_plots import draw_fit, save_picture

        save_picture(args.plot, lambda plot: draw_fit(plot, found))
    if args.json:
        _emit(found.to_json())
        return 0
    print(f"{Path(args.model).name}: fitted {len(found.parameters)} constant(s) to {found.observations} "
          f"observation(s) with {found.method} in {found.runs} runs; payoff ({found.payoff_kind}) {found.payoff:.6g}")
    for name, value in found.parameters.items():
        interval = found.intervals.get(name)
        band = f"[{interval[0]:.6g}, {interval[1]:.6g}]" if interval else "(no interval)"
        print(f"  {name:30} {value:14.6g}  {args.confidence:.0%} {band}")
    for note in found.notes:
        print(f"  note: {note}")
    return 0


# -- optimize ------------------------------------------------------------------------------------------
def cmd_optimize(args: argparse.Namespace) -> int:
    from solvers.analysis.optimization import optimize

    compiled = _compile(args.model)
    with _requests():
        policy = _ranges(args.policy, "--policy")
        payoff = _numbers(args.payoff, "--payoff", default=1.0)
        found = optimize(compiled, policy, payoff, statistic=args.statistic, maximize=not args.minimize,
                         optimizer=args.opt_method, seed=args.seed, **_run_options(args))
    if args.json:
        _emit(found.to_json())
        return 0
    goal = "minimised" if args.minimize else "maximised"
    print(f"{Path(args.model).name}: payoff {goal} to {found.payoff:.6g} with {found.method} in {found.runs} runs"
          f"{'' if found.success else ' (not converged: ' + found.message + ')'}")
    for name, value in found.parameters.items():
        print(f"  {name:30} {value:14.6g}")
    return 0


# -- parsers -------------------------------------------------------------------------------------------
def _add_run_options(parser: argparse.ArgumentParser, flag: str = "--integrator") -> None:
    parser.add_argument(flag, dest="integrator", help="integration method: euler, rk2, rk4, rk45, lsoda, bdf, radau")
    parser.add_argument("--stop", type=float, help="stop time")
    parser.add_argument("--dt", type=float, help="time step")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")


def add_analysis_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``sensitivity``, ``calibrate`` and ``optimize``."""
    sens = sub.add_parser("sensitivity", help="Monte Carlo runs, confidence bands, Sobol'/Morris indices")
    sens.add_argument("model")
    sens.add_argument("--vary", action="append", metavar="NAME=DIST",
                      help="a constant and its distribution: uniform(a,b), normal(mu,sd), triangular(low,mode,high),"
                           " lognormal(mu,sigma), choice(a,b,...); low=/high= truncate (repeatable)")
    sens.add_argument("--control", metavar="FILE.vsc", help="a Vensim sensitivity control file (runs, method, "
                      "seed, distributions); options given here win")
    sens.add_argument("--runs", type=int, help="runs, default 200 (with --indices: SALib's base sample N)")
    sens.add_argument("--sampling", choices=SAMPLINGS, help="design: lhs (default), sobol, random, grid")
    sens.add_argument("--seed", type=int, help="seed of the design and of the model's random functions")
    where = sens.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="run on a new Dask LocalCluster of N worker processes")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)")
    sens.add_argument("--chunk-runs", type=int, help="runs per vectorized chunk (default: from the model's size)")
    sens.add_argument("--out", help="Parquet file of every run (and OUT.parameters.parquet beside it)")
    sens.add_argument("--save", action="append", metavar="VARIABLE", help="keep only these variables (repeatable)")
    sens.add_argument("--plot", metavar="PNG", help="confidence bands of the first --plot-variable (or indices)")
    sens.add_argument("--plot-variable", action="append", metavar="VARIABLE",
                      help="variable of the bands and the summary (repeatable)")
    sens.add_argument("--indices", choices=("sobol", "morris"), help="global sensitivity indices with SALib")
    sens.add_argument("--output", metavar="VARIABLE", help="the output the indices attribute")
    sens.add_argument("--statistic", default="final",
                      help="what of the output: final, initial, max, min, mean, integral, or a time")
    sens.add_argument("--levels", type=int, default=4, help="Morris grid levels (even)")
    sens.add_argument("--second-order", action="store_true", help="Sobol' second-order indices too")
    _add_run_options(sens, "--method")
    sens.set_defaults(handler=cmd_sensitivity)

    cal = sub.add_parser("calibrate", help="fit constants to time-series data")
    cal.add_argument("model")
    cal.add_argument("--data", required=True, help="CSV or tab-separated data: Time then one column per variable")
    cal.add_argument("--fit", action="append", metavar="NAME=LOW:HIGH", help="a constant to fit (repeatable)")
    cal.add_argument("--weights", action="append", metavar="NAME=W",
                     help="weight of a data variable, 1/sd of its measurement error (repeatable; default 1)")
    cal.add_argument("--payoff", choices=("sse", "loglik"), default="sse",
                     help="weighted squared error (default) or Gaussian log-likelihood")
    cal.add_argument("--method", dest="fit_method", choices=("least_squares", "powell", "de"), default="least_squares",
                     help="optimiser: least squares (default), Powell, differential evolution")
    cal.add_argument("--intervals", choices=("jacobian", "mcmc", "none"), default="jacobian")
    cal.add_argument("--confidence", type=float, default=0.95)
    cal.add_argument("--mcmc-steps", type=int, default=600)
    cal.add_argument("--seed", type=int)
    cal.add_argument("--plot", metavar="PNG", help="the fit against the data")
    _add_run_options(cal)
    cal.set_defaults(handler=cmd_calibrate)

    opt = sub.add_parser("optimize", help="policy constants that maximise a payoff")
    opt.add_argument("model")
    opt.add_argument("--policy", action="append", metavar="NAME=LOW:HIGH", help="a constant to choose (repeatable)")
    opt.add_argument("--payoff", action="append", metavar="VARIABLE[=WEIGHT]", required=True,
                     help="a variable of the payoff and its weight (repeatable; default weight 1)")
    opt.add_argument("--statistic", default="final",
                     help="what of each payoff variable: final, initial, max, min, mean, integral, or a time")
    opt.add_argument("--minimize", action="store_true", help="minimise the payoff instead")
    opt.add_argument("--method", dest="opt_method", choices=("powell", "de"), default="powell",
                     help="Powell (default) or differential evolution")
    opt.add_argument("--seed", type=int)
    _add_run_options(opt)
    opt.set_defaults(handler=cmd_optimize)

