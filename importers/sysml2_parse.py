"""Recursive-descent parser of a practical subset of the SysML v2 textual notation.

It reads packages, definitions and usages (``part``, ``port``, ``attribute``, ``item``, ``interface``,
``connection``, ``requirement``; each ``… def`` too) with their short names, typing (``:``, ``defined
by``), specialization and subsetting (``:>``, ``subsets``, ``specializes``, ``::>``), redefinition
(``:>>``), multiplicity, default values and ``connect … to …``; directed features (``in x : T``),
``doc`` comments, ``satisfy … by …`` and imports. For execution it also reads ``constraint``, ``calc``,
``analysis`` and ``verification`` definitions and usages with parameter lists (``(m : MassValue)``,
arguments ``(mass = m)``, a calc's return ``: T = expr``), the ``assert``/``assume``/``require`` prefixes,
expression members of their bodies (``node.keyword == "expression"``), ``bind a = b``, ``return``,
``subject``, ``objective`` and ``verify``. Any other statement is skipped to its ``;`` or past its
balanced ``{ … }`` body and comes back as a ``skipped`` node naming its keyword.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from importers.sysml2_lex import COMMENT, NAME, NUMBER, Token
from metamodel.errors import ParseError

MAX_DEPTH = 64
USAGE_KEYWORDS = ("package", "part", "port", "attribute", "item", "interface", "connection", "requirement",
                  "constraint", "calc", "analysis", "verification", "subject", "objective", "return")
EXPRESSION_BODIES = ("constraint", "calc", "analysis", "verification", "requirement", "objective")
ASSERTIONS = ("assert", "assume", "require")
DIRECTIONS = ("in", "out", "inout")
PREFIXES = ("private", "public", "protected", "abstract", "variation", "ref", "readonly", "derived", "end",
            "individual", "constant", "composite", "portion", "library", "standard", *DIRECTIONS)
_STOP_WORDS = {"connect", "to", "by", "defined", "subsets", "redefines", "references", "specializes", "ordered",
               "nonunique", "default", "about", "from", "of"}
# SysML v2 keywords of usages Salver does not map: ``message : F from a to b;`` is a usage, never a
# feature named ``message``
_UNMAPPED_USAGES = {"action", "actor", "allocation", "case", "concern", "enum", "event", "exhibit", "flow",
                    "frame", "include", "message", "metadata", "occurrence", "perform", "rendering", "snapshot",
                    "stakeholder", "state", "succession", "timeslice", "transition", "use", "variant", "view",
                    "viewpoint"}
_SPECS = {":": "types", "defined": "types", ":>": "subsets", "subsets": "subsets", "specializes": "subsets",
          "::>": "subsets", "references": "subsets", ":>>": "redefines", "redefines": "redefines"}


@dataclass
class Node:
    """One statement: ``keyword`` is ``part def``, ``part``, ``connect``, ``satisfy``, ``import``, ``doc``,
    ``feature`` (a usage without keyword, such as ``in x : T``) or ``skipped`` (then ``name`` holds the
    keyword that was not read)."""

    keyword: str
    line: int
    name: str = ""
    short_name: str = ""
    prefixes: set[str] = field(default_factory=set)
    types: list[str] = field(default_factory=list)
    subsets: list[str] = field(default_factory=list)
    redefines: list[str] = field(default_factory=list)
    conjugated: bool = False
    multiplicity: tuple[int, int | None] | None = None
    default: str = ""
    ends: list[str] = field(default_factory=list)
    target: str = ""
    by: str = ""
    text: str = ""
    children: list[Node] = field(default_factory=list)
    parameters: list[Node] = field(default_factory=list)  # (p : T) of a definition, (p = x) of a usage
    returns: Node | None = None  # the return feature written after a parameter list
    flows: int = 0  # of a skipped statement: the flows written in its body (actions' flows)

    @property
    def direction(self) -> str:
        return next((d for d in DIRECTIONS if d in self.prefixes), "")


def parse(tokens: list[Token], source: str = "") -> list[Node]:
    """The top-level statements of a token list; unbalanced braces and bad syntax raise ``ParseError``."""
    return _Parser(tokens, source).members(0, None)


class _Parser:
    def __init__(self, tokens: list[Token], source: str) -> None:
        self.tokens = tokens
        self.source = source
        self.pos = 0

    # -- token access -------------------------------------------------------------------------------
    def _skip_comments(self) -> None:
        while self.pos < len(self.tokens) and self.tokens[self.pos].kind == COMMENT:
            self.pos += 1

    def peek(self, ahead: int = 0) -> Token | None:
        self._skip_comments()
        index, seen = self.pos, -1
        while index < len(self.tokens):
            if self.tokens[index].kind != COMMENT:
                seen += 1
                if seen == ahead:
                    return self.tokens[index]
            index += 1
        return None

    def at(self, *texts: str) -> bool:
        token = self.peek()
        return token is not None and token.text in texts

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ParseError("unexpected end of file", file=self.source, line=self._last_line())
        self.pos = self.tokens.index(token, self.pos) + 1
        return token

    def expect(self, text: str, after: str) -> Token:
        token = self.peek()
        if token is None or token.text != text:
            found = repr(token.text) if token else "end of file"
            raise self.error(f"expected {text!r} {after}, found {found}", token)
        return self.take()

    def error(self, message: str, token: Token | None) -> ParseError:
        line, column = (token.line, token.column) if token else (self._last_line(), None)
        return ParseError(message, file=self.source, line=line, column=column)

    def _last_line(self) -> int:
        return self.tokens[-1].line if self.tokens else 1

    # -- structure ----------------------------------------------------------------------------------
    def members(self, depth: int, opened: Token | None, expressions: bool = False) -> list[Node]:
        """Statements up to the ``}`` closing ``opened`` (or to the end of file at the top level);
        ``expressions``: the body may hold expressions (constraints, calculations, requirements)."""
        if depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels", opened)
        nodes: list[Node] = []
        while True:
            token = self.peek()
            if token is None:
                if opened is not None:
                    raise self.error(f"'{{' opened at line {opened.line} is not closed", None)
                return nodes
            if token.text == "}":
                if opened is None:
                    raise self.error("unexpected '}': no '{' is open", token)
                self.take()
                return nodes
            nodes.append(self.member(depth, expressions))

    def member(self, depth: int, expressions: bool = False) -> Node:
        start = self.peek()
        assert start is not None
        prefixes: set[str] = set()
        while self.at(*PREFIXES, *ASSERTIONS) and not self._is_name_use():
            prefixes.add(self.take().text)
        if self.at("[") and "end" in prefixes:  # 'end [1] port p : P': the end's multiplicity first
            multiplicity = self.multiplicity()
            node = self.member_after_prefixes(start, prefixes, depth, expressions)
            node.multiplicity = node.multiplicity or multiplicity
            return node
        return self.member_after_prefixes(start, prefixes, depth, expressions)

    def member_after_prefixes(self, start: Token, prefixes: set[str], depth: int, expressions: bool) -> Node:
        token = self.peek()
        if token is None:
            raise self.error("statement ends at end of file", start)
        word = token.text
        if word == "bind":
            self.take()
            node = Node("bind", token.line, prefixes=prefixes, ends=[self.chain()])
            if self.at("="):
                self.take()
                node.ends.append(self.chain())
            if len(node.ends) != 2 or not self.at(";", "{"):  # 'bind a[1] = b': an indexed end
                node = Node("skipped", token.line, name="bind of an indexed feature", prefixes=prefixes)
                self._skip_statement(depth, node)
                return node
            self.body(node, depth)
            return node
        if word == "verify":
            self.take()
            if self.at("requirement"):
                self.take()
            node = Node("verify", token.line, prefixes=prefixes)
            return self.declaration(node, depth)
        if word in (":>>", "redefines"):  # ':>> x = 5;' redefines a feature of the owner's type
            return self.declaration(Node("feature", token.line, prefixes=prefixes), depth)
        if prefixes & set(ASSERTIONS) and token.kind == NAME and word not in (*USAGE_KEYWORDS, "satisfy"):
            if word == "not":
                node = Node("skipped", token.line, name="negated assertion", prefixes=prefixes)
                self._skip_statement(depth, node)
                return node
            node = Node("constraint", token.line, prefixes=prefixes)  # asserts an existing usage: 'assert c(…)'
            node.types = [self.chain()]
            return self.declaration(node, depth)
        if expressions and self._is_expression(token):
            return self.expression_member(token)
        if word == "import":
            self.take()
            node = Node("import", token.line, target=self.qualified_name())
            self._skip_statement(depth, node)
            return node
        if word == "doc":
            return self.doc(token)
        if word == "comment":
            return self.comment(token)
        if word == "satisfy":
            return self.satisfy(token, depth)
        if word == "connect":
            self.take()
            node = Node("connect", token.line, prefixes=prefixes, ends=self.connect_ends())
            self.body(node, depth)
            return node
        if word == "succession" and self._followed_by("flow"):
            self.take()  # a succession flow is a flow that also orders what its ends belong to
            return self.flow(self.peek() or token, prefixes, depth)
        if word in ("flow", "stream") and not self._followed_by("def"):
            return self.flow(token, prefixes, depth)
        if word in USAGE_KEYWORDS:
            self.take()
            keyword = word + " def" if self.at("def") and self.take() else word
            return self.declaration(Node(keyword, token.line, prefixes=prefixes), depth)
        following = self.peek(1)
        if token.kind == NAME and word not in _STOP_WORDS and word not in _UNMAPPED_USAGES and (
                following is None or following.text != "def") and (
                prefixes or following is not None and following.text in (":", ":>", ":>>")):
            return self.declaration(Node("feature", token.line, prefixes=prefixes), depth)
        keyword = word
        self.take()
        if self.at("def"):
            self.take()
            keyword += " def"
        node = Node("skipped", token.line, name=keyword, prefixes=prefixes, text=self._skipped_name())
        self._skip_statement(depth, node)
        return node

    def _old_short_name(self) -> bool:
        """``id 'R1'`` before a declared name (``id`` followed by a name and then a name or what may end a
        declaration), not a feature called ``id`` (``attribute id : String;``)."""
        token, short, after = self.peek(), self.peek(1), self.peek(2)
        return (token is not None and token.text == "id" and short is not None and short.kind == NAME
                and after is not None and (after.kind == NAME or after.text in (":", ":>", "{", ";")))

    def _skipped_name(self) -> str:
        """The name a skipped usage or definition declares (``perform action drive``: ``drive``), if any."""
        offset = 0
        while (token := self.peek(offset)) is not None and token.kind == NAME and token.text in _UNMAPPED_USAGES:
            offset += 1
        return token.value if token is not None and token.kind == NAME and token.text not in _STOP_WORDS else ""

    def _followed_by(self, text: str) -> bool:
        following = self.peek(1)
        return following is not None and following.text == text

    def flow(self, token: Token, prefixes: set[str], depth: int) -> Node:
        """``flow name : F of Item from a.b to c.d;`` or ``flow a.b to c.d;``: a flow between two features
        (``types`` holds the item); a flow written without its ends is skipped."""
        self.take()
        node = Node("flow", token.line, prefixes=prefixes)
        following, after = self.peek(), self.peek(1)
        if following is not None and after is not None and after.text in (".", "::", "to"):
            node.ends = [self.chain()]  # the short form 'flow a.b to c.d'
            self.expect("to", "between the ends of a flow")
            node.ends.append(self.chain())
            self.body(node, depth)
            return node
        if following is not None and following.kind == NAME and following.text not in ("from", "of"):
            node.name = self.take().value
        while self.at(":", "of"):
            item = self.take().text == "of"
            named = self.chain()
            if item:
                node.types.append(named)
        if not self.at("from"):
            skipped = Node("skipped", token.line, name=token.text, prefixes=prefixes)
            self._skip_statement(depth, skipped)
            return skipped
        self.take()
        node.ends = [self.chain()]
        self.expect("to", "between the ends of a flow")
        node.ends.append(self.chain())
        self.body(node, depth)
        return node

    def _is_expression(self, token: Token) -> bool:
        """In an expression body: anything but a declaration ``name : T`` / ``name;`` is an expression."""
        if token.kind == NAME and token.text in (*USAGE_KEYWORDS, "doc", "comment", "import", "satisfy", "connect"):
            return False
        following = self.peek(1)
        if token.kind == NAME and token.text in _UNMAPPED_USAGES and following is not None and (
                following.kind == NAME or following.text in ("def", "<")):
            return False  # 'action a(…) { … }' in an analysis body: a usage, skipped, not an expression
        return not (token.kind == NAME and following is not None and following.text in (":", ";", ":>", ":>>"))

    def expression_member(self, token: Token) -> Node:
        """An expression in a body, up to its ``;`` (taken) or the body's ``}``."""
        node = Node("expression", token.line, text=self.expression_text())
        if self.at(";"):
            self.take()
        return node

    def _is_name_use(self) -> bool:
        """A prefix word used as a name (``end`` as a feature name followed by ``:``)."""
        following = self.peek(1)
        return following is not None and following.text in (":", ";", ":>", ":>>", "=")

    def declaration(self, node: Node, depth: int) -> Node:
        if self.at("<"):
            self.take()
            node.short_name = self.take().value
            self.expect(">", "after the short name")
        elif self._old_short_name():
            self.take()  # 'requirement id 'R1' name', the short name as the 2020-2021 pilot releases wrote it
            node.short_name = self.take().value
        token = self.peek()
        if token is not None and token.kind == NAME and token.text not in _STOP_WORDS:
            node.name = self.take().value
        while True:
            token = self.peek()
            if token is None:
                break
            if token.text in _SPECS:
                self.take()
                if token.text == "defined":
                    self.expect("by", "after 'defined'")
                if self.at("~"):
                    self.take()
                    node.conjugated = True
                getattr(node, _SPECS[token.text]).extend(self.name_list())
            elif token.text == "[":
                node.multiplicity = self.multiplicity()
            elif token.text in ("ordered", "nonunique"):
                self.take()
            else:
                break
        if self.at("("):
            node.parameters = self.parameter_list(node.line)
            self._returns(node)
        if self.at("=", ":=", "default"):
            self.take()
            if self.at("="):
                self.take()
            node.default = self.expression_text()
        if self.at("connect"):
            self.take()
            node.ends = self.connect_ends()
        self.body(node, depth)
        return node

    def parameter_list(self, line: int) -> list[Node]:
        """``(a : T, in b = x, c)``: parameters of a definition or arguments of a usage."""
        opened = self.take()
        found: list[Node] = []
        while not self.at(")"):
            token = self.peek()
            if token is None or token.text in (";", "{", "}"):
                raise self.error(f"'(' of line {opened.line} is not closed", token)
            prefixes: set[str] = set()
            while self.at(*PREFIXES) and not self._is_name_use():
                prefixes.add(self.take().text)
            if self.at("attribute", "part", "item"):
                self.take()
            parameter = Node("feature", self.peek().line if self.peek() else line, prefixes=prefixes or {"in"})
            if self.peek() is not None and self.peek().kind == NAME:
                parameter.name = self.take().value
            while self.at(*_SPECS):
                spec = self.take().text
                getattr(parameter, _SPECS[spec]).append(self.chain())
            if self.at("["):
                parameter.multiplicity = self.multiplicity()
            if self.at("="):
                self.take()
                parameter.default = self._argument_text()
            found.append(parameter)
            if self.at(","):
                self.take()
        self.take()
        return found

    def _argument_text(self) -> str:
        """An argument's expression, up to ``,`` or ``)`` outside brackets."""
        parts: list[Token] = []
        level = 0
        while True:
            token = self.peek()
            if token is None or (level == 0 and token.text in (",", ")", ";", "{", "}")):
                return _joined(parts)
            level += {"(": 1, "[": 1, ")": -1, "]": -1}.get(token.text, 0)
            parts.append(self.take())

    def _returns(self, node: Node) -> None:
        """``(…) result : T`` or ``(…) : T`` after a parameter list: a calculation's return feature."""
        if self.at("return"):
            self.take()
        token, following = self.peek(), self.peek(1)
        if token is not None and token.kind == NAME and token.text not in _STOP_WORDS and \
                (following is None or following.text in (":", "=", "{", ";")):
            node.returns = Node("return", token.line, name=self.take().value)
        elif token is not None and token.text == ":":
            node.returns = Node("return", token.line, name="result")
        if node.returns is not None and self.at(":"):
            self.take()
            node.returns.types = self.name_list()

    def body(self, node: Node, depth: int) -> None:
        """``;`` or a ``{ … }`` body of member statements."""
        token = self.peek()
        if token is not None and token.text == "{":
            self.take()
            base = node.keyword.removesuffix(" def")
            node.children = self.members(depth + 1, token, expressions=base in EXPRESSION_BODIES)
        elif token is not None and token.text == ";":
            self.take()
        else:
            found = repr(token.text) if token else "end of file"
            raise self.error(f"expected ';' or '{{' to end the {node.keyword} statement of line {node.line}, "
                             f"found {found}", token)

    def doc(self, token: Token) -> Node:
        self.take()
        while self.pos < len(self.tokens) and self.tokens[self.pos].kind != COMMENT:
            if self.tokens[self.pos].text in (";", "{", "}"):
                raise self.error("'doc' without a /* … */ body", self.tokens[self.pos])
            self.pos += 1  # a name or locale before the body
        if self.pos >= len(self.tokens):
            raise self.error("'doc' without a /* … */ body", token)
        body = self.tokens[self.pos]
        self.pos += 1
        return Node("doc", token.line, text=body.value)

    def comment(self, token: Token) -> Node:
        """``comment [name] [about …] /* … */``: skipped up to and including its body."""
        self.take()
        while self.pos < len(self.tokens) and self.tokens[self.pos].kind != COMMENT:
            self.pos += 1
        self.pos += 1
        return Node("skipped", token.line, name="comment")

    def satisfy(self, token: Token, depth: int) -> Node:
        self.take()
        if self.at("requirement"):
            self.take()
        node = Node("satisfy", token.line, target=self.chain())
        if self.at(":"):
            self.take()
            node.target = self.chain()
        if self.at("by"):
            self.take()
            node.by = self.chain()
        self.body(node, depth)
        return node

    # -- pieces -------------------------------------------------------------------------------------
    def qualified_name(self) -> str:
        parts = [self._name_token("a name")]
        while self.at("::"):
            self.take()
            if self.at("*", "**"):
                parts.append(self.take().text)
            else:
                parts.append(self._name_token("a name after '::'"))
        return "::".join(parts)

    def chain(self) -> str:
        """A qualified name followed by ``.feature`` steps: ``Pkg::part.port``."""
        parts = [self.qualified_name()]
        while self.at("."):
            self.take()
            parts.append(self._name_token("a feature name after '.'"))
        return ".".join(parts)

    def name_list(self) -> list[str]:
        names = [self.chain()]
        while self.at(","):
            self.take()
            names.append(self.chain())
        return names

    def _name_token(self, what: str) -> str:
        token = self.peek()
        if token is None or token.kind != NAME:
            raise self.error(f"expected {what}, found {repr(token.text) if token else 'end of file'}", token)
        return self.take().value

    def multiplicity(self) -> tuple[int, int | None] | None:
        opened = self.take()
        bounds: list[int | None] = []
        while not self.at("]"):
            token = self.peek()
            if token is None or token.text in (";", "{", "}"):
                raise self.error(f"'[' of line {opened.line} is not closed", token)
            self.take()
            if token.kind == NUMBER and token.text.isdigit():
                bounds.append(int(token.text))
            elif token.text == "*":
                bounds.append(None)
            elif token.text != "..":
                bounds.append(-1)  # an expression: not a literal bound
        self.take()
        if not bounds or len(bounds) > 2 or -1 in bounds:
            return None
        lower = bounds[0] if len(bounds) == 2 else (bounds[0] if bounds[0] is not None else 0)
        return (lower if lower is not None else 0), bounds[-1]

    def expression_text(self) -> str:
        """The text of a value expression, up to ``;`` or ``{`` outside brackets."""
        parts: list[Token] = []
        level = 0
        while True:
            token = self.peek()
            if token is not None and token.text == "{" and (not parts or len(parts) > 1 and parts[-2].text == "->"):
                parts += self._braced()  # a body expression: '{ … }' alone, or an argument 'xs->forAll { in i; … }'
                continue
            if token is None or (level == 0 and token.text in (";", "{", "}")):
                return _joined(parts)
            level += {"(": 1, "[": 1, ")": -1, "]": -1}.get(token.text, 0)
            parts.append(self.take())

    def _braced(self) -> list[Token]:
        """The tokens of a balanced ``{ … }`` group, braces included."""
        opened = self.peek()
        parts: list[Token] = []
        level = 0
        while True:
            token = self.peek()
            if token is None:
                raise self.error(f"'{{' opened at line {opened.line if opened else '?'} is not closed", None)
            level += {"{": 1, "}": -1}.get(token.text, 0)
            parts.append(self.take())
            if level == 0:
                return parts

    def connect_ends(self) -> list[str]:
        if self.at("("):
            self.take()
            ends = [self._end()]
            while self.at(","):
                self.take()
                ends.append(self._end())
            self.expect(")", "to close the connect ends")
            return ends
        first = self._end()
        self.expect("to", "between the ends of 'connect'")
        return [first, self._end()]

    def _end(self) -> str:
        following = self.peek(1)
        if following is not None and following.text in ("::>", "references"):
            self.take()
            self.take()
        chain = self.chain()
        if self.at("["):  # 'connect a[0..1] to b.c[1]': the end's multiplicity, not part of the name
            self.multiplicity()
        return chain

    def _skip_statement(self, depth: int, node: Node) -> None:
        """Skip to the end of a statement: its ``;`` or its balanced ``{ … }`` body."""
        level = 0
        while True:
            token = self.peek()
            if token is None:
                return
            if token.text == "}":
                return  # the enclosing body closes: the statement had no ';'
            if token.text == "{":
                self._skip_braces(depth + 1, node)
                return
            self.take()
            level += {"(": 1, "[": 1, ")": -1, "]": -1}.get(token.text, 0)
            if token.text == ";" and level <= 0:
                return

    def _skip_braces(self, depth: int, node: Node | None = None) -> None:
        """Skip a balanced ``{ … }``, counting the flow statements in it into ``node.flows``."""
        previous = opened = self.take()
        if depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels", opened)
        while True:
            token = self.peek()
            if token is None:
                raise self.error(f"'{{' opened at line {opened.line} is not closed", None)
            if token.text == "{":
                self._skip_braces(depth + 1, node)
                previous = opened  # a nested body ended: what follows starts a statement
                continue
            if token.text == "}":
                self.take()
                return
            if node is not None and token.text in ("flow", "stream") and previous.text not in (".", "::") \
                    and not self._followed_by("def"):  # 'flow a to b;', 'in item x flow from a.y;'
                node.flows += 1
            previous = self.take()


def _joined(tokens: list[Token]) -> str:
    """Tokens as expression text as one would write it: ``f(a.b, c) <= 2``, ``A::B``, ``x[kg]``."""
    text = ""
    previous: Token | None = None
    for token in tokens:
        tight = previous is None or token.text in (".", "::", ",", ")", "]") or \
            previous.text in (".", "::", "(", "[") or (token.text in ("(", "[") and previous.kind == NAME)
        text += token.text if tight else " " + token.text
        previous = token
    return text
