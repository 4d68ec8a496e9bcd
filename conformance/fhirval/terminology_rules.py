"""Rules for CodeSystem and ValueSet resources that only the terminology held here can judge.

As HL7's validator, without its terminology server:

- a CodeSystem that ``supplements`` another has ``content`` ``supplement``;
- a CodeSystem whose ``content`` is ``not-present`` lists no concepts;
- a ValueSet's ``compose`` lists only codes its system has, judged for a complete CodeSystem held here
  (the source or the THO package) and a version that is not pinned to another one; a grammar system
  (UCUM) by its grammar. A system we do not hold is left alone: nothing can be said about it;
- a ValueSet's include/exclude does not name a supplement, nor a ValueSet, as its system
  (ValueSetValidator: VALUESET_INCLUDE_CS_SUPPLEMENT, VALUESET_INCLUDE_WRONG_VS);
- a filter uses an operator its property allows and a value of the property's type: a code of the system
  for ``concept``/``code``/``parent``/``child``, true/false for booleans and ``exists``, dates, decimals,
  integers (ValueSetValidator.validateValueSetIncludeFilter with CodeSystemChecker /
  CodeSystemBasedChecker.rulesForFilter) on a CodeSystem held here; SNOMED CT's own properties and
  operators (SnomedCTChecker, a value that is no SCTID), and the properties every code system has on one not
  held (GeneralCodeSystemChecker), see terminology_checkers.py. LOINC, RxNorm, UCUM, CPT and BCP-47, which
  HL7's validator has other checkers for, are left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from conformance.fhirval import code_system_rules, ecl, java_text
from conformance.fhirval.source import items
from conformance.fhirval.terminology_checkers import (
    GENERIC,
    OWN_CHECKERS,
    Rule,
    has_own_checker,
    snomed_rule,
    unheld_rule,
)
from conformance.fhirval.terminology_grammars import GRAMMARS, SERVER_SIDE

if TYPE_CHECKING:
    from collections.abc import Callable

    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def check(w: Walker, res: Json, rtype: str, loc: str) -> None:
    if rtype == "CodeSystem":
        check_code_system(w, res, loc)
        code_system_rules.check(w, res, loc)
    elif rtype == "ValueSet":
        check_value_set(w, res, loc)


def check_code_system(w: Walker, cs: Json, loc: str) -> None:
    content = cs.get("content")
    if isinstance(cs.get("supplements"), str) and isinstance(content, str) and content != "supplement":
        w.sink.error("code-system-content", f"{loc}.content",
                     f"a CodeSystem that supplements {cs['supplements']} has content 'supplement', not {content!r}")
    if content == "not-present" and items(cs.get("concept")):
        w.sink.error("code-system-content", f"{loc}.concept[0]",
                     "the CodeSystem says its content is not-present, but it lists concepts")


def check_value_set(w: Walker, vs: Json, loc: str) -> None:
    compose = vs.get("compose")
    if not isinstance(compose, dict):
        return
    term = w.model.term
    for part in ("include", "exclude"):
        for i, inc in enumerate(items(compose.get(part))):
            system = inc.get("system") if isinstance(inc, dict) else None
            if isinstance(system, str):
                _check_system(w, inc, system, f"{loc}.compose.{part}[{i}]")
            if not isinstance(system, str) or not items(inc.get("concept")):
                continue
            cs = term.code_system(system)
            version = inc.get("version")
            if system not in GRAMMARS and (cs is None or (isinstance(version, str) and version != cs.get("version"))):
                continue  # not held, or held at another version than the one this include names
            if system in SERVER_SIDE and isinstance(version, str):
                continue  # a SNOMED CT / LOINC release HL7's server may not hold: its codes are not judged there
            concepts = items(inc.get("concept"))
            if w.options.too_many_codes(len(concepts)):
                # ValueSetValidator.validateValueSetInclude: more concepts than codeSystemValidationSizeLimit
                # (1000 unless set; HL7's runner leaves it) are not checked at all, a hint instead
                # (VALUESET_INC_TOO_MANY_CODES)
                w.sink.info("too-many-codes", f"{loc}.compose.{part}[{i}]",
                            f"the value set include has too many concepts to validate ({len(concepts)}, more than the "
                            f"limit of {w.options.code_system_validation_size_limit}), so each individual code has "
                            "not been checked")
                continue
            for j, concept in enumerate(concepts):
                code = concept.get("code") if isinstance(concept, dict) else None
                if isinstance(code, str) and term.code_in_system(system, code) is False:
                    w.sink.error("code-unknown", f"{loc}.compose.{part}[{i}].concept[{j}]",
                                 f"the code {code!r} is not a code of the code system {system}")


_COMPARATOR = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_FORMS = {
    "dateTime": re.compile(r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|"
                           r"3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3])"
                           r":[0-5][0-9]|14:00))?)?)?)?"),
    "decimal": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"),
    "integer": re.compile(r"[+-]?\d+"),
}


def _check_system(w: Walker, inc: Json, system: str, where: str) -> None:
    term = w.model.term
    if term.is_supplement(system):
        w.sink.error("value-set-rule", f"{where}.system", f"{system} is a CodeSystem supplement: a ValueSet takes "
                                                          "its codes from the code system it supplements")
        return
    if term.names_value_set_only(system):
        w.sink.error("value-set-rule", f"{where}.system", f"{system} is a ValueSet, not a code system: include it "
                                                          "with valueSet")
        return
    cs = term.code_system(system)
    rules: Callable[[str], Rule | None]
    if has_own_checker(system):
        rules = snomed_rule
    elif system in OWN_CHECKERS:
        return
    elif cs is None:
        rules = unheld_rule  # GeneralCodeSystemChecker: the names and rules every code system has
    else:
        def rules(prop: str) -> Rule | None:
            return _filter_rules(cs, prop)
    for k, flt in enumerate(items(inc.get("filter"))):
        if isinstance(flt, dict):
            _check_filter(w, rules, system, flt, f"{where}.filter[{k}]")


def _filter_rules(cs: Json, prop: str) -> Rule | None:
    """(value type, code must be the system's, allowed ops) for a filter property a held CodeSystem knows;
    None for a property it does not know (HL7's validator: a warning) or one with nothing to check."""
    declared = frozenset(op for f in items(cs.get("filter")) if isinstance(f, dict) and f.get("code") == prop
                         for op in items(f.get("operator")) if isinstance(op, str))
    for p in items(cs.get("property")):
        if isinstance(p, dict) and p.get("code") == prop and isinstance(p.get("type"), str):
            kind = {"boolean": "boolean", "code": "code", "dateTime": "dateTime", "decimal": "decimal",
                    "integer": "integer"}.get(p["type"])
            return (kind, False, declared) if kind else None  # a code property: HL7 only warns on unknown codes
    if prop in GENERIC:
        kind, own, ops = GENERIC[prop]
        if prop in ("parent", "child", "partOf") and not cs.get("hierarchyMeaning") and not declared:
            return None
        return kind, own, (ops | declared) if ops else declared
    return None


def _check_filter(w: Walker, rule_for: Callable[[str], Rule | None], system: str, flt: Json, where: str) -> None:
    prop, op, value = flt.get("property"), flt.get("op"), flt.get("value")
    if not isinstance(prop, str) or not isinstance(op, str) or not isinstance(value, str):
        return
    rules = rule_for(prop)
    if rules is None:
        return
    kind, own, ops = rules
    if ops and op not in ops:
        w.sink.error("value-set-rule", f"{where}.op", f"the operator {op!r} is not allowed for the property {prop!r} "
                                                      f"of {system} (allowed: {', '.join(sorted(ops))})")
    if op == "exists":
        kind, own = "boolean", False
    elif op == "regex":
        if prop == "concept":
            w.sink.error("value-set-rule", f"{where}.property", "the regex operator applies to 'code', not 'concept'")
        return
    # Java's value.split("\\,"): "a,b," is two values, no empty third (java_text.split)
    for item in java_text.split(value, ",") if op in ("in", "not-in") else [value]:
        problem = _value_problem(w, system, kind, own, item)
        if problem:
            w.sink.error("value-set-rule", f"{where}.value", f"the value {item!r} of the filter on {prop!r}: {problem}")


def _value_problem(w: Walker, system: str, kind: str | None, own: bool, value: str) -> str | None:
    if kind == "boolean":
        return None if value in ("true", "false") else "must be true or false"
    if kind == "ecl":
        return ecl.problem(value)
    if kind == "code":
        if java_text.trim(value) != value:  # value.trim().equals(value): String.trim(), not str.strip()
            return "a code has no leading or trailing whitespace"
        if own and w.model.term.code_in_system(system, value) is False:
            return f"is not a code of {system}"
        return None
    if kind in _FORMS:
        bare = value[2:] if value.startswith(_COMPARATOR) else value
        return None if _FORMS[kind].fullmatch(bare) else f"is not a valid {kind}"
    return None
