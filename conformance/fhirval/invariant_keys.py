"""A StructureDefinition's invariant keys each name one expression.

An invariant is known by its key: a validator that meets ``obs-7`` twice with two expressions, or a profile
that gives a base's key a new meaning, cannot tell which rule an error report refers to. HL7's
StructureDefinitionValidator (``validateElementDefinitionInvariant``) rejects, when the structure's base
is loaded:

- in the differential, a constraint whose ``source`` is another structure: a differential adds the
  profile's own invariants (ED_INVARIANT_DIFF_NO_SOURCE);
- in the differential, a key the base's snapshot already uses with another expression, or that an earlier
  differential element uses with another expression (ED_INVARIANT_KEY_ALREADY_USED);
- in the snapshot, a key met twice with two expressions, ``ele-1`` aside (ED_INVARIANT_EXPRESSION_CONFLICT).

A key the base does not use is looked up, as HL7's ``findInvariantInBase`` does, in every base structure
(``ContextUtilities.allBaseStructures``: the specializations that are not logical models); here those of base
R4, and a key is a clash only when its expression is none of theirs (HL7 takes the first it meets, in an order
this harness does not share). A constraint without an expression is skipped, as HL7's validator does for R4.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from conformance.fhirval.base import base_source
from conformance.fhirval.source import definition_elements, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def _constraints(elements: list[Json], at: str) -> list[tuple[str, str, Json]]:
    """(key, location, constraint) of each constraint with a key and an expression, in document order."""
    found = []
    for i, ed in enumerate(elements):
        for j, c in enumerate(objects(ed.get("constraint"))):
            key, expression = c.get("key"), c.get("expression")
            if isinstance(key, str) and key and isinstance(expression, str) and expression:
                found.append((key, f"{at}[{i}].constraint[{j}]", c))
    return found


@functools.cache
def core_keys() -> dict[str, frozenset[str]]:
    """Each invariant key of base R4's specializations (logical models aside) with the expressions it has there:
    read once per process, on the first differential key its base does not use."""
    source = base_source()
    found: dict[str, set[str]] = {}
    for url in source.urls():
        summary = source.summary(url) or {}
        if summary.get("derivation") != "specialization" or summary.get("kind") == "logical":
            continue
        sd = source.structure(url)
        for key, _, c in _constraints(definition_elements(sd, "snapshot") if sd else [], ""):
            found.setdefault(key, set()).add(c["expression"])
    return {key: frozenset(expressions) for key, expressions in found.items()}


def check(w: Walker, sd: Json, loc: str) -> None:
    base_url = sd.get("baseDefinition")
    try:
        base = w.model.source.structure(base_url) if isinstance(base_url, str) else None
    except Exception:  # noqa: BLE001 - a base whose snapshot cannot be built is not there for this rule
        base = None
    if base is None:
        return
    inherited: dict[str, str] = {}
    for key, _, c in _constraints(definition_elements(base, "snapshot"), ""):
        inherited.setdefault(key, c["expression"])
    url, version = sd.get("url"), sd.get("version")
    own = (url, f"{url}|{version}") if isinstance(version, str) else (url,)
    seen: dict[str, str] = {}
    for key, where, c in _constraints(definition_elements(sd, "differential"), f"{loc}.differential.element"):
        source, expression = c.get("source"), c["expression"]
        if source is not None and source not in own:
            w.sink.error("invariant-key", where, f"the differential's invariant {key} has the source {source}: a "
                                                 "differential adds this profile's own invariants")
        elif key in inherited and inherited[key] != expression:
            w.sink.error("invariant-key", where, f"the key {key} is already used by the base, for the expression "
                                                 f"{inherited[key]!r}")
        elif key not in inherited and expression not in core_keys().get(key, (expression,)):
            w.sink.error("invariant-key", where, f"the key {key} is already used by a base FHIR structure, for "
                                                 f"the expression {sorted(core_keys()[key])[0]!r}")
        elif key in seen and seen[key] != expression:
            w.sink.error("invariant-key", where, f"the key {key} is already used in this differential, for the "
                                                 f"expression {seen[key]!r}")
        else:
            seen.setdefault(key, expression)
    first: dict[str, str] = {}
    for key, where, c in _constraints(definition_elements(sd, "snapshot"), f"{loc}.snapshot.element"):
        expression = c["expression"]
        if key in first and first[key] != expression and key != "ele-1":
            w.sink.error("invariant-key", where, f"the key {key} names two expressions in this snapshot: "
                                                 f"{first[key]!r} and {expression!r}")
        first.setdefault(key, expression)
