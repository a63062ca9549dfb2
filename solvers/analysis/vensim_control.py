"""Vensim sensitivity control files (``.vsc``): how many runs, which design, the seed, what to vary.

The first line is ``#simulations, method, seed, filename, warnings`` (fields may be empty: 200 runs,
multivariate, seed 1234); each further line is ``CONSTANT=DISTRIBUTION`` with Vensim's sensitivity
distributions (see ``distributions``). Methods: ``M`` (multivariate random) and ``L`` (Latin
hypercube) map to our ``random`` and ``lhs`` designs; the draws come from Salver's generators, so they
follow the same distributions as Vensim's but are not the same numbers. ``U`` (one constant at a
time), ``G`` (Latin grid) and ``F`` (a sample from a file) are refused with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from metamodel.errors import ParseError
from solvers.analysis.distributions import DistributionError, parse_distribution

_METHODS = {"M": "random", "L": "lhs"}
_REFUSED = {"U": "univariate runs (one constant at a time); give each constant its own study",
            "G": "Latin grid sampling; use L (Latin hypercube) or a grid study (--sampling grid)",
            "F": "a sample read from a file"}
MAX_BYTES = 1 << 20


@dataclass
class Control:
    """What a control file asks for; ``vary`` maps each constant to its distribution text."""

    runs: int
    sampling: str
    seed: int | None
    vary: dict[str, str]


def read_control(path: str | os.PathLike[str]) -> Control:
    """Read a ``.vsc`` file; ParseError names the line of anything it cannot use."""
    source = str(path)
    file = Path(path)
    if file.stat().st_size > MAX_BYTES:
        raise ParseError(f"control file larger than {MAX_BYTES >> 10} KB", file=source)
    lines = [(n, line.strip()) for n, line in enumerate(file.read_text(encoding="utf-8-sig").splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line]
    runs, sampling, seed = 200, "random", 1234
    if lines and "=" not in lines[0][1]:
        number, header = lines.pop(0)
        runs, sampling, seed = _header(header, source, number)
    vary: dict[str, str] = {}
    for number, line in lines:
        name, sep, text = line.partition("=")
        if not sep or not name.strip():
            raise ParseError(f"expected CONSTANT=DISTRIBUTION, got '{line}'", file=source, line=number)
        try:
            parse_distribution(text)
        except DistributionError as exc:
            raise ParseError(str(exc), file=source, line=number) from None
        vary[name.strip()] = text.strip()
    if not vary:
        raise ParseError("no constant to vary: add lines CONSTANT=RANDOM UNIFORM(min, max)", file=source)
    return Control(runs, sampling, seed, vary)


def _header(text: str, source: str, line: int) -> tuple[int, str, int | None]:
    fields = [f.strip() for f in text.split(",")] + [""] * 3
    try:
        runs = int(fields[0]) if fields[0] else 200
        seed = int(fields[2]) if fields[2] else 1234
    except ValueError:
        raise ParseError(f"the first line is 'runs, method, seed, …' with whole numbers, got '{text}'", file=source,
                         line=line) from None
    if runs < 1:
        raise ParseError(f"{runs} simulations: at least one is needed", file=source, line=line)
    method = (fields[1] or "M").upper()
    if method in _REFUSED:
        raise ParseError(f"method {method} ({_REFUSED[method]}) is not supported", file=source, line=line)
    if method not in _METHODS:
        raise ParseError(f"unknown method '{fields[1]}'; Vensim's are U, M, L, G, F", file=source, line=line)
    return runs, _METHODS[method], None if seed == 0 else abs(seed)  # 0: a fresh seed, as in Vensim
