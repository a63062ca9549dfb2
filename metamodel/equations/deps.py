"""Questions about an equation's text: which names it uses, and renaming one of them."""

from __future__ import annotations

from collections.abc import Callable

from metamodel.equations.ast import Call, Name, Node, Subscript, walk
from metamodel.equations.builtins import CONSTANT_NAMES, is_builtin
from metamodel.equations.parser import parse, tokenize
from metamodel.equations.printer import quote_name
from metamodel.errors import ParseError
from metamodel.names import canonical


def referenced_names(node: Node) -> set[str]:
    """Canonical names of the variables referenced by ``node`` (function names excluded).

    A call of a non-builtin (a graphical-function lookup ``gf(x)``) counts as a reference to ``gf``.
    Plain names directly inside a subscript (dimension elements such as ``pop[north]``) and the
    time constants (``TIME``, ``DT``) are not references.
    """
    indices = {id(i) for item in walk(node) if isinstance(item, Subscript) for i in item.indices}
    names: set[str] = set()
    for item in walk(node):
        if isinstance(item, Name) and (id(item) in indices or item.canonical in CONSTANT_NAMES):
            continue
        if isinstance(item, Name | Subscript) or isinstance(item, Call) and not is_builtin(item.func):
            names.add(item.canonical)
    return names


def replace_names(text: str, replace: Callable[[str], str | None]) -> str:
    """Rewrite the written names of variables and functions in equation ``text``.

    ``replace(token)`` gets a name as written (quotes included) and returns its new text, or None to
    keep it. The rest of the
    text is kept verbatim; text that does not parse is returned unchanged.
    """
    try:
        tree = parse(text)
    except ParseError:
        return text
    name_tokens = [t for t in tokenize(text) if t.kind == "name"]
    changes = {}
    for item in walk(tree):
        if isinstance(item, Name | Subscript | Call):
            # the node's span may start at a parenthesis around it: its name is the first name token
            token = next(t for t in name_tokens if t.start >= item.span[0])
            new = replace(token.text)
            if new is not None:
                changes[(token.start, token.end)] = new
    for (start, end), new in sorted(changes.items(), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def rename_in_text(text: str, old: str, new: str) -> str:
    """Rewrite every reference to ``old`` in equation ``text`` as ``new``, keeping the rest verbatim."""
    key, replacement = canonical(old), quote_name(new)
    if key not in canonical(text):  # a reference's canonical form is part of the text's: none here
        return text
    return replace_names(text, lambda written: replacement if canonical(written) == key else None)
