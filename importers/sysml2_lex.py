"""Tokens of the SysML v2 textual notation: names (plain or 'quoted'), numbers, strings, symbols and
block comments (kept: ``doc /* … */`` takes its text from them); line comments are dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass

from metamodel.errors import ParseError

NAME, NUMBER, STRING, SYMBOL, COMMENT = "name", "number", "string", "symbol", "comment"
SYMBOLS = ("::>", ":>>", "::", ":>", ":=", "..", "->", "==", "!=", "<=", ">=", "**",
           "{", "}", "[", "]", "(", ")", ";", ",", ".", ":", "=", "~", "<", ">", "+", "-", "*", "/", "%",
           "@", "#", "?", "&", "|", "!", "^", "$")
_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\f\v]+|\n)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*|'(?:[^'\\\n]|\\.)*')
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<symbol>""" + "|".join(re.escape(s) for s in SYMBOLS) + r""")
""", re.S | re.X)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int
    column: int

    @property
    def value(self) -> str:
        """The text without quotes for quoted names and strings; comment bodies without ``/* */``."""
        if self.kind == COMMENT:
            body = self.text[2:-2]
            return "\n".join(re.sub(r"^\s*\*? ?", "", line).rstrip() for line in body.splitlines()).strip()
        if self.kind in (NAME, STRING) and self.text[:1] in "'\"":
            return re.sub(r"\\(.)", r"\1", self.text[1:-1])
        return self.text


def tokenize(text: str, source: str = "") -> list[Token]:
    """Split ``text`` into tokens; an unterminated comment or string, or a stray character, is a
    ``ParseError`` with its line and column."""
    tokens: list[Token] = []
    line, line_start, pos = 1, 0, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        column = pos - line_start + 1
        if match is None or (match.lastgroup == SYMBOL and text.startswith("/*", pos)):
            raise ParseError(_stray(text, pos), file=source, line=line, column=column)
        kind = match.lastgroup or ""
        chunk = match.group()
        if kind == "block_comment":
            tokens.append(Token(COMMENT, chunk, line, column))
        elif kind in (NAME, NUMBER, STRING, SYMBOL):
            tokens.append(Token(kind, chunk, line, column))
        newlines = chunk.count("\n")
        if newlines:
            line += newlines
            line_start = pos + chunk.rindex("\n") + 1
        pos = match.end()
    return tokens


def _stray(text: str, pos: int) -> str:
    if text.startswith("/*", pos):
        return "comment '/*' is not closed"
    if text[pos] in "'\"":
        return f"{'name' if text[pos] == chr(39) else 'string'} starting here is not closed on this line"
    return f"unexpected character {text[pos]!r}"
