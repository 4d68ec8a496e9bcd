"""Matchetypes (test patterns) are refused in ordinary validation, as HL7's validator refuses them by default.

A matchetype is a resource marked with HL7's tools extension ``.../matchetype`` that serves as a pattern for
test output (``$string$``, ``$date$``... values, ``matchetype-optional`` / ``-count`` / ``-value`` extensions).
InstanceValidator.validateResource: a resource carrying the marker is RESOURCE_MATCHETYPE_DISALLOWED while the
matchetype status is Disallowed, the default (its test runner changes it only for a case with a "matchetype"
key, which no R4 case here has); checkExtension: one of the three pattern extensions in a resource that is not a
matchetype is RESOURCE_NOT_MATCHETYPE_EXTENSION. Both errors. The resource's own extensions and those of its
elements count, not those of a resource inside it (contained, a Bundle entry's: each is judged on its own walk).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.source import objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_TOOLS = "http://hl7.org/fhir/tools/StructureDefinition/"
MARKER = _TOOLS + "matchetype"
_PATTERN_EXTENSIONS = frozenset({_TOOLS + "matchetype-optional", _TOOLS + "matchetype-count",
                                 _TOOLS + "matchetype-value"})


def check(w: Walker, res: Json, loc: str) -> None:
    marker = [e for e in objects(res.get("extension")) if e.get("url") == MARKER]
    if marker:
        w.sink.error("matchetype", loc, "a matchetype (a test pattern) is not allowed here")
    if marker and next((v for k, v in marker[0].items() if k.startswith("value")), None) in ("partial", "complete",
                                                                                              "true"):
        return  # a matchetype proper may use the pattern extensions
    _pattern_extensions(w, res, loc, top=True)


def _pattern_extensions(w: Walker, value: Any, loc: str, top: bool = False) -> None:
    if isinstance(value, list):
        for i, item in enumerate(value):
            _pattern_extensions(w, item, f"{loc}[{i}]")
        return
    if not isinstance(value, dict) or (not top and "resourceType" in value):
        return
    for key, item in value.items():
        if key in ("contained",) and top:
            continue
        if key in ("extension", "modifierExtension") and isinstance(item, list):
            for i, ext in enumerate(item):
                url = ext.get("url") if isinstance(ext, dict) else None
                if isinstance(url, str) and url in _PATTERN_EXTENSIONS:
                    w.sink.error("matchetype", f"{loc}.{key}[{i}]", f"the extension {url} is only allowed in a "
                                                                    "matchetype (a test pattern)")
        if isinstance(item, dict | list):
            _pattern_extensions(w, item, f"{loc}.{key.removeprefix('_')}")
