"""Chained search (search.html#chaining), one level deep: ``MedicationAdministration?medication.lot-number=X``.

The chained parameter is answered by the target type's own search (the same engine, the same declared
parameters), then the outer resources are kept whose reference points at one of the matches. A recall
("who received batch X") rests on this, so the bedside faults break it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.fhir import searchparams as sp
from conformance.sandbox.faults import SERVED_TYPES, Faults
from conformance.sandbox.fhir import search
from conformance.sandbox.fhir.capability import declared
from conformance.sandbox.fhir.responses import FhirError
from conformance.sandbox.fhir.store import Store


@dataclass(frozen=True)
class Chain:
    name: str
    value: str
    param: sp.SearchParam
    target: str
    inner: str


def split(rtype: str, items: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[Chain]]:
    """Plain parameters, and the chained ones (``ref.param`` or ``ref:Type.param``) read as chains."""
    plain: list[tuple[str, str]] = []
    chains: list[Chain] = []
    for name, value in items:
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
        if faults.on("bedside-chain-first-medication-only"):
            found = found[:1]
        wanted = {f"{chain.target}/{r['id']}" for r in found}
        ignore_inner = faults.on("bedside-chain-ignores-lot") and chain.inner == "lot-number"
        matches = [m for m in matches if any(
            ignore_inner or search.local_reference(r, base) in wanted for r in sp.references(m, chain.param))]
    return matches
