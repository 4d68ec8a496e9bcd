"""A parameterised ValueSet's filter expressions, as HL7's ValueSetValidator.validateValueSetIncludeFilter.

A filter may give its value as an expression (the ``cqf-expression`` extension on ``filter.value``, the value
itself absent) over the parameters the ValueSet declares with the tools extension ``valueset-parameter``.
HL7's validator then requires the expression to be FHIRPath (VALUESET_BAD_FILTER_EXPR_LANG), to parse
(VALUESET_BAD_FILTER_EXPR_VALUE) and to name only declared parameters as ``%name`` constants
(VALUESET_BAD_FILTER_EXPR_PARAM_NAME). It checks so only for a filter property its code system checker knows
and has rules for (``csChecker.rulesForFilter(property)`` non-null, ValueSetValidator.validateValueSetIncludeFilter):
here only ``concept`` and ``inactive``, and not where HL7's checker returns null for them: CPTChecker for both,
LoincChecker for ``inactive``, CodeSystemBasedChecker (a loaded CodeSystem) for a property it defines of type
string. Other properties are left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conformance.fhirval.source import Json, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

PARAMETER = "http://hl7.org/fhir/tools/StructureDefinition/valueset-parameter"
EXPRESSION = "http://hl7.org/fhir/StructureDefinition/cqf-expression"
_PROPERTIES = frozenset({"concept", "inactive"})
# the checkers whose rulesForFilter is null for these properties (CPTChecker, LoincChecker)
_NO_RULES = {"http://www.ama-assn.org/go/cpt": _PROPERTIES, "http://loinc.org": frozenset({"inactive"})}
# FHIRLexer reads a constant as '%' then letters, digits, ':', '-' and '_', which fhirpathpy's grammar cannot
# (it reads %p-code as %p - code): each is renamed %cN, outside string literals and comments, before parsing, and
# the constants are then read from the parsed tree (a backquoted one is not judged)
_TOKEN = re.compile(r"""'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|%([A-Za-z0-9:_-]+)""", re.S)
_ENVIRONMENT = frozenset({"ucum", "sct", "loinc", "context", "resource", "rootResource", "now", "today"})


def _parameters(vs: Json) -> set[str]:
    return {str(n.get("valueCode") or n.get("valueString")) for e in objects(vs.get("extension"))
            if e.get("url") == PARAMETER for n in objects(e.get("extension")) if n.get("url") == "name"}


def check(w: Walker, vs: Json, loc: str) -> None:
    compose = vs.get("compose")
    if not isinstance(compose, dict):
        return
    declared = _parameters(vs)
    for part in ("include", "exclude"):
        for i, rule in enumerate(objects(compose.get(part))):
            for j, f in enumerate(objects(rule.get("filter"))):
                where = f"{loc}.compose.{part}[{i}].filter[{j}]"
                prop = f.get("property")
                if (isinstance(prop, str) and prop in _PROPERTIES and "value" not in f
                        and isinstance(f.get("_value"), dict)
                        and _has_rules(w, rule.get("system"), str(prop))):
                    _filter(w, f["_value"], declared, where)


def _has_rules(w: Walker, system: Any, prop: str) -> bool:
    """Whether HL7's code system checker for ``system`` has rules for the filter property (getSystemValidator,
    then rulesForFilter): null from CPTChecker and LoincChecker as _NO_RULES, and from CodeSystemBasedChecker for
    a property the CodeSystem defines as a string."""
    if not isinstance(system, str):
        return True
    if prop in _NO_RULES.get(system, ()):
        return False
    cs = w.model.term.code_system(system)
    return cs is None or not any(p.get("code") == prop and p.get("type") == "string"
                                 for p in objects(cs.get("property")))


def _filter(w: Walker, value: Json, declared: set[str], where: str) -> None:
    for k, ext in enumerate(objects(value.get("extension"))):
        expr = ext.get("valueExpression") if ext.get("url") == EXPRESSION else None
        if not isinstance(expr, dict):
            continue
        at = f"{where}._value.extension[{k}].valueExpression"
        language, expression = expr.get("language"), expr.get("expression")
        if language != "text/fhirpath":
            w.sink.error("value-set-rule", at, f"a ValueSet filter expression's language must be 'text/fhirpath', "
                                               f"not {language!r}")
            continue
        if not isinstance(expression, str) or "`" in expression:
            continue
        constants = _constants(expression)
        if constants is None:
            w.sink.error("value-set-rule", at, f"the filter expression {expression!r} is not valid FHIRPath")
            continue
        for name in constants:
            if name not in declared and not _environment(name):
                w.sink.error("value-set-rule", at, f"the filter expression {expression!r} refers to the unknown "
                                                   f"parameter {name!r}")


def _environment(name: str) -> bool:
    """FHIRPath's own environment variables (never reported: a missed error at worst)."""
    return name in _ENVIRONMENT or name.startswith(("vs-", "ext-"))


def _constants(expression: str) -> list[str] | None:
    """The ``%`` constants of the parsed expression, in order, once each (ValueSetValidator.scanForConstants);
    None when it does not parse."""
    from fhirpathpy.parser import parse

    names: list[str] = []

    def rename(m: re.Match[str]) -> str:
        if m[1] is None:
            return m[0]
        names.append(m[1])
        return f"%c{len(names) - 1}"
    try:
        tree = parse(_TOKEN.sub(rename, expression))  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - the ANTLR lexer and parser raise several kinds for a syntax error
        return None
    found: dict[str, None] = {}

    def scan(node: Any) -> None:
        if not isinstance(node, dict):
            return
        if node.get("type") == "ExternalConstant":
            text = next((c.get("text") for c in node.get("children") or () if isinstance(c, dict)), "")
            if isinstance(text, str) and re.fullmatch(r"c\d+", text):
                found[names[int(text[1:])]] = None
        for child in node.get("children") or ():
            scan(child)
    scan(tree)
    return list(found)
