"""A parameterised ValueSet's filter expressions, as HL7's ValueSetValidator.validateValueSetIncludeFilter.

A filter may give its value as an expression (the ``cqf-expression`` extension on ``filter.value``, the value
itself absent) over the parameters the ValueSet declares with the tools extension ``valueset-parameter``.
HL7's validator then requires the expression to be FHIRPath (VALUESET_BAD_FILTER_EXPR_LANG), to parse
(VALUESET_BAD_FILTER_EXPR_VALUE) and to name only declared parameters as ``%name`` constants
(VALUESET_BAD_FILTER_EXPR_PARAM_NAME). It checks so only for a filter property its code system checker knows
and has rules for: here only ``concept`` and ``inactive``, which every checker (the general one, SNOMED CT's)
knows; other properties are left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conformance.fhirval.source import Json

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

PARAMETER = "http://hl7.org/fhir/tools/StructureDefinition/valueset-parameter"
EXPRESSION = "http://hl7.org/fhir/StructureDefinition/cqf-expression"
_PROPERTIES = frozenset({"concept", "inactive"})
# FHIRLexer reads a constant as '%' then letters, digits, ':', '-' and '_' (a backquoted one is not judged)
_CONSTANT = re.compile(r"%([A-Za-z0-9:_-]+)")
_ENVIRONMENT = frozenset({"ucum", "sct", "loinc", "context", "resource", "rootResource", "now", "today"})


def _list(value: Any) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _parameters(vs: Json) -> set[str]:
    return {str(n.get("valueCode") or n.get("valueString")) for e in _list(vs.get("extension"))
            if e.get("url") == PARAMETER for n in _list(e.get("extension")) if n.get("url") == "name"}


def check(w: Walker, vs: Json, loc: str) -> None:
    compose = vs.get("compose")
    if not isinstance(compose, dict):
        return
    declared = _parameters(vs)
    for part in ("include", "exclude"):
        for i, rule in enumerate(_list(compose.get(part))):
            for j, f in enumerate(_list(rule.get("filter"))):
                where = f"{loc}.compose.{part}[{i}].filter[{j}]"
                if f.get("property") in _PROPERTIES and "value" not in f and isinstance(f.get("_value"), dict):
                    _filter(w, f["_value"], declared, where)


def _filter(w: Walker, value: Json, declared: set[str], where: str) -> None:
    for k, ext in enumerate(_list(value.get("extension"))):
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
        if not _parses(_CONSTANT.sub("%c", expression)):
            w.sink.error("value-set-rule", at, f"the filter expression {expression!r} is not valid FHIRPath")
            continue
        for name in dict.fromkeys(_CONSTANT.findall(expression)):
            if name not in declared and not _environment(name):
                w.sink.error("value-set-rule", at, f"the filter expression {expression!r} refers to the unknown "
                                                   f"parameter {name!r}")


def _environment(name: str) -> bool:
    """FHIRPath's own environment variables (never reported: a missed error at worst)."""
    return name in _ENVIRONMENT or name.startswith(("vs-", "ext-"))


def _parses(expression: str) -> bool:
    from fhirpathpy.parser import parse

    try:
        parse(expression)  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - the ANTLR lexer and parser raise several kinds for a syntax error
        return False
    return True
