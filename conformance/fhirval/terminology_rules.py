"""Rules for CodeSystem and ValueSet resources that only the terminology held here can judge.

As HL7's validator, without its terminology server:

- a CodeSystem that ``supplements`` another has ``content`` ``supplement``;
- a CodeSystem whose ``content`` is ``not-present`` lists no concepts;
- a ValueSet's ``compose`` lists only codes its system has, judged for a complete CodeSystem held here
  (the source or the THO package) and a version that is not pinned to another one; a grammar system
  (UCUM) by its grammar. A system we do not hold is left alone: nothing can be said about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.terminology_grammars import GRAMMARS

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def check(w: Walker, res: Json, rtype: str, loc: str) -> None:
    if rtype == "CodeSystem":
        check_code_system(w, res, loc)
    elif rtype == "ValueSet":
        check_value_set(w, res, loc)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def check_code_system(w: Walker, cs: Json, loc: str) -> None:
    content = cs.get("content")
    if isinstance(cs.get("supplements"), str) and isinstance(content, str) and content != "supplement":
        w.sink.error("code-system-content", f"{loc}.content",
                     f"a CodeSystem that supplements {cs['supplements']} has content 'supplement', not {content!r}")
    if content == "not-present" and _list(cs.get("concept")):
        w.sink.error("code-system-content", f"{loc}.concept[0]",
                     "the CodeSystem says its content is not-present, but it lists concepts")


def check_value_set(w: Walker, vs: Json, loc: str) -> None:
    compose = vs.get("compose")
    if not isinstance(compose, dict):
        return
    term = w.model.term
    for part in ("include", "exclude"):
        for i, inc in enumerate(_list(compose.get(part))):
            system = inc.get("system") if isinstance(inc, dict) else None
            if not isinstance(system, str) or not _list(inc.get("concept")):
                continue
            cs = term.code_system(system)
            version = inc.get("version")
            if system not in GRAMMARS and (cs is None or (isinstance(version, str) and version != cs.get("version"))):
                continue  # not held, or held at another version than the one this include names
            for j, concept in enumerate(_list(inc.get("concept"))):
                code = concept.get("code") if isinstance(concept, dict) else None
                if isinstance(code, str) and term.code_in_system(system, code) is False:
                    w.sink.error("code-unknown", f"{loc}.compose.{part}[{i}].concept[{j}]",
                                 f"the code {code!r} is not a code of the code system {system}")
