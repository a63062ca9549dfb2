"""Tokenizer of Vensim equation text (the part of an ``.mdl`` record before the first ``~``).

Line continuations (a backslash before a newline) and ``{comments}`` count as white space. Names may
hold spaces (``Stock A``); ``:AND:``-style colon keywords become one ``ckw`` token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from metamodel.errors import ParseError

_GAP = r"(?:[ \t]|\\\r?\n)+"
_TOKEN = re.compile(
    rf"""
    (?P<ws>(?:\s|\\\r?\n|\{{[^}}]*\}})+)
  | (?P<ckw>:(?:AND|OR|NOT|NA|EXCEPT|INTERPOLATE|HOLD\ BACKWARD|LOOK\ FORWARD|RAW|THE\ CONDITION
            |TEST\ INPUT|IMPLIES|INTEGRATION\ METHOD):)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[^\W\d][\w$'&%]*(?:{_GAP}[\w$'&%]+)*)
  | (?P<qname>"(?:[^"\\\n]|\\.)*")
  | (?P<str>'[^'\n]*')
  | (?P<op><->|->|:=|==|<=|>=|<>|[-+*/^(),\[\]<>=:;!])
    """,
    re.VERBOSE | re.UNICODE | re.IGNORECASE,
)
_GAP_RE = re.compile(_GAP)


@dataclass(frozen=True)
class Token:
    """One token; ``start``/``end`` are offsets in the whole file, ``text`` is normalised for names."""

    kind: str  # num, name, str, op, ckw, end
    text: str
    start: int
    end: int
    quoted: bool = False


def tokenize(text: str, base: int = 0) -> list[Token]:
    """Split ``text`` (found at offset ``base`` of the file) into tokens; ``ParseError`` on junk."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ParseError(f"unexpected character {text[pos]!r}", offset=base + pos)
        kind = match.lastgroup or "op"
        value = match.group()
        start, end = base + pos, base + match.end()
        if kind == "name":
            tokens.append(Token("name", _GAP_RE.sub(" ", value), start, end))
        elif kind == "qname":
            tokens.append(Token("name", value[1:-1].replace('\\"', '"'), start, end, quoted=True))
        elif kind == "ckw":
            tokens.append(Token("ckw", " ".join(value[1:-1].upper().split()), start, end))
        elif kind != "ws":
            tokens.append(Token(kind, value, start, end))
        pos = match.end()
    tokens.append(Token("end", "", base + len(text), base + len(text)))
    return tokens
