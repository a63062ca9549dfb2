"""Loops That Matter (Schoenberg, Davidsen and Eberlein 2020): which feedback loops drive a run, and when.

The model runs with every value saved at every time step (hidden quantities of expanded builtins too) and,
for each interval ``[t - dt, t]`` (scores are labelled ``t``):

- the **link score** of ``x -> z``, ``z = f(x, y, …)``, is ``|Δx(z) / Δz| · sign(Δx(z) / Δx)`` where
  ``Δx(z) = f(x_t, y_(t-dt), …) - z_(t-dt)`` is the change of ``z`` had only ``x`` moved (0 when ``x`` or
  ``z`` does not change); memories and pipelines (PREVIOUS, DELAY FIXED) are scored as if their output
  followed their input at once (the papers' perfect-mixing approximation);
- the link score of a flow to its stock is, by default (``flow_scores="2020"``, the paper's equations),
  the flow's share of the net flow that changed the stock over the interval, ``|i / (i - o)|`` for an
  inflow and ``-|o / (i - o)|`` for an outflow (flows at ``t - dt``). ``"2023"`` uses the correction of
  Schoenberg, Hayward and Eberlein (2023) that Stella (from 2.1) and Simlin use: the change of the flow
  over the change of the net flow, ``±|Δi / Δ(i - o)|``, which does not depend on how flows are split;
- a link between the user's variables through hidden structure (SMTH, DELAY N, …) scores the pathway with
  the largest magnitude at each step (the composite link score of Schoenberg and Eberlein 2020);
- a **loop score** is the product of its link scores, the **relative loop score** that divided by the sum
  of the absolute loop scores of its cycle partition at that step (in [-1, 1], computed in logarithms so
  that the scores' infinities at dominance shifts cancel);
- **dominance**: at each step, the loops of the polarity (sign) whose relative scores add up to more,
  strongest first, until together they explain at least half of the behaviour; consecutive steps with
  the same set form a dominance period.

Models with more loops than ``max_loops`` are searched with the strongest-path algorithm of Eberlein and
Schoenberg (2020, "Finding the loops that matter") at up to ``DISCOVERY_STEPS`` steps of the run; loops
whose relative score reaches ``MIN_SHARE`` at some step are kept and the relative scores are over them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metamodel.errors import ModelError
from metamodel.model import Model
from solvers.analysis.loops import MAX_LOOPS, Loop, Polarity, enumerate_cycles, name_loops, partitions, rotate
from solvers.analysis.partials import Evaluator, Unevaluable
from solvers.analysis.structure import CausalGraph

FLOW_SCORES = ("2020", "2023")
DOMINANCE = 0.5  # share of the behaviour a dominant loop or set of loops explains
MIN_SHARE = 0.001  # discovered loops weaker than this at every step are dropped (0.1 %, as the papers do)
DISCOVERY_STEPS = 200  # steps of a run the strongest-path search looks at (evenly spread)
DISCOVERY_BUDGET = 5_000_000  # steps of the search itself per run, over all sampled steps (deterministic)
MAX_VALUES = 40_000_000  # saved values of one run (times x quantities x runs) Loops That Matter keeps
_TINY = 1e-12  # a change this small relative to the values is no change (rounding)


@dataclass
class RunValues:
    """Every quantity of the flat model at every time step: ``values[key]`` has shape ``(times, runs)``."""

    time: np.ndarray
    values: dict[str, np.ndarray]
    runs: int


@dataclass
class Period:
    """A dominance period: from ``start`` to ``end`` the loops ``loops`` (strongest first) explain at least
    half of the behaviour of their partition; ``share`` is their mean combined share over the period."""

    start: float
    end: float
    loops: list[str]
    share: float
    partition: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "loop": self.loops[0], "loops": self.loops,
                "share": round(self.share, 6), "partition": self.partition}


@dataclass
class LoopAnalysis:
    """The outcome of Loops That Matter on one run (or several, vectorized).

    ``time`` labels the intervals (``time[i]`` ends interval ``i``); ``scores`` and ``relative`` have shape
    ``(loops, intervals, runs)``; ``dominance[r]`` lists the periods of run ``r``.
    """

    graph: CausalGraph
    loops: list[Loop]
    polarity: dict[tuple[str, str], str]
    time: np.ndarray
    scores: np.ndarray
    relative: np.ndarray
    dominance: list[list[Period]]
    mode: str  # "exhaustive" or "discovery"
    flow_scores: str
    notes: list[str] = field(default_factory=list)

    def loop(self, loop_id: str) -> Loop:
        return next(loop for loop in self.loops if loop.id == loop_id)

    def share(self, loop_id: str, run: int = 0) -> np.ndarray:
        """The relative score of a loop over the intervals of one run."""
        return self.relative[[loop.id for loop in self.loops].index(loop_id), :, run]

    def to_json(self, run: int = 0) -> dict[str, Any]:
        """``{"loops": [...], "dominance": [...]}`` of one run, with the mode, flow scores and notes."""
        loops = []
        for index, loop in enumerate(self.loops):
            entry = loop.to_json(self.graph, self.polarity)
            share = np.abs(self.relative[index, :, run]) if self.relative.size else np.zeros(0)
            entry.update(partition=loop.partition, mean_share=round(float(share.mean()) if share.size else 0.0, 6),
                         max_share=round(float(share.max()) if share.size else 0.0, 6))
            loops.append(entry)
        return {"mode": self.mode, "flow_scores": self.flow_scores, "loops": loops,
                "dominance": [period.to_json() for period in self.dominance[run]] if self.dominance else [],
                "notes": self.notes}


class LoopsThatMatter:
    """Loops That Matter on one model: the structure is found once, the scores for each run asked for."""

    def __init__(self, model: Model, max_loops: int = MAX_LOOPS, flow_scores: str = "2020") -> None:
        from metamodel.gc_pause import gc_paused
        from solvers.compiler import Compiler

        if flow_scores not in FLOW_SCORES:
            raise ModelError(f"flow scores are '2020' (the paper) or '2023' (the correction), not '{flow_scores}'")
        if max_loops < 1:
            raise ModelError(f"max_loops must be at least 1, not {max_loops}")
        compiler = Compiler(model, report_hidden=True)
        with gc_paused():
            self.compiled = compiler.compile()
        assert compiler.flat is not None and compiler.expanded is not None
        self.model = model
        self.flow_scores = flow_scores
        self.max_loops = max_loops
        self.graph = CausalGraph.of(compiler.flat, compiler.expanded)
        self.evaluator = Evaluator(self.graph, self.compiled)
        self.partitions = partitions(self.graph)
        self.cycles, self.complete = enumerate_cycles(self.graph, max_loops)
        self.notes: list[str] = []
        if compiler.flat.neural:
            self.notes.append("links through neural components are not followed: loops through them are missing")
        if compiler.expanded.blocks:
            owners = sorted({block.key.split(".", 1)[-1] for block in compiler.expanded.blocks})
            self.notes.append(f"conveyors and queues ({', '.join(owners)}) are not followed from their inflows to "
                              "their outflows: loops through them are missing")
        if self.graph.truncated:
            self.notes.append(f"more than {len(self.graph.truncated)} hidden pathways into "
                              f"{', '.join(sorted(set(self.graph.truncated)))}: only the first are scored")
        if not self.complete:
            self.notes.append(f"the model has more than {max_loops} feedback loops: the loops that matter were "
                              "found with the strongest-path search (Eberlein and Schoenberg 2020) instead of "
                              "listing every loop (raise max_loops to list them)")

    # -- running ---------------------------------------------------------------------------------------------
    def simulate(self, params: Mapping[str, Any] | None = None, runs: int | None = None, **options: Any) -> RunValues:
        """Run with every value saved at every time step."""
        spec = self.compiled.sim_spec
        dt = options.pop("dt", None) or spec.dt
        stop = options.get("stop") if options.get("stop") is not None else spec.stop
        start = options.get("start") if options.get("start") is not None else spec.start
        steps = int(round((stop - start) / dt)) + 1
        count = max([np.size(v) for v in (params or {}).values()] + [runs or 1])
        size = steps * len(self.compiled.layout.reported) * count
        if size > MAX_VALUES:
            raise ModelError(f"Loops That Matter keeps every value at every time step: this run has {size:,} "
                             f"values, more than the {MAX_VALUES:,} allowed; shorten it (stop) or take fewer runs")
        results = self.compiled.run(params=params, runs=runs, dt=dt, save_per=dt, **options)
        display = self.compiled.layout.display
        values = {key: results.data[display[key]] for key in self.compiled.layout.reported if key in self.graph.nodes}
        return RunValues(results.time, values, results.runs)

    def analyze(self, params: Mapping[str, Any] | None = None, runs: int | None = None,
                **options: Any) -> LoopAnalysis:
        """Simulate, then score (see the module docstring); ``params`` arrays make several runs at once."""
        run = self.simulate(params, runs, **options)
        scorer = _Scorer(self, run)
        polarity = scorer.polarity()
        if self.complete:
            loops = name_loops(self.cycles, self.graph, polarity, self.partitions)
            mode = "exhaustive"
            scores, relative = scorer.loop_scores(loops)
        else:
            loops, scores, relative = scorer.discover(polarity)
            mode = "discovery"
        dominance = [dominance_periods(loops, relative[:, :, r], run.time) for r in range(run.runs)]
        return LoopAnalysis(self.graph, loops, polarity, run.time[1:], scores, relative, dominance, mode,
                            self.flow_scores, [*self.notes, *scorer.notes])

    def per_run(self, parameters: Mapping[str, Sequence[float] | np.ndarray], chunk_runs: int | None = None,
                params: Mapping[str, float] | None = None, **options: Any) -> tuple[list[Loop], list[list[Period]]]:
        """Dominance periods of each run of a design (``SensitivityStudy.parameters``: name -> one value per
        run; ``params`` fixes others for every run), in vectorized chunks of runs; the loops are those of
        the base run (with ``params``), found once."""
        arrays = {name: np.asarray(values, dtype=float).ravel() for name, values in parameters.items()}
        sizes = {a.size for a in arrays.values()}
        if len(sizes) != 1:
            raise ModelError("every parameter needs one value per run, and the same number of runs")
        total = sizes.pop()
        base = self.analyze(params, **options)
        if chunk_runs is None:
            per_run = (base.time.size + 1) * len(self.compiled.layout.reported)
            chunk_runs = max(1, MAX_VALUES // max(per_run, 1))
        periods: list[list[Period]] = []
        for first in range(0, total, chunk_runs):
            chunk = {**(params or {}), **{name: values[first:first + chunk_runs] for name, values in arrays.items()}}
            run = self.simulate(chunk, **options)
            _, relative = _Scorer(self, run).loop_scores(base.loops)
            periods.extend(dominance_periods(base.loops, relative[:, :, r], run.time) for r in range(run.runs))
        return base.loops, periods


class _Scorer:
    """Link, loop and relative loop scores of one ``RunValues``."""

    def __init__(self, ltm: LoopsThatMatter, run: RunValues) -> None:
        self.ltm = ltm
        self.graph = ltm.graph
        self.run = run
        self.notes: list[str] = []
        count = run.time.size
        self.time = np.broadcast_to(run.time[:, None], (count, run.runs))
        self.series: dict[str, np.ndarray] = dict(run.values)
        self.flat: dict[tuple[str, str], np.ndarray] = {}
        self.composite: dict[tuple[str, str], np.ndarray] = {}
        self._unscored: set[str] = set()
        self._logs: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    # -- values -------------------------------------------------------------------------------------------
    def value(self, key: str) -> np.ndarray:
        """The series of a node: saved, or (rates of hidden stocks) computed from the saved values."""
        if key not in self.series:
            self.series[key] = self.ltm.evaluator.evaluate(key, self.time, self.series)
        return self.series[key]

    def proxy(self, key: str) -> np.ndarray:
        """What a link score into ``key`` measures changes of: its value, or for memories and pipelines the
        value of what goes in (perfect mixing)."""
        if self.graph.nodes[key].kind in ("memory", "pipeline"):
            name = f"{key}~in"
            if name not in self.series:
                self.series[name] = self.ltm.evaluator.evaluate(key, self.time, self.series)
            return self.series[name]
        return self.value(key)

    # -- polarity ---------------------------------------------------------------------------------------------
    def polarity(self) -> dict[tuple[str, str], str]:
        """Polarity of the links between the user's variables that loops can take (both ends in one cycle
        partition), deciding with this run what sympy cannot."""
        parameters = {key: float(self.run.values[key][0, 0]) for key in self.ltm.compiled.layout.parameters
                      if key in self.run.values}
        checks = Polarity(self.graph, parameters, self.ltm.compiled.lookups)
        first = {key: values[:, :1] for key, values in self.series.items()}
        evaluation = (self.time[:, :1], _Lazy(self, first))
        result = {}
        partition = self.ltm.partitions
        for link, paths in self.graph.paths.items():
            if partition.get(link[0], -1) != partition.get(link[1], -2):
                continue  # in no loop
            for path in paths:
                for source, target in itertools.pairwise(path):
                    checks.link(source, target, self.ltm.evaluator, evaluation)
            result[link] = checks.variable_link(*link)
        return result

    # -- link scores --------------------------------------------------------------------------------------
    def link_score(self, source: str, target: str) -> np.ndarray:
        """The score of a flat link over the intervals, shape ``(intervals, runs)``."""
        key = (source, target)
        if key not in self.flat:
            self.flat[key] = self._score(source, target)
        return self.flat[key]

    def _score(self, source: str, target: str) -> np.ndarray:
        link = self.graph.links[(source, target)]
        shape = (self.run.time.size - 1, self.run.runs)
        try:
            if link.kind in ("inflow", "outflow"):
                return self._flow_score(source, target, link.kind)
            if link.kind == "delay":
                self._note(target, f"the delay time of '{self._owner(target)}' is not scored (it changes how far "
                                   "back the pipeline reads)")
                return np.zeros(shape)
            return self._equation_score(source, target)
        except Unevaluable as exc:
            self._note(target, f"links into '{self._owner(target)}' are scored 0: {exc}")
            return np.zeros(shape)

    def _equation_score(self, source: str, target: str) -> np.ndarray:
        z = self.proxy(target)
        x = self.value(source)
        previous = _Lazy(self, None, previous=True)
        current = {source: x[1:]}
        partial = self.ltm.evaluator.evaluate(target, self.time[:-1], previous, changed=source, current=current)
        by_x = partial - z[:-1]
        dz, dx = _change(z), _change(x)
        with np.errstate(all="ignore"):
            score = np.abs(by_x / dz) * np.sign(by_x / dx)
        return np.where((dz == 0) | (dx == 0), 0.0, np.nan_to_num(score, nan=0.0))

    def _flow_score(self, flow: str, stock: str, kind: str) -> np.ndarray:
        sign = 1.0 if kind == "inflow" else -1.0
        net = np.zeros_like(self.time)
        for other in self.graph.inputs[stock]:
            other_kind = self.graph.links[(other, stock)].kind
            if other_kind in ("inflow", "outflow"):
                net = net + (1.0 if other_kind == "inflow" else -1.0) * self.value(other)
        f = self.value(flow)
        with np.errstate(all="ignore"):
            if self.ltm.flow_scores == "2020":
                share = np.abs(f[:-1] / net[:-1])
                return sign * np.where(_small(net[:-1], f[:-1]), 0.0, np.nan_to_num(share, nan=0.0))
            dnet, df = _change(net), _change(f)
            share = np.abs(df / dnet)
        return sign * np.where((dnet == 0) | (df == 0), 0.0, np.nan_to_num(share, nan=0.0))

    def variable_score(self, source: str, target: str) -> np.ndarray:
        """The composite score of a link between the user's variables: its strongest pathway at each step."""
        key = (source, target)
        if key not in self.composite:
            scores = []
            for path in self.graph.paths[key]:
                score = np.ones((self.run.time.size - 1, self.run.runs))
                for pair in itertools.pairwise(path):
                    score = score * self.link_score(*pair)
                scores.append(score)
            stacked = np.stack(scores)
            strongest = np.argmax(np.abs(stacked), axis=0)
            self.composite[key] = np.take_along_axis(stacked, strongest[None], axis=0)[0]
        return self.composite[key]

    # -- loop scores -------------------------------------------------------------------------------------------
    def loop_scores(self, loops: Sequence[Loop]) -> tuple[np.ndarray, np.ndarray]:
        """Loop scores and relative loop scores, each ``(loops, intervals, runs)``."""
        shape = (len(loops), self.run.time.size - 1, self.run.runs)
        logs, signs = np.full(shape, -np.inf), np.ones(shape)
        for index, loop in enumerate(loops):
            logs[index], signs[index] = self.log_score(loop.variables)
        with np.errstate(over="ignore"):
            scores = signs * np.exp(logs)
        return scores, _relative(logs, signs, [loop.partition for loop in loops])

    def log_score(self, variables: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The logarithm of a loop's absolute score (-inf where a link scores 0) and its sign."""
        log = np.zeros((self.run.time.size - 1, self.run.runs))
        sign = np.ones_like(log)
        for link in itertools.pairwise((*variables, variables[0])):
            link_log, link_sign = self._link_log(link)
            log = log + link_log
            sign = sign * link_sign
        return log, sign

    def _link_log(self, link: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
        if link not in self._logs:
            score = self.variable_score(*link)
            with np.errstate(divide="ignore"):
                self._logs[link] = (np.log(np.abs(score)), np.where(score < 0, -1.0, 1.0))
        return self._logs[link]

    # -- discovery ---------------------------------------------------------------------------------------------
    def discover(self, polarity: Mapping[tuple[str, str], str]) -> tuple[list[Loop], np.ndarray, np.ndarray]:
        """Loops found by the strongest-path search on the link scores of sampled steps (evenly spread, coarse
        to fine, within ``DISCOVERY_BUDGET`` steps of the search per run); those whose share of the found
        loops' behaviour reaches ``MIN_SHARE`` at a sampled step (at most ``max_loops``, the strongest), scored
        over each other at every step."""
        partition = self.ltm.partitions
        links = [link for link in self.graph.paths if partition.get(link[0], -1) == partition.get(link[1], -2)]
        names = sorted({k for link in links for k in link})
        index = {name: i for i, name in enumerate(names)}
        weights = {link: np.abs(self.variable_score(*link)) for link in links}
        starts = [index[k] for k in self._starts(links)]
        intervals = self.run.time.size - 1
        samples = _coarse_to_fine(np.unique(np.linspace(0, intervals - 1, min(DISCOVERY_STEPS, intervals))
                                            .astype(int)))
        found: set[tuple[str, ...]] = set()
        searched = len(samples)
        for run in range(self.run.runs):
            budget = DISCOVERY_BUDGET
            for done, step in enumerate(samples):
                if budget <= 0:
                    searched = min(searched, done)
                    break
                adjacency: list[list[tuple[int, float]]] = [[] for _ in names]
                for (source, target), weight in weights.items():
                    if weight[step, run] > 0:
                        adjacency[index[source]].append((index[target], float(weight[step, run])))
                for outgoing in adjacency:
                    outgoing.sort(key=lambda item: -item[1])
                for start in starts:
                    cycles, steps = strongest_loops(adjacency, start, budget)
                    budget -= steps
                    found.update(rotate([names[i] for i in c], self.graph) for c in cycles)
                    if budget <= 0:
                        break
        if searched < len(samples):
            self.notes.append(f"the strongest-path search looked at {searched} of {len(samples)} sampled steps "
                              "(spread over the whole run) within its budget")
        cycles = sorted(found)
        strength = self._strength(cycles, np.sort(samples[:max(searched, 1)]), partition)
        keep = sorted(np.flatnonzero(strength >= MIN_SHARE).tolist(), key=lambda i: -strength[i])
        loops = name_loops([cycles[i] for i in keep[:self.ltm.max_loops]], self.graph, polarity, partition)
        scores, relative = self.loop_scores(loops)
        return loops, scores, relative

    def _strength(self, cycles: Sequence[tuple[str, ...]], at: np.ndarray, partition: Mapping[str, int]) -> np.ndarray:
        """Each cycle's largest share, at the intervals ``at``, of the behaviour of the cycles of its partition
        (two passes over the cycles: the totals, then the shares, so no array per cycle is kept)."""
        rows: dict[tuple[str, str], int] = {}
        table: list[np.ndarray] = []
        paths: list[list[int]] = []
        for cycle in cycles:
            path = []
            for link in itertools.pairwise((*cycle, cycle[0])):
                if link not in rows:
                    rows[link] = len(table)
                    table.append(self._link_log(link)[0][at])
                path.append(rows[link])
            paths.append(path)
        if not cycles:
            return np.zeros(0)
        links = np.stack(table)
        groups = [partition.get(cycle[0], 0) for cycle in cycles]
        totals: dict[int, np.ndarray] = {}
        for path, group in zip(paths, groups, strict=True):
            log = links[path].sum(axis=0)
            totals[group] = np.logaddexp(totals[group], log) if group in totals else log
        strength = np.zeros(len(cycles))
        for index, (path, group) in enumerate(zip(paths, groups, strict=True)):
            with np.errstate(invalid="ignore"):
                share = np.exp(links[path].sum(axis=0) - totals[group])
            strength[index] = np.nan_to_num(share, nan=0.0).max(initial=0.0)
        return strength

    def _starts(self, links: Sequence[tuple[str, str]]) -> list[str]:
        """Where every loop can be met: the user's stocks, and variables fed through hidden state."""
        state = {"stock", "memory", "pipeline"}
        starts = {k for k, node in self.graph.nodes.items() if node.visible and node.kind == "stock"}
        for link in links:
            if any(self.graph.nodes[k].kind in state for path in self.graph.paths[link] for k in path[1:-1]):
                starts.add(link[1])
        return sorted(starts)

    def _owner(self, key: str) -> str:
        """The user's variable a hidden key belongs to (hidden keys end with their owner's key)."""
        node = self.graph.nodes.get(key.split("~")[0])
        if node is not None and node.visible:
            return node.name
        owner = key.split(".", 1)[1].split("~")[0] if "." in key else key
        found = self.graph.nodes.get(owner)
        return found.name if found is not None else key

    def _note(self, target: str, text: str) -> None:
        if target not in self._unscored:
            self._unscored.add(target)
            self.notes.append(text)


class _Lazy(Mapping[str, np.ndarray]):
    """The series of a scorer's nodes, computed when first read: all steps but the last (``previous``), or the
    first steps as given (``first``, for the polarity test)."""

    def __init__(self, scorer: _Scorer, first: dict[str, np.ndarray] | None, previous: bool = False) -> None:
        self.scorer, self.first, self.previous = scorer, first, previous

    def __getitem__(self, key: str) -> np.ndarray:
        if self.first is not None:
            return self.first[key] if key in self.first else self.scorer.value(key)[:, :1]
        return self.scorer.value(key)[:-1]

    def __iter__(self):  # noqa: ANN204 - an iterator of keys
        return iter(self.scorer.graph.nodes)

    def __len__(self) -> int:
        return len(self.scorer.graph.nodes)


def _small(change: np.ndarray, *values: np.ndarray) -> np.ndarray:
    scale = np.maximum.reduce([np.abs(v) for v in values]) if values else np.abs(change)
    return np.abs(change) <= _TINY * scale


def _change(series: np.ndarray) -> np.ndarray:
    """``series[t] - series[t - 1]``, with changes within rounding of the values set to exactly 0."""
    change = series[1:] - series[:-1]
    return np.where(_small(change, series[1:], series[:-1]), 0.0, change)


def _relative(logs: np.ndarray, signs: np.ndarray, loop_partitions: Sequence[int]) -> np.ndarray:
    """Each loop's score over the sum of the absolute scores of its partition's loops, from logarithms."""
    relative = np.zeros_like(logs)
    groups = np.asarray(loop_partitions)
    for group in set(loop_partitions):
        members = np.flatnonzero(groups == group)
        part = logs[members]
        top = part.max(axis=0)
        active = np.isfinite(top)
        with np.errstate(invalid="ignore", over="ignore"):
            weights = np.exp(part - np.where(active, top, 0.0))
        total = weights.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            relative[members] = np.where(active, signs[members] * weights / total, 0.0)
    return relative


def strongest_loops(adjacency: Sequence[Sequence[tuple[int, float]]], target: int,
                    limit: float = math.inf) -> tuple[list[list[int]], int]:
    """The loops through ``target`` the strongest-path search meets (Eberlein and Schoenberg 2020), and the
    steps it took (at most ``limit``): a depth-first walk along the links (``adjacency[v]``: ``(w, |score|)``,
    strongest first) that abandons a variable reached with a product of link scores no larger than before (ties
    too, or symmetric models would be walked along every equal path); a loop is recorded when the walk comes
    back to ``target``."""
    best = [0.0] * len(adjacency)
    visiting = [False] * len(adjacency)
    best[target], visiting[target] = 1.0, True
    path, loops, steps = [target], [], 0
    frames: list[tuple[float, Any]] = [(1.0, iter(adjacency[target]))]
    while frames and steps < limit:
        score, outgoing = frames[-1]
        step = next(outgoing, None)
        steps += 1
        if step is None:
            frames.pop()
            visiting[path.pop()] = False
            continue
        variable, reached = step[0], score * step[1]
        if visiting[variable]:
            if variable == target:
                loops.append(list(path))
            continue
        if reached <= best[variable]:
            continue
        best[variable] = reached
        visiting[variable] = True
        path.append(variable)
        frames.append((reached, iter(adjacency[variable])))
    return loops, steps


def _coarse_to_fine(samples: np.ndarray) -> np.ndarray:
    """``samples`` reordered so that every prefix spreads over the whole range (first, last, middle, …)."""
    order: list[int] = []
    seen: set[int] = set()
    parts = 1
    while len(order) < len(samples):
        for k in range(parts + 1):
            i = round(k * (len(samples) - 1) / parts)
            if i not in seen:
                seen.add(i)
                order.append(i)
        parts *= 2
    return samples[order]


def dominance_periods(loops: Sequence[Loop], relative: np.ndarray, time: np.ndarray) -> list[Period]:
    """The dominance periods of one run: ``relative`` is ``(loops, intervals)``, ``time`` the saved times
    (interval ``i`` runs from ``time[i]`` to ``time[i + 1]``). A period lasts while the set of dominant loops
    stays the same; its loops are listed strongest first as at its start."""
    periods: list[Period] = []
    groups = sorted({loop.partition for loop in loops})
    for group in groups:
        members = [i for i, loop in enumerate(loops) if loop.partition == group]
        current: tuple[str, ...] | None = None
        shares: list[float] = []
        first = 0
        for step in range(relative.shape[1]):
            chosen, share = _dominant([(loops[i].id, relative[i, step]) for i in members])
            if current is None or set(chosen) != set(current):  # the same set, strongest first or not
                if current:
                    periods.append(Period(float(time[first]), float(time[step]), list(current),
                                          float(np.mean(shares)), group))
                current, first, shares = chosen, step, []
            shares.append(share)
        if current:
            periods.append(Period(float(time[first]), float(time[relative.shape[1]]), list(current),
                                  float(np.mean(shares)), group))
    return sorted(periods, key=lambda p: (p.start, p.partition))


def _dominant(scores: Sequence[tuple[str, float]]) -> tuple[tuple[str, ...], float]:
    """The loops of the stronger polarity, strongest first, until they explain half of the behaviour."""
    positive = sorted(((abs(s), i) for i, s in scores if s > 0), reverse=True)
    negative = sorted(((abs(s), i) for i, s in scores if s < 0), reverse=True)
    group = positive if sum(s for s, _ in positive) >= sum(s for s, _ in negative) else negative
    if not group:
        return (), 0.0
    chosen, total = [], 0.0
    for share, loop_id in group:
        chosen.append(loop_id)
        total += share
        if total >= DOMINANCE - 1e-12:
            break
    return tuple(chosen), total
