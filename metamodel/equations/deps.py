"""Questions about an equation's text: which names it uses, and renaming one of them."""

from __future__ import annotations

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


def rename_in_text(text: str, old: str, new: str) -> str:
    """Rewrite every reference to ``old`` in equation ``text`` as ``new``, keeping the rest verbatim.

    Text that does not parse is returned unchanged.
    """
    try:
        tree = parse(text)
    except ParseError:
        return text
    key = canonical(old)
    replacement = quote_name(new)
    name_tokens = [t for t in tokenize(text) if t.kind == "name"]
    spans = set()
    for item in walk(tree):
        if isinstance(item, Name | Subscript | Call):
            written = item.func if isinstance(item, Call) else item.name
            if canonical(written) == key:
                # the node's span may start at a parenthesis around it: its name is the first name token
                token = next(t for t in name_tokens if t.start >= item.span[0])
                spans.add((token.start, token.end))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
