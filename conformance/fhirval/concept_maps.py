"""A ConceptMap's source and target codes are codes of the code systems its groups name.

A map from or to a code its code system does not have can never be applied: HL7's validator reports it as
an error when it holds that code system complete (ConceptMapValidator ``validateGroupElement`` and
``validateGroupElementTarget``: CONCEPTMAP_GROUP_SOURCE_CODE_INVALID / CONCEPTMAP_GROUP_TARGET_CODE_INVALID;
a fragment makes it a warning, which is not reported here), comparing codes exactly (``CodeSystemUtilities
.getCode``), not in any case as a value set does. Only a CodeSystem held here, at the version the group names if it
names one, is consulted; systems judged by grammar or a checker of their own (SNOMED CT,
LOINC, UCUM...) are left alone, as HL7 asks a terminology server about those. The map's own ``source`` and
``target`` name value sets, not code systems (CONCEPTMAP_VS_NOT_A_VS); a code of a held complete code system
must also be in the map's source (target) value set where that one is held and answers locally
(CONCEPTMAP_GROUP_SOURCE_CODE_INVALID_VS / _TARGET_CODE_INVALID_VS: ``validateCode`` with ``withNoServer``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.source import objects
from conformance.fhirval.terminology_grammars import GRAMMARS

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json
    from conformance.fhirval.terminology import Expansion


def check(w: Walker, cm: Json, loc: str) -> None:
    _check_scopes(w, cm, loc)
    scopes = {side: _scope(w, cm, side) for side in ("source", "target")}
    for i, group in enumerate(objects(cm.get("group"))):
        where = f"{loc}.group[{i}]"
        source = _held(w, group, "source")
        target = _held(w, group, "target")
        for j, element in enumerate(objects(group.get("element"))):
            here = f"{where}.element[{j}]"
            if source is not None:
                _code(w, source, element.get("code"), f"{here}.code", "source", scopes["source"])
            if target is None:
                continue
            for k, tgt in enumerate(objects(element.get("target"))):
                _code(w, target, tgt.get("code"), f"{here}.target[{k}].code", "target", scopes["target"])


def _scope(w: Walker, cm: Json, side: str) -> tuple[str, Expansion] | None:
    """The map's source (target) value set and its local expansion, when one is held (readVSReference)."""
    value = cm.get(f"{side}Uri", cm.get(f"{side}Canonical"))
    if not isinstance(value, str) or not value:
        return None
    expansion = w.model.term.expand(value.partition("|")[0])
    return (value, expansion) if expansion is not None else None


def _held(w: Walker, group: Json, side: str) -> tuple[str, set[str]] | None:
    """The group's source (target) system and its codes when a complete CodeSystem of it is held here, at the
    version named (one of other content gets only HL7's warning)."""
    system, version = group.get(side), group.get(f"{side}Version")
    if not isinstance(system, str) or system in GRAMMARS:
        return None
    cs = w.model.term.code_system(system)
    if cs is None or (isinstance(version, str) and version != cs.get("version")):
        return None
    codes = w.model.term.system_codes(system)
    return (system, codes) if codes is not None else None


def _code(w: Walker, held: tuple[str, set[str]], code: Any, loc: str, side: str,
          scope: tuple[str, Expansion] | None) -> None:
    """Compared exactly, whatever the system's caseSensitive: HL7 looks the code up with
    CodeSystemUtilities.getCode, which compares with equals. A code of the system is then looked for in the
    map's value set for that side; one the value set cannot answer for here (a system it leaves open) is not
    judged (HL7: CONCEPTMAP_GROUP_*_CODE_CANT_CHECK, a warning)."""
    system, codes = held
    if not isinstance(code, str):
        return
    if code not in codes:
        w.sink.error("code-unknown", loc, f"the {side} code {code!r} is not a code of the code system {system}")
    elif scope is not None and scope[1].contains(system, code) is False:
        w.sink.error("code-invalid", loc, f"the {side} code {code!r} is not in the map's {side} value set {scope[0]}")


def _check_scopes(w: Walker, cm: Json, loc: str) -> None:
    """The map's source and target name value sets: a canonical held here only as another kind of resource (a
    CodeSystem, a StructureDefinition) is an error (``readVSReference``: CONCEPTMAP_VS_NOT_A_VS)."""
    for side in ("source", "target"):
        value = cm.get(f"{side}Uri", cm.get(f"{side}Canonical"))
        if not isinstance(value, str) or not value:
            continue
        url = value.partition("|")[0]
        if w.model.term.value_set(url) is not None:
            continue
        kind = "CodeSystem" if w.model.term.code_system(url) is not None else None
        if kind is None:
            try:
                kind = "StructureDefinition" if w.model.source.structure(url) is not None else None
            except Exception:  # noqa: BLE001 - a structure that cannot be built is not there
                kind = None
        if kind is not None:
            w.sink.error("value-set-rule", f"{loc}.{side}", f"the map's {side} {value} is a {kind}, not a value set")
