"""Parameter distributions written as text (``uniform(2, 6)``, ``normal(0.1, 0.02, low=0)``).

The text is parsed, never evaluated. Each distribution maps quantiles ``u`` in [0, 1] to values
(``ppf``), so one sampling design in the unit cube serves every distribution, truncated or not:

- ``uniform(a, b)``, ``normal(mu, sd)``, ``triangular(low, mode, high)``,
  ``lognormal(mu, sigma)`` (``mu`` and ``sigma`` of the value's natural logarithm, numpy's convention);
- ``choice(a, b, …)``: one of the listed numbers, each equally likely;
- truncation bounds ``low=`` and ``high=`` on any continuous distribution: values outside are never
  drawn, the probability inside is renormalised (``normal(10, 2, low=5, high=15)``).

Vensim's sensitivity distributions are read too, with Vensim's arguments (minimum and maximum first,
both truncating): ``RANDOM UNIFORM(min, max)``, ``RANDOM NORMAL(min, max, mean, sd)``,
``RANDOM TRIANGULAR(min, max, start, peak, end)``. Vensim's other distributions are refused by name.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from solvers.analysis.parameters import RequestError

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z_ ]*?)\s*\((.*)\)\s*$", re.DOTALL)
_KEYWORD = re.compile(r"^\s*([A-Za-z_]+)\s*=\s*(.+?)\s*$")
_ARITY = {"uniform": 2, "normal": 2, "triangular": 3, "lognormal": 2}
_BOUND_NAMES = {"low": "low", "min": "low", "high": "high", "max": "high"}
KINDS = (*_ARITY, "choice")
# Vensim's sensitivity distributions: name -> (our kind, number of Vensim arguments)
_VENSIM = {"random_uniform": ("uniform", 2), "random_normal": ("normal", 4), "random_triangular": ("triangular", 5)}
_VENSIM_OTHERS = ("random_beta", "random_binomial", "random_exponential", "random_gamma", "random_lookup",
                  "random_negative_binomial", "random_poisson", "random_weibull", "vector")
_EDGE = 2.0**-53  # the quantile nearest 0 (and 1) that is used: a draw of exactly 0 is not -inf


class DistributionError(RequestError):
    """A distribution that cannot be sampled: bad syntax, unknown kind, impossible parameters."""


@dataclass(frozen=True)
class Distribution:
    """One parameter's distribution; ``args`` as written, ``low``/``high`` its truncation bounds."""

    kind: str
    args: tuple[float, ...]
    low: float = -math.inf
    high: float = math.inf
    text: str = field(default="", compare=False)

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest value the distribution can give (infinite when unbounded)."""
        if self.kind == "choice":
            return min(self.args), max(self.args)
        if self.kind == "uniform":
            natural = (self.args[0], self.args[1])
        elif self.kind == "triangular":
            natural = (self.args[0], self.args[2])
        else:
            natural = (0.0 if self.kind == "lognormal" else -math.inf, math.inf)
        return max(natural[0], self.low), min(natural[1], self.high)

    @property
    def bounded(self) -> bool:
        low, high = self.support
        return math.isfinite(low) and math.isfinite(high)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at quantiles ``u`` (an array in [0, 1]); the ends are kept finite on unbounded sides."""
        u = np.clip(np.asarray(u, dtype=float), _EDGE, 1.0 - _EDGE)
        if self.kind == "choice":
            values = np.asarray(self.args)
            return values[np.minimum((u * len(values)).astype(int), len(values) - 1)]
        from scipy import stats

        if self.kind in ("normal", "lognormal"):
            mu, sd = self.args
            low, high = self.low, self.high
            if self.kind == "lognormal":
                low = math.log(low) if low > 0 else -math.inf
                high = math.log(high) if high > 0 else -math.inf
            a, b = (low - mu) / sd, (high - mu) / sd
            values = stats.truncnorm.ppf(u, a, b, loc=mu, scale=sd)
            return np.exp(values) if self.kind == "lognormal" else values
        frozen = self._frozen(stats)
        low, high = self.support
        cdf_low, cdf_high = frozen.cdf(low), frozen.cdf(high)
        return np.clip(frozen.ppf(cdf_low + u * (cdf_high - cdf_low)), low, high)

    def _frozen(self, stats):  # noqa: ANN001, ANN202 - scipy.stats and a frozen distribution
        if self.kind == "uniform":
            a, b = self.args
            return stats.uniform(loc=a, scale=b - a)
        low, mode, high = self.args
        return stats.triang((mode - low) / (high - low), loc=low, scale=high - low)

    def grid(self, levels: int) -> np.ndarray:
        """``levels`` values evenly spaced over the support (every value of a ``choice``)."""
        if self.kind == "choice":
            return np.asarray(self.args, dtype=float)
        if not self.bounded:
            raise DistributionError(f"'{self.text}' is unbounded: grid sampling needs low= and high= bounds")
        low, high = self.support
        return np.linspace(low, high, levels) if levels > 1 else np.array([(low + high) / 2])


def parse_distribution(text: str) -> Distribution:
    """Parse ``kind(args…, low=…, high=…)``; raises DistributionError naming what is wrong."""
    match = _CALL.match(text)
    if not match:
        raise DistributionError(f"'{text}' is not a distribution; write e.g. uniform(2, 6) or normal(10, 2)")
    kind = re.sub(r"[\s_]+", "_", match.group(1).strip().lower())
    if kind in _VENSIM:
        return _vensim(kind, match.group(2), text)
    if kind in _VENSIM_OTHERS:
        raise DistributionError(f"'{text}': Vensim's {match.group(1).upper()} is not supported; use RANDOM UNIFORM, "
                                f"RANDOM NORMAL, RANDOM TRIANGULAR or one of {', '.join(KINDS)}")
    if kind not in KINDS:
        raise DistributionError(f"unknown distribution '{match.group(1)}'; use one of {', '.join(KINDS)}")
    args: list[float] = []
    bounds: dict[str, float] = {}
    pieces = [p for p in match.group(2).split(",")]
    if pieces == [""]:
        pieces = []
    for piece in pieces:
        keyword = _KEYWORD.match(piece)
        if keyword:
            name = _BOUND_NAMES.get(keyword.group(1).lower())
            if name is None:
                raise DistributionError(f"'{text}': unknown keyword '{keyword.group(1)}' (use low= and high=)")
            if name in bounds:
                raise DistributionError(f"'{text}': bound '{name}' given twice")
            bounds[name] = _number(keyword.group(2), text)
        elif bounds:
            raise DistributionError(f"'{text}': the bounds low= and high= come after the other arguments")
        else:
            args.append(_number(piece, text))
    distribution = Distribution(kind, tuple(args), bounds.get("low", -math.inf), bounds.get("high", math.inf),
                                text.strip())
    _check(distribution)
    return distribution


def _vensim(kind: str, inside: str, text: str) -> Distribution:
    """A Vensim sensitivity distribution: ``min, max`` first (truncating), then the distribution's own."""
    ours, arity = _VENSIM[kind]
    args = [_number(piece, text) for piece in inside.split(",")] if inside.strip() else []
    if len(args) != arity:
        raise DistributionError(f"'{text}': {kind.upper().replace('_', ' ')} takes {arity} arguments "
                                f"(min, max{', …' if arity > 2 else ''}), got {len(args)}")
    low, high, *own = args
    if not low < high:  # Vensim ignores such a line; varying nothing silently would be wrong
        raise DistributionError(f"'{text}': the minimum must be below the maximum")
    if ours == "uniform":
        distribution = Distribution(ours, (low, high), text=text.strip())
    else:
        distribution = Distribution(ours, tuple(own), low, high, text.strip())
    _check(distribution)
    return distribution


def _number(piece: str, text: str) -> float:
    try:
        value = float(piece.strip())
    except ValueError:
        raise DistributionError(f"'{text}': '{piece.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise DistributionError(f"'{text}': '{piece.strip()}' is not a finite number")
    return value


def _check(d: Distribution) -> None:
    """Refuse parameters with no distribution behind them (an empty range, a negative spread)."""
    name = d.text
    if d.kind == "choice":
        if not d.args:
            raise DistributionError(f"'{name}': choice needs at least one value")
        if math.isfinite(d.low) or math.isfinite(d.high):
            raise DistributionError(f"'{name}': choice takes no bounds; list the values wanted")
        return
    arity = _ARITY[d.kind]
    if len(d.args) != arity:
        raise DistributionError(f"'{name}': {d.kind} takes {arity} arguments, got {len(d.args)}")
    if d.kind == "uniform" and not d.args[0] < d.args[1]:
        raise DistributionError(f"'{name}': uniform(a, b) needs a < b")
    if d.kind in ("normal", "lognormal") and not d.args[1] > 0:
        raise DistributionError(f"'{name}': the standard deviation must be positive")
    if d.kind == "triangular":
        low, mode, high = d.args
        if not (low <= mode <= high and low < high):
            raise DistributionError(f"'{name}': triangular(low, mode, high) needs low <= mode <= high, low < high")
    if not d.low < d.high:
        raise DistributionError(f"'{name}': the bounds need low < high")
    low, high = d.support
    if not low < high:
        raise DistributionError(f"'{name}': the bounds leave no values to draw")
    if d.kind in ("normal", "lognormal"):
        from scipy import stats

        mu, sd = d.args
        logs = [math.log(v) if v > 0 else -math.inf for v in (low, high)] if d.kind == "lognormal" else [low, high]
        mass = stats.norm.sf((logs[0] - mu) / sd) - stats.norm.sf((logs[1] - mu) / sd)
        if not mass > 0:
            raise DistributionError(f"'{name}': the bounds hold no probability")
