"""Chained search (search.html#chaining), one level deep: ``MedicationAdministration?medication.lot-number=X``,
and reverse chaining (search.html#has): ``Patient?_has:MedicationAdministration:patient:medication=Medication/1``.

Either is answered by the other type's own search (the same engine, the same declared parameters), then
the outer resources are kept whose reference points at one of the matches (chain), or that a match's
reference points at (``_has``). A recall ("who received batch X") rests on this, so the bedside faults
break it here. ``_has`` is declared on the types in HAS_TYPES only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.fhir import searchparams as sp
from conformance.sandbox.bedside_faults import (
    BEDSIDE_CHAIN_FIRST_MEDICATION_ONLY,
    BEDSIDE_CHAIN_IGNORES_LOT,
    BEDSIDE_HAS_IGNORED,
)
from conformance.sandbox.faults import SERVED_TYPES, Faults
from conformance.sandbox.fhir import search
from conformance.sandbox.fhir.capability import HAS_TYPES, declared
from conformance.sandbox.fhir.responses import FhirError
from conformance.sandbox.fhir.store import Store


@dataclass(frozen=True)
class Chain:
    name: str
    value: str
    param: sp.SearchParam  # the reference parameter (on the outer type; on ``target`` when ``reverse``)
    target: str
    inner: str
    reverse: bool = False  # _has: ``target`` resources whose ``param`` points at the outer resource


def _has(rtype: str, name: str, value: str) -> Chain:
    parts = name.split(":")
    if rtype not in HAS_TYPES or len(parts) != 4:
        raise FhirError(400, f"{name!r}: _has is supported on {', '.join(HAS_TYPES)} as "
                             "_has:Type:reference-parameter:parameter", "not-supported")
    _, source, code, inner = parts
    param = declared(source, code) if source in SERVED_TYPES else None
    if param is None or param.type != "reference" or rtype not in param.target:
        raise FhirError(400, f"{name!r}: {source}.{code} is not a declared reference search parameter to {rtype}",
                        "not-supported")
    return Chain(name, value, param, source, inner, reverse=True)


def split(rtype: str, items: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[Chain]]:
    """Plain parameters, and the chained ones (``ref.param`` or ``ref:Type.param``) read as chains."""
    plain: list[tuple[str, str]] = []
    chains: list[Chain] = []
    for name, value in items:
        if name.startswith("_has:"):
            chains.append(_has(rtype, name, value))
            continue
        head, dot, rest = name.partition(".")
        if not dot or name.startswith("_"):
            plain.append((name, value))
            continue
        code, _, named_type = head.partition(":")
        param = declared(rtype, code)
        if param is None or param.type != "reference":
            raise FhirError(400, f"chained parameter {name!r}: {code!r} is not a reference search parameter "
                                 f"of {rtype}", "not-supported")
        targets = [named_type] if named_type else [t for t in param.target if t in SERVED_TYPES]
        if len(targets) != 1 or targets[0] not in param.target or targets[0] not in SERVED_TYPES:
            raise FhirError(400, f"chained parameter {name!r}: name one served target type ({code}:Type.{rest})",
                            "invalid")
        if "." in rest:
            raise FhirError(400, f"chained parameter {name!r}: only one level of chaining is supported",
                            "not-supported")
        chains.append(Chain(name, value, param, targets[0], rest))
    return plain, chains


def apply(chains: list[Chain], matches: list[dict[str, Any]], store: Store, base: str,
          faults: Faults) -> list[dict[str, Any]]:
    """``matches`` narrowed by every chain (AND)."""
    for chain in chains:
        query = search.parse(chain.target, [(chain.inner, chain.value)], True, faults)
        found = search.run(query, store.live(chain.target), base, faults)
        if faults.on(BEDSIDE_CHAIN_FIRST_MEDICATION_ONLY):
            found = found[:1]
        if chain.reverse:
            if faults.on(BEDSIDE_HAS_IGNORED):
                continue
            pointed = {search.local_reference(r, base) for f in found for r in sp.references(f, chain.param)}
            matches = [m for m in matches if f"{m.get('resourceType')}/{m.get('id')}" in pointed]
            continue
        wanted = {f"{chain.target}/{r['id']}" for r in found}
        ignore_inner = faults.on(BEDSIDE_CHAIN_IGNORES_LOT) and chain.inner == "lot-number"
        matches = [m for m in matches if any(
            ignore_inner or search.local_reference(r, base) in wanted for r in sp.references(m, chain.param))]
    return matches
