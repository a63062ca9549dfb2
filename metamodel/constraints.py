"""Which constraints are parametric: equations and conditions the solver reads, as opposed to rules on
the model's instances that are kept but not solved.

SysML's parametrics are the constraints of constraint blocks (SysML 1 «ConstraintBlock», SysML v2
``constraint def``), and the constraints of other blocks and requirements written in a notation of
math. A constraint of an ordinary block written in OCL, UML's Object Constraint Language, is an
invariant in UML's sense (navigation, collections, ``oclIsTypeOf``: a condition every instance of the
classifier satisfies, as libraries like SysML's QUDV state their well-formedness rules): it is not a
parametric equation, so it is neither solved nor reported as unreadable.
"""

from __future__ import annotations

from metamodel.elements import Block, Constraint, Element

CONSTRAINT_BLOCKS = ("ConstraintBlock", "constraint def")


def is_ocl(language: str) -> bool:
    """Whether ``language`` (a tool's label: ``OCL``, ``OCL2.0``, ``ocl``) names OCL."""
    return language.strip().casefold().startswith("ocl")


def is_invariant(constraint: Constraint, owner: Element | None) -> bool:
    """An OCL constraint of a block that is not a constraint block: kept, not solved."""
    return is_ocl(constraint.language) and isinstance(owner, Block) and owner.stereotype not in CONSTRAINT_BLOCKS
