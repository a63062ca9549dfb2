"""Validation rules on the sequence links and control nodes of Capella functional chains and operational
processes (AR179-AR181), mirroring Capella's DWF_DF_15, DWF_DF_16 and DWF_DF_18.

A sequence link goes from a function involvement or a control node to another. The functions it joins are
the closest function involvements on each side: its own end when that is a function involvement, else,
through a control node, the closest ones of the sequence links coming into it (on the source side) or
leaving it (on the target side). The involvement links between them are those leaving one of the source
side's function involvements for one of the target side's (Capella's SequenceLinkExt).
"""

from __future__ import annotations

from collections.abc import Iterator

from metamodel.elements import Behavior
from metamodel.model import Model
from metamodel.validation.behaviour_rules import _behaviours, _layer
from metamodel.validation.registry import Diagnostic, rule, shared

_FUNCTION_INVOLVEMENT = "FunctionalChainInvolvementFunction"
_LINK_INVOLVEMENT = "FunctionalChainInvolvementLink"


class _Sequences:
    """The sequence links of a model by the ends they leave and enter, and its involvement links by the
    function involvement they leave."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.links = list(_behaviours(model, "sequence_link"))
        self.into: dict[str, list[Behavior]] = {}
        self.out_of: dict[str, list[Behavior]] = {}
        for link in self.links:
            self.into.setdefault(link.target or "", []).append(link)
            self.out_of.setdefault(link.source or "", []).append(link)
        self.involvement_links: dict[str, list[Behavior]] = {}
        for involvement in _behaviours(model, "involvement"):
            if involvement.detail == _LINK_INVOLVEMENT and involvement.source:
                self.involvement_links.setdefault(involvement.source, []).append(involvement)

    def is_function(self, ref: str | None) -> bool:
        """Whether ``ref`` names a function involvement."""
        end = self.model.get(ref) if ref else None
        return isinstance(end, Behavior) and end.behavior_kind == "involvement" and end.detail == _FUNCTION_INVOLVEMENT

    def closest(self, ref: str, backwards: bool) -> set[str]:
        """The function involvements closest to the end ``ref``: itself when it is one, else those reached
        through control nodes along the sequence links entering it (``backwards``) or leaving it."""
        found: set[str] = set()
        seen = {ref}
        pending = [ref]
        while pending:
            current = pending.pop()
            if self.is_function(current):
                found.add(current)
                continue
            for link in (self.into if backwards else self.out_of).get(current, ()):
                end = link.source if backwards else link.target
                if end and end not in seen:
                    seen.add(end)
                    pending.append(end)
        return found

    def joining(self, link: Behavior) -> list[Behavior]:
        """The involvement links from the functions before ``link`` to the functions after it."""
        if not link.source or not link.target:
            return []
        after = self.closest(link.target, backwards=False)
        return [involvement for source in sorted(self.closest(link.source, backwards=True))
                for involvement in self.involvement_links.get(source, ())
                if involvement.target in after and involvement.target != source]

    def label(self, ref: str | None) -> str:
        """A sequence link end for a message: the function a function involvement involves, or the control
        node and its kind."""
        end = self.model.get(ref) if ref else None
        if not isinstance(end, Behavior):
            return repr(ref)
        if end.behavior_kind == "control_node":
            return f"{end.properties.get('kind', 'control')} node {end.id!r}"
        involved = self.model.get(end.members[0]) if end.members else None
        return f"function {involved.name!r}" if involved is not None else f"involvement {end.id!r}"

    def describe(self, link: Behavior) -> str:
        """``sequence link from X to Y in chain 'C' (layer)``."""
        chain = self.model.get(link.owner)
        where = f" in {chain.name!r}{_layer(self.model, chain)}" if chain is not None else ""
        return f"sequence link from {self.label(link.source)} to {self.label(link.target)}{where}"


def _sequences(model: Model) -> _Sequences:
    return shared(("sequence links", id(model)), lambda: _Sequences(model))


@rule("AR179", "warning", "sequence link without a functional exchange between its functions",
      domain="architecture")
def sequence_link_without_exchange(model: Model) -> Iterator[Diagnostic]:
    """Capella's DWF_DF_15: an involvement link joins the functions on either side of a sequence link."""
    sequences = _sequences(model)
    for link in sequences.links:
        if link.source and link.target and not sequences.joining(link):
            yield Diagnostic("AR179", "warning", f"{sequences.describe(link)}: no functional exchange of the chain "
                             "goes from the functions before it to those after it", link.id, link.name,
                             related=tuple(r for r in (link.source, link.target) if r))


@rule("AR180", "warning", "sequence link with an empty condition", domain="architecture")
def sequence_link_without_condition(model: Model) -> Iterator[Diagnostic]:
    """Capella's DWF_DF_16: a sequence link has a condition, and its text is not empty."""
    sequences = _sequences(model)
    for link in sequences.links:
        if not link.properties.get("condition"):
            yield Diagnostic("AR180", "warning", f"{sequences.describe(link)} has an empty condition", link.id,
                             link.name, related=tuple(r for r in (link.source, link.target) if r))


@rule("AR181", "warning", "sequence link without its involvement links", domain="architecture")
def sequence_link_without_links(model: Model) -> Iterator[Diagnostic]:
    """Capella's DWF_DF_18: a sequence link across which the chain has involvement links names them."""
    sequences = _sequences(model)
    for link in sequences.links:
        joining = [] if link.members else sequences.joining(link)
        if joining:
            yield Diagnostic("AR181", "warning", f"{sequences.describe(link)} names none of the involvement links "
                             f"across it ({len(joining)})", link.id, link.name,
                             related=tuple(j.id for j in joining))
