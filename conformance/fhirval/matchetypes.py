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

from typing import TYPE_CHECKING

from conformance.fhirval.source import objects, value_of

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_TOOLS = "http://hl7.org/fhir/tools/StructureDefinition/"
MARKER = _TOOLS + "matchetype"
_PATTERN_EXTENSIONS = frozenset({_TOOLS + "matchetype-optional", _TOOLS + "matchetype-count",
                                 _TOOLS + "matchetype-value"})


def check(w: Walker, res: Json, loc: str) -> None:
    """The marker on a resource: refused while matchetypes are disallowed (the default)."""
    if _marker(res) is not None:
        w.sink.error("matchetype", loc, "a matchetype (a test pattern) is not allowed here")


def pattern_extension(w: Walker, url: str, loc: str) -> None:
    """A pattern extension met by the walker (extensions.definition, on every extension it walks; a walk of its
    own over each resource cost about 7% of validation) is allowed only in a matchetype proper: the resource
    being walked carries the marker with partial, complete or true."""
    if url not in _PATTERN_EXTENSIONS:
        return
    marker = _marker(w.frames[-1].resource if w.frames else w.root)
    value = value_of(marker) if marker is not None else None
    if value is True or value in ("partial", "complete", "true"):  # HL7 reads primitiveValue(): valueBoolean too
        return
    w.sink.error("matchetype", loc, f"the extension {url} is only allowed in a matchetype (a test pattern)")


def _marker(res: Json) -> Json | None:
    """The resource's own matchetype marker extension, if it has one."""
    return next((e for e in objects(res.get("extension")) if e.get("url") == MARKER), None)
