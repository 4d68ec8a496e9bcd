"""What an element definition may say of a value, by the characteristics of the types it states (fvsite9).

HL7's StructureDefinitionValidator.validateElementDefinition raises SD_ILLEGAL_CHARACTERISTICS, an error, at eight
sites, one per kind of constraint, when none of the types an element states (its root: the structure's own type)
has the characteristic the constraint needs: a ``targetProfile`` on a type without ``has-target`` (judged per
type); ``maxLength`` and the ``minLength`` extension without ``has-length``; ``minValue[x]`` and ``maxValue[x]``
without ``has-range``; the ``maxDecimalPlaces`` extension without ``is-continuous``; the ``maxSize`` extension
without ``has-size``. The binding's site (``can-bind``) is differential.py's. Every element of the differential
and of the snapshot is judged, and only types whose definition is loaded count (``characteristicsValid``); a type
definition's own ``type-characteristics`` extensions win, else HL7's built-in table (addCharacteristics: R4's type
definitions carry no such extension). An element that states no type is not judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.source import element_places, objects, value_of

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_SD = "http://hl7.org/fhir/StructureDefinition/"
_TYPE_CHARACTERISTICS = _SD + "structuredefinition-type-characteristics"
_FHIR_TYPE = _SD + "structuredefinition-fhir-type"
_RANGE, _LENGTH, _CONT, _BIND, _TARGET = "has-range", "has-length", "is-continuous", "can-bind", "has-target"
_UNITS = (_RANGE, _CONT, _BIND)
# StructureDefinitionValidator.addCharacteristics (do-translations and has-units left out: no rule reads them)
_TABLE: dict[str, tuple[str, ...]] = {
    "integer": (_RANGE, _LENGTH), "integer64": (_RANGE, _LENGTH), "decimal": (_RANGE, _CONT, _LENGTH),
    "base64Binary": ("has-size",), "instant": (_RANGE, _CONT, _LENGTH), "string": (_LENGTH, _BIND),
    "uri": (_LENGTH, _BIND), "date": (_RANGE, _LENGTH), "dateTime": (_RANGE, _CONT, _LENGTH),
    "time": (_RANGE, _CONT, _LENGTH), "canonical": (_TARGET, _LENGTH), "code": (_LENGTH, _BIND),
    "id": (_LENGTH,), "markdown": (_LENGTH,), "oid": (_LENGTH, _BIND), "positiveInt": (_RANGE, _LENGTH),
    "unsignedInt": (_RANGE, _LENGTH), "url": (_LENGTH, _BIND), "uuid": (_LENGTH, _BIND),
    "Age": _UNITS, "Attachment": ("has-size",), "CodeableConcept": (_BIND,), "CodeableReference": (_TARGET, _BIND),
    "Coding": (_BIND,), "Count": (_RANGE,), "Distance": _UNITS, "Duration": _UNITS, "Money": (_RANGE, _CONT),
    "Quantity": _UNITS, "Range": (_BIND,), "Reference": (_TARGET,), "Extension": (_BIND,),
    "MoneyQuantity": _UNITS, "SimpleQuantity": _UNITS,
}
# (what the element says, the characteristic it needs): the seven sites after the type's targetProfile
_NEEDS: tuple[tuple[str, str], ...] = (
    ("maxLength", _LENGTH), (_SD + "minLength", _LENGTH), ("minValue", _RANGE), ("maxValue", _RANGE),
    (_SD + "maxDecimalPlaces", _CONT), (_SD + "maxSize", "has-size"))


def _characteristics(w: Walker, code: str) -> set[str] | None:
    """The type's characteristics, None when its definition is not loaded (HL7's fetchTypeDefinition fails)."""
    index = w.model.index(code if ":" in code else _SD + code)
    if index is None:
        return None
    stated = {str(value_of(e)) for e in objects(index.sd.get("extension")) if e.get("url") == _TYPE_CHARACTERISTICS}
    return stated or set(_TABLE.get(code, ()))


def _says(ed: Json, what: str) -> bool:
    if ":" in what:  # an extension on the element
        return any(e.get("url") == what for e in objects(ed.get("extension")))
    if what in ("minValue", "maxValue"):
        return any(key.startswith(what) for key in ed)
    return what in ed


def check(w: Walker, sd: Json, loc: str) -> None:
    for where, ed in element_places(sd, loc):
        path = ed.get("path")
        if not isinstance(path, str):
            continue
        found: set[str] = set()
        valid = False
        if "." not in path:  # the root's type is the structure's (addCharacteristics(characteristics, path))
            found |= set(_TABLE.get(path, ()))
            valid = True
        stated: list[str] = []
        for t in objects(ed.get("type")):
            code = next((value_of(e) for e in objects(t.get("extension")) if e.get("url") == _FHIR_TYPE),
                        None) or t.get("code")
            if not isinstance(code, str) or not code:
                continue
            stated.append(code)
            own = _characteristics(w, code)
            if own is None:
                continue
            valid = True
            found |= own
            if "targetProfile" in t and _TARGET not in own:
                w.sink.error("structure-type", where, f"a targetProfile is not allowed on the type {code} of "
                                                      f"{path} (it has no target)")
        if not valid or not (stated or "." not in path):
            continue
        for what, needed in _NEEDS:
            if needed not in found and _says(ed, what):
                said = what.rpartition("/")[2]
                w.sink.error("structure-type", where, f"{said} is not allowed on {path}: its types "
                                                      f"({', '.join(stated or [path])}) are not {needed}")
