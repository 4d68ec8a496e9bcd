"""A ValueSet's filters and stored expansion, as HL7's ValueSetValidator judges them without a server.

- ``validateValueSetIncludeFilter``, for a filter property the system's checker knows and has rules for
  (``listPropertyNames`` and ``rulesForFilter``: the generic CodeSystemChecker's, and for a system held here
  its CodeSystem's filters and properties, a string property having none): a value and a ``cqf-expression``
  on it both (VALUESET_BAD_FILTER_EXPR_AND_VALUE); neither, the value element present with other extensions
  only (VALUESET_BAD_FILTER_EXPR_OR_VALUE; an absent one is R4's 1..1, cardinality-min); a ``regex`` value
  that does not compile (VALUESET_BAD_FILTER_VALUE_VALID_REGEX). Systems with a checker of their own
  (SNOMED CT, LOINC, RxNorm, UCUM, CPT, BCP-47) are left to it.
- ``validateValueSetInclude``: a ``urn:oid:`` system that is no CodeSystem's URL here but the identifier of
  one or more held CodeSystems (VALUESET_INCLUDE_WRONG_CS_OID, _PLURAL): the system is that CodeSystem's URL;
- ``validateValueSetExpansion``: a code of the expansion whose system has no version while the expansion's
  ``used-codesystem`` parameters name several versions of it (VALUESET_EXPANSION_PARAMETER_SYSTEM_MULTIPLE).

HL7 compiles the regex with Java's ``Pattern``; Python's ``re`` is the stand-in, and only its failures that
Java shares (an unbalanced group or class, nothing to repeat, a reversed range, a trailing backslash) count,
on a pattern without the syntax only one of them has (``\\p{..}``, named groups, inline flags, lookbehind...).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conformance.fhirval.java_regex import compile_java
from conformance.fhirval.source import objects, value_of
from conformance.fhirval.terminology_checkers import GENERIC, OWN_CHECKERS, PROPERTY_NAMES

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

EXPRESSION = "http://hl7.org/fhir/StructureDefinition/cqf-expression"
# CodeSystemChecker.listPropertyNames, and the properties its rulesForFilter has rules for (terminology_checkers)
_KNOWN = PROPERTY_NAMES
_GENERIC_RULES = frozenset(GENERIC)
_RULED_TYPES = frozenset({"boolean", "code", "Coding", "dateTime", "decimal", "integer"})
# Python's re failures that Java's Pattern shares
_SHARED_FAILURES = ("missing ), unterminated subpattern", "unbalanced parenthesis", "unterminated character set",
                    "nothing to repeat", "bad character range", "bad escape (end of pattern)")
# syntax one of the two engines reads and the other does not: such a pattern is not judged
# (a quantifier on an anchor, ``^*`` or ``\\b?``: Java's Pattern.compile takes it, Python's "nothing to repeat")
_ENGINE_SPECIFIC = re.compile(r"\\[pPhHRXzQEGeckKvV0-9]|\\x\{|\(\?[<a-zA-Z^-]|&&|\[[^\]]*\["
                              r"|(?<![\\\[])[\^$][*+?{]|\\[bB][*+?{]")


def check(w: Walker, vs: Json, loc: str) -> None:
    compose = vs.get("compose")
    if isinstance(compose, dict):
        for part in ("include", "exclude"):
            for i, inc in enumerate(objects(compose.get(part))):
                system = inc.get("system")
                if isinstance(system, str) and system.startswith("urn:oid:"):
                    _oid(w, system, f"{loc}.compose.{part}[{i}]")
                for j, flt in enumerate(objects(inc.get("filter"))):
                    if _has_rules(w, system, flt.get("property")):
                        _filter(w, flt, f"{loc}.compose.{part}[{i}].filter[{j}]")
    expansion = vs.get("expansion")
    if isinstance(expansion, dict):
        _expansion(w, expansion, f"{loc}.expansion")


def _oid(w: Walker, system: str, where: str) -> None:
    term = w.model.term
    if term.code_system(system) is not None:
        return
    named = term.code_systems_identified_as(system)
    if named:
        w.sink.error("value-set-rule", where, f"{system} is an identifier of the code system "
                                              f"{' and '.join(named)}: the include names it by its URL")


def _has_rules(w: Walker, system: Any, prop: Any) -> bool:
    """Whether HL7 reaches the value checks: the checker knows the property and has rules for it."""
    if not isinstance(prop, str) or system in OWN_CHECKERS:
        return False
    cs = w.model.term.code_system(system) if isinstance(system, str) else None
    if cs is None:
        return prop in _KNOWN and prop in _GENERIC_RULES
    known = _KNOWN | {f.get("code") for f in objects(cs.get("filter"))} | {
        p.get("code") for p in objects(cs.get("property"))}
    if prop not in known:
        return False
    for p in objects(cs.get("property")):
        if p.get("code") == prop and isinstance(p.get("type"), str):
            return p["type"] in _RULED_TYPES  # a string property (or one of another type) has none
    return prop in _GENERIC_RULES


def _filter(w: Walker, flt: Json, where: str) -> None:
    value, element = flt.get("value"), flt.get("_value")
    expression = next((e for e in objects(element.get("extension")) if e.get("url") == EXPRESSION), None) \
        if isinstance(element, dict) else None
    if value is None:
        if isinstance(element, dict) and (expression is None or "valueExpression" not in expression):
            w.sink.error("value-set-rule", f"{where}.value", "a filter has a value or an expression for it "
                                                             "(cqf-expression with a value), and this one neither")
        return
    if expression is not None:
        w.sink.error("value-set-rule", f"{where}.value", "a filter has a value or an expression for it, not both")
    if flt.get("op") == "regex" and isinstance(value, str):
        problem = regex_problem(value)
        if problem is not None:
            w.sink.error("value-set-rule", f"{where}.value", f"the regex {value!r} of the filter on "
                                                             f"{flt.get('property')!r} is not valid: {problem}")


def regex_problem(pattern: str) -> str | None:
    """Why Java's Pattern would refuse the pattern, when Python's re refuses it the same way; else None."""
    if _ENGINE_SPECIFIC.search(pattern):
        return None
    try:
        compile_java(pattern)  # Java's meaning where Python reads it otherwise ([\\w-.]: a hyphen there)
    except re.error as exc:
        return exc.msg if exc.msg.startswith(_SHARED_FAILURES) else None
    return None


def _expansion(w: Walker, expansion: Json, where: str) -> None:
    unversioned: dict[str, None] = {}

    def walk(contains: Any) -> None:
        for c in objects(contains):
            if isinstance(c.get("system"), str) and c.get("version") is None:
                unversioned[c["system"]] = None
            walk(c.get("contains"))
    walk(expansion.get("contains"))
    used = {v for p in objects(expansion.get("parameter")) if p.get("name") == "used-codesystem"
            for v in [value_of(p)] if isinstance(v, str)}
    for system in unversioned:
        versions = sorted(u for u in used if isinstance(u, str) and u.startswith(system + "|"))
        if len(versions) > 1:
            w.sink.error("value-set-rule", where, f"the expansion has codes of {system} without a version, and its "
                                                  f"used-codesystem parameters name several: {', '.join(versions)}")
