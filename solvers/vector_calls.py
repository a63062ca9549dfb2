"""Resolution of Vensim's whole-vector builtins in the flattener.

``VECTOR SELECT``, ``VECTOR SORT ORDER``, ``VECTOR RANK``, ``VECTOR REORDER``, ``VECTOR ELM MAP``,
``ALLOCATE BY PRIORITY`` and ``ALLOCATE AVAILABLE`` read a whole vector where their equation is one
element. The flattener keeps arrays as scalar elements, so each call is rewritten into a call of the
runtime function (``solvers.vector_functions``) with the vector's elements spelled out and, for the
functions that return a vector, the position of this equation's element in it:

- ``vector_select(missing, action, error, n, *selection, *expression)`` (``dim!`` axes, broadcast)
- ``vector_sort_order(position, direction, *vector)`` and ``vector_rank`` alike
- ``vector_reorder(index, *vector)`` (the ``svector`` element of this equation, 0-based)
- ``vector_elm_map(offset, *vector)`` (the vector starts at the element written in the call)
- ``allocate_by_priority(position, width, supply, n, *request, *priority)``
- ``allocate_available(position, supply, n, *request, *ptype, *ppriority, *pwidth, *pextra)``
- ``vector_lookup(x, xmin, xmax, mode, *vector)`` (the vector along the last subscript of the first argument)
- ``shift_if_true(condition, size, accumulate, input, start, *stock)`` (every element of the stock along its
  last dimension; the shift starts at element ``start``, 0-based; ``solvers.expand`` makes its flows)

The vector of the ``last dimension`` functions is the last subscript of the argument (for a priority
profile ``pp[..., d, ptype]``, the one before the profile element). Anything else is a diagnostic
naming the element, never a silent default.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from metamodel.equations.ast import BinOp, Call, If, Name, Node, Num, Star, Subscript, UnaryOp, walk
from metamodel.names import canonical

if TYPE_CHECKING:
    from solvers.flatten import _Resolver

VECTOR_CALLS = frozenset({"vector_select", "vector_sort_order", "vector_rank", "vector_reorder", "vector_elm_map",
                          "allocate_by_priority", "allocate_available", "rank", "shift_if_true", "vector_lookup"})
PROFILE_FIELDS = 4  # ptype, ppriority, pwidth, pextra


class VectorCallError(Exception):
    """A vector builtin whose arguments do not have the shape it needs."""


def resolve_vector_call(resolver: _Resolver, node: Call) -> Node:
    """The runtime call for one vector builtin, or raise ``VectorCallError``."""
    name = node.canonical
    args = node.args
    _arity_error(name, args)
    if name == "vector_select":
        return _select(resolver, node)
    if name == "rank":
        return _rank(resolver, node)
    if name in ("vector_sort_order", "vector_rank"):
        position, values = _vector(resolver, args[0], 1)
        return Call(name, (Num(float(position)), resolver.resolve(args[1]), *values), span=node.span)
    if name == "vector_reorder":
        _, values = _vector(resolver, args[0], 1)
        return Call(name, (resolver.resolve(args[1]), *values), span=node.span)
    if name == "vector_elm_map":
        return _elm_map(resolver, node)
    if name == "shift_if_true":
        return _shift(resolver, node)
    if name == "vector_lookup":
        _, values = _vector(resolver, args[0], 1)
        return Call(name, (*(resolver.resolve(a) for a in args[1:]), *values), span=node.span)
    if name == "allocate_by_priority":
        position, request = _vector(resolver, args[0], 1)
        _, priority = _vector(resolver, args[1], 1)
        if len(priority) != len(request):
            raise VectorCallError("ALLOCATE BY PRIORITY needs requests and priorities over the same dimension")
        return Call(name, (Num(float(position)), resolver.resolve(args[3]), resolver.resolve(args[4]),
                           Num(float(len(request))), *request, *priority), span=node.span)
    position, request = _vector(resolver, args[0], 1)
    profiles = _profiles(resolver, args[1], len(request))
    return Call(name, (Num(float(position)), resolver.resolve(args[2]), Num(float(len(request))), *request,
                       *profiles), span=node.span)


def _arity_error(name: str, args: tuple[Node, ...]) -> None:
    if name == "rank":
        if len(args) not in (2, 3):
            raise VectorCallError(f"RANK takes 2 or 3 arguments, got {len(args)}")
        return
    needed = {"shift_if_true": 5, "vector_lookup": 5,
              "vector_select": 5, "vector_sort_order": 2, "vector_rank": 2, "vector_reorder": 2,
              "vector_elm_map": 2, "allocate_by_priority": 5, "allocate_available": 3}[name]
    if len(args) != needed:
        raise VectorCallError(f"{name.upper().replace('_', ' ')} takes {needed} arguments, got {len(args)}")


def _subscripted(resolver: _Resolver, node: Node, what: str) -> tuple[Subscript, list[str]]:
    """``node`` as a subscripted reference to an arrayed variable, and that variable's dimensions."""
    if not isinstance(node, Subscript):
        raise VectorCallError(f"{what} must be a subscripted array, not {type(node).__name__.lower()}")
    found = resolver._lookup(node.name)
    if found is None or found[1] is None or not found[1].dimensions:
        raise VectorCallError(f"{what} '{node.name}' is not an arrayed variable")
    if len(node.indices) != len(found[1].dimensions):
        raise VectorCallError(f"'{node.name}' has {len(found[1].dimensions)} subscripts, "
                              f"{len(node.indices)} given")
    return node, [canonical(d) for d in found[1].dimensions]


def _vector(resolver: _Resolver, node: Node, from_end: int) -> tuple[int, list[Node]]:
    """The elements of ``node`` along its ``from_end``-th subscript from the end, other subscripts bound to
    this equation's element; and this equation's position along that subscript (0 when not bound).

    ``node`` may be computed (``PREVIOUS(a[d])``, ``a[d] + b[d]``): see ``_computed``."""
    if not isinstance(node, Subscript):
        return _computed(resolver, node, from_end)
    subscript, dims = _subscripted(resolver, node, "the vector argument")
    at = len(subscript.indices) - from_end
    index = subscript.indices[at]
    elements = resolver.scope.dimensions.get(dims[at], [])
    position = 0
    if isinstance(index, Name | Star):
        label = canonical(index.dim) if isinstance(index, Star) and index.dim else canonical(getattr(
            index, "name", dims[at]))
        current = resolver._current(label, resolver.scope.dimensions.get(label, elements)) \
            if label in resolver.scope.dimensions else None
        if current is not None and current in elements:
            position = elements.index(current)
        elif current is not None:
            own = resolver.scope.dimensions.get(label, [])
            position = own.index(current) if current in own else 0
    indices = list(subscript.indices)
    indices[at] = Star()
    resolved = resolver.resolve(replace(subscript, indices=tuple(indices)))
    keys = list(getattr(resolved, "keys", ()))
    if not keys:
        raise VectorCallError(f"cannot read '{subscript.name}' as a vector")
    return position, [Name(k) for k in keys]


def _computed(resolver: _Resolver, node: Node, from_end: int) -> tuple[int, list[Node]]:
    """A computed vector operand: the axis is the ``from_end``-th subscript from the end of its first
    subscripted reference; every reference's subscript naming that axis is freed, the expression is
    resolved and expanded into one expression per element of the axis."""
    from solvers.flatten import _elementwise

    references = [n for n in walk(node) if isinstance(n, Subscript)]
    if not references:
        raise VectorCallError(f"the vector argument must hold a subscripted array, not {type(node).__name__.lower()}")
    first, dims = _subscripted(resolver, references[0], "the vector argument")
    at = len(first.indices) - from_end
    index = first.indices[at]
    if isinstance(index, Star):
        label = canonical(index.dim) if index.dim else dims[at]
    elif isinstance(index, Name) and index.canonical in resolver.scope.dimensions:
        label = index.canonical
    else:
        raise VectorCallError(f"the vector argument's subscript '{getattr(index, 'name', '?')}' of "
                              f"'{first.name}' is not a dimension")
    elements = resolver.scope.dimensions[label]
    values = _elementwise(resolver.resolve(_free(node, label)))
    if values is None or len(values) != len(elements):
        raise VectorCallError(f"the vector argument must be an array along '{label}' only")
    current = resolver._current(label, elements)
    return (elements.index(current) if current in elements else 0), values


def _free(node: Node, label: str) -> Node:
    """``node`` with every subscript that names dimension ``label`` turned into a free axis (``*``)."""
    if isinstance(node, Subscript):
        indices = tuple(Star() if isinstance(i, Star) or (isinstance(i, Name) and i.canonical == label) else i
                        for i in node.indices)
        return replace(node, indices=indices)
    if isinstance(node, Call):
        return replace(node, args=tuple(_free(a, label) for a in node.args))
    if isinstance(node, UnaryOp):
        return replace(node, operand=_free(node.operand, label))
    if isinstance(node, BinOp):
        return replace(node, left=_free(node.left, label), right=_free(node.right, label))
    if isinstance(node, If):
        return replace(node, cond=_free(node.cond, label), then=_free(node.then, label),
                       orelse=_free(node.orelse, label))
    return node


def _profiles(resolver: _Resolver, node: Node, size: int) -> list[Node]:
    """The four priority-profile fields of ``pp[..., d, ptype]``, each a vector over ``d``."""
    subscript, dims = _subscripted(resolver, node, "the priority profile")
    first = subscript.indices[-1]
    elements = resolver.scope.dimensions.get(dims[-1], [])
    start = elements.index(first.canonical) if isinstance(first, Name) and first.canonical in elements else 0
    if start + PROFILE_FIELDS > len(elements):
        raise VectorCallError(f"the priority profile of '{subscript.name}' needs {PROFILE_FIELDS} elements from "
                              f"'{elements[start] if elements else '?'}'")
    fields: list[Node] = []
    for offset in range(PROFILE_FIELDS):
        indices = (*subscript.indices[:-1], Name(elements[start + offset]))
        _, values = _vector(resolver, replace(subscript, indices=indices), 2)
        if len(values) != size:
            raise VectorCallError("the priority profile and the requests are over different dimensions")
        fields.extend(values)
    return fields


def _elm_map(resolver: _Resolver, node: Call) -> Node:
    """``VECTOR ELM MAP(vec[x], offset)``: the element ``offset`` places after the one the call names (an
    element; a dimension or subrange counts from its first element)."""
    if not isinstance(node.args[0], Subscript):
        _, values = _computed(resolver, node.args[0], 1)
        return Call("vector_elm_map", (Num(0.0), resolver.resolve(node.args[1]), *values), span=node.span)
    subscript, dims = _subscripted(resolver, node.args[0], "the vector argument")
    index = subscript.indices[-1]
    elements = resolver.scope.dimensions.get(dims[-1], [])
    start = 0
    if isinstance(index, Name):
        named = resolver.scope.dimensions.get(index.canonical, [index.canonical])
        start = elements.index(named[0]) if named and named[0] in elements else 0
    indices = list(subscript.indices)
    indices[-1] = Star()
    resolved = resolver.resolve(replace(subscript, indices=tuple(indices)))
    keys = list(getattr(resolved, "keys", ()))
    return Call("vector_elm_map", (Num(float(start)), resolver.resolve(node.args[1]), *(Name(k) for k in keys)),
                span=node.span)


def _shift(resolver: _Resolver, node: Call) -> Node:
    """``SHIFT IF TRUE(stock[..., e], condition, size, accumulate, input)``: the stock's elements along its last
    dimension, and the position of ``e`` (an element; a dimension or subrange starts at its first)."""
    subscript, dims = _subscripted(resolver, node.args[0], "the stock SHIFT IF TRUE shifts")
    elements = resolver.scope.dimensions.get(dims[-1], [])
    index = subscript.indices[-1]
    start = 0
    if isinstance(index, Name):
        named = resolver.scope.dimensions.get(index.canonical, [index.canonical])
        if not named or named[0] not in elements:
            raise VectorCallError(f"'{index.name}' is not an element of the last dimension of '{subscript.name}'")
        start = elements.index(named[0])
    _, keys = _vector(resolver, subscript, 1)
    cond, size, accumulate, value = (resolver.resolve(a) for a in node.args[1:])
    return Call("shift_if_true", (cond, size, accumulate, value, Num(float(start)), *keys), span=node.span)


def _rank(resolver: _Resolver, node: Call) -> Node:
    """XMILE's ``RANK(array, n [, tiebreak])``: the 1-based position of the element ranked ``n``-th smallest
    (ties by the tie-break array, then by position)."""
    from solvers.flatten import _elementwise

    arrays = [resolver.resolve(node.args[0])] + ([resolver.resolve(node.args[2])] if len(node.args) == 3 else [])
    expanded = [_elementwise(a) for a in arrays]
    if any(e is None for e in expanded) or len({len(e or []) for e in expanded}) != 1:
        raise VectorCallError("RANK needs an array (and a tie-break array of the same size)")
    values = expanded[0] or []
    ties = expanded[1] if len(expanded) == 2 else [Num(0.0)] * len(values)
    return Call("xmile_rank", (resolver.resolve(node.args[1]), Num(float(len(values))), *values, *(ties or [])),
                span=node.span)


def _select(resolver: _Resolver, node: Call) -> Node:
    """``VECTOR SELECT``: the dimensions banged (``d!``) in each array are iterated, jointly over both arrays
    (an array without one of them is repeated along it); other subscripts take this equation's element."""
    from solvers.flatten import _elementwise

    selection, expression, missing, action, error = node.args
    pair = Call("pair", (resolver.resolve(selection), resolver.resolve(expression)))
    pairs = _elementwise(pair) or [pair]
    chosen = [p.args[0] for p in pairs if isinstance(p, Call)]
    values = [p.args[1] for p in pairs if isinstance(p, Call)]
    return Call("vector_select", (resolver.resolve(missing), resolver.resolve(action), resolver.resolve(error),
                                  Num(float(len(chosen))), *chosen, *values), span=node.span)
