"""Matchetypes (test patterns), judged as HL7's validator judges them: refused by default.

A matchetype is a resource marked with HL7's tools extension ``.../matchetype`` that serves as a pattern for
test output (``$string$``, ``$date$``... values, ``matchetype-optional`` / ``-count`` / ``-value`` extensions).
InstanceValidator.validateResource: a resource carrying the marker is RESOURCE_MATCHETYPE_DISALLOWED while the
matchetype status is Disallowed, the default, and one without it RESOURCE_MATCHETYPE_REQUIRED while it is
Required (Options.matchetype; HL7's test runner sets Required for a case whose "matchetype" key is a JSON
primitive, ValidationTests); checkExtension: one of the three pattern extensions in a resource that is not a
matchetype is RESOURCE_NOT_MATCHETYPE_EXTENSION. All errors. The resource's own extensions and those of its
elements count, not those of a resource inside it (contained, a Bundle entry's: each is judged on its own walk).

In a matchetype (the marker says partial, complete or true), a primitive value starting with ``$`` is a pattern,
not a value: InstanceValidator.checkPrimitive judges it only by the pattern's name (:func:`pattern_value`) and
none of the type's rules, bindings, fixed values or regexes (its ``else`` branch). The resource's own id is still
an id (validateResource: RESOURCE_RES_ID_MALFORMED_*), and the JSON parser still wants the JSON type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.primitives import check_json_type
from conformance.fhirval.source import objects, value_of

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_TOOLS = "http://hl7.org/fhir/tools/StructureDefinition/"
MARKER = _TOOLS + "matchetype"
_PATTERN_EXTENSIONS = frozenset({_TOOLS + "matchetype-optional", _TOOLS + "matchetype-count",
                                 _TOOLS + "matchetype-value"})


# InstanceValidator.checkPrimitive's switch: each pattern and the element types it suits (None: any type)
_PATTERN_TYPES: dict[str, tuple[str, ...] | None] = {
    "$semver$": ("code",), "$url$": ("url", "uri", "uuid", "oid", "canonical"), "$token$": ("code",),
    "$string$": ("string",), "$date$": ("date", "dateTime"), "$version$": ("code",), "$id$": ("id",),
    "$instant$": ("dateTime", "instant"), "$uuid$": ("url", "uri", "uuid", "canonical"), "$$": None}
_PATTERN_PREFIXES = ("$external:", "$choice:", "$fragments:")


def check(w: Walker, res: Json, loc: str) -> None:
    """The marker on a resource: refused while matchetypes are disallowed (the default); its absence refused while
    they are required (InstanceValidator.validateResource, RESOURCE_MATCHETYPE_DISALLOWED / _REQUIRED)."""
    status = w.options.matchetype
    if "extension" in res and _marker(res) is not None:
        if status == "disallowed":
            w.sink.error("matchetype", loc, "a matchetype (a test pattern) is not allowed here")
    elif status == "required":
        w.sink.error("matchetype", loc, f"a matchetype (a test pattern) is required here: the resource lacks the "
                                        f"extension {MARKER}")


def is_matchetype(res: Json) -> bool:
    """Whether the resource is a matchetype proper: its marker says partial, complete or true (HL7 reads
    primitiveValue(): valueBoolean true too). validateResource sets ValidationContext.matchetype from this alone,
    whatever the status."""
    marker = _marker(res) if "extension" in res else None
    value = value_of(marker) if marker is not None else None
    return value is True or value in ("partial", "complete", "true")


def pattern_value(w: Walker, tcode: str, value: str, loc: str) -> None:
    """A ``$`` value in a matchetype (InstanceValidator.checkPrimitive, ``valContext.isMatchetype() &&
    primitiveValue().startsWith("$")``): a known pattern on an element of a type it does not suit is a warning
    (RESOURCE_MATCHETYPE_SUSPECT_TYPE), a pattern HL7 does not know an error (RESOURCE_MATCHETYPE_UNKNOWN_PATTERN),
    and nothing else about the value is judged. A JSON string where the type wants a number or a boolean is still
    the JSON parser's error (elementmodel.JsonParser.parseChildPrimitiveInstance)."""
    wrong = check_json_type(tcode, value)
    if wrong is not None:
        w.sink.error("json-type", loc, wrong)
    if value in _PATTERN_TYPES:
        suits = _PATTERN_TYPES[value]
        if suits is not None and tcode not in suits:
            w.sink.warning("matchetype", loc, f"the type {tcode!r} does not appear to match the matchetype pattern "
                                              f"value {value!r}")
    elif not value.startswith(_PATTERN_PREFIXES):
        w.sink.error("matchetype", loc, f"the matchetype pattern value {value!r} is not valid")


def pattern_extension(w: Walker, url: str, loc: str) -> None:
    """A pattern extension met by the walker (extensions.definition, on every extension it walks; a walk of its
    own over each resource cost about 7% of validation) is allowed only in a matchetype proper: the resource
    being walked carries the marker with partial, complete or true."""
    if url not in _PATTERN_EXTENSIONS:
        return
    if is_matchetype(w.frames[-1].resource if w.frames else w.root):
        return
    w.sink.error("matchetype", loc, f"the extension {url} is only allowed in a matchetype (a test pattern)")


def _marker(res: Json) -> Json | None:
    """The resource's own matchetype marker extension, if it has one."""
    return next((e for e in objects(res.get("extension")) if e.get("url") == MARKER), None)
