"""Where HL7's ValueSetValidator reads a coding otherwise than a lookup in an expansion would.

Two readings of org.hl7.fhir.r5 terminologies/validation/ValueSetValidator.java (hapifhir/org.hl7.fhir.core
b06c7ee), kept apart from bindings.py because each follows one method of it, condition by condition:

- a CodeableConcept's coding without a system (``codeInValueSet`` / ``inComponent`` with a null system): a
  member only through an include that is the value set's only one and lists the code;
- a display against the code's display and designations (``validateCode(path, Coding, CodeSystem, ...)``):
  case is ignored, whitespace is not, and a designation counts only in the language of the validation;
- a display the bound value set itself gives the code (``findValueSetRef``, read when ``isUseValueSetDisplays``,
  which HL7's test runner sets below R5);
- a bare code placed in a system of the value set (``systemForCodeInValueSet``): in any case where the CodeSystem
  is not case-sensitive.

(The special codes of HL7 v2 table 0203, ``findSpecialConcept``'s ``NN`` and a country code, are left unjudged by
``Terminology.code_in_system``, for every caller.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from conformance.fhirval.java_text import equals_ignore_case, java_fold
from conformance.fhirval.source import Json
from conformance.fhirval.terminology_filters import as_list

if TYPE_CHECKING:
    from conformance.fhirval.terminology import Terminology

__all__ = ["display_matches", "places_code", "plain_compose", "systemless_member", "unplaced",
           "value_set_display"]


def _enter(value_set: Json, seen: frozenset[str]) -> frozenset[str] | None:
    """The value sets on the way in, this one added; None when it was met already (an import cycle: nothing more
    is learnt from it)."""
    url = value_set.get("url")
    if not isinstance(url, str):
        return seen
    return None if url in seen else seen | {url}


# ---- a coding without a system ------------------------------------------------------------------


def systemless_member(value_set: object, code: str, resolve: object, seen: frozenset[str] = frozenset()) -> bool | None:
    """Whether HL7's ValueSetValidator.codeInValueSet puts a CodeableConcept's coding that has no system in the
    value set: a stored expansion never matches (checkExpansion compares the null system), and of the compose
    only an include that is the only include and lists the code does (inComponent: ``only && system == null``);
    an include made only of imported value sets answers as they do; an exclude takes the code out the same way.
    None when an imported value set is not held. ``resolve`` gives a ValueSet by URL (or None)."""
    entered = _enter(value_set, seen) if isinstance(value_set, dict) else None
    if entered is None or not isinstance(value_set, dict):
        return None
    seen = entered
    if value_set.get("expansion"):
        return False
    compose = value_set.get("compose")
    if not isinstance(compose, dict):
        return False
    result = _any_part(compose.get("include"), code, resolve, seen)
    gone = _any_part(compose.get("exclude"), code, resolve, seen)
    if gone is True:
        return False
    return None if gone is None and result is False else result


def _any_part(parts: object, code: str, resolve: object, seen: frozenset[str]) -> bool | None:
    """codeInValueSet's loop over the includes (or the excludes): True at the first that has the code, else None
    when one could not tell, else False."""
    listed = [p for p in as_list(parts) if isinstance(p, dict)]
    result: bool | None = False
    for part in listed:
        ok = _component(part, code, len(listed) == 1, resolve, seen)
        if ok:
            return True
        if ok is None:
            result = None
    return result


def _component(part: Json, code: str, only: bool, resolve: object, seen: frozenset[str]) -> bool | None:
    """ValueSetValidator.inComponent for a null system: imported value sets first (each must have the code),
    then the code listed in an only include; an include naming a system matches nothing else."""
    ok: bool | None = True
    for url in (u for u in as_list(part.get("valueSet")) if isinstance(u, str)):
        found = resolve(url.split("|")[0]) if callable(resolve) else None
        ok = systemless_member(found, code, resolve, seen)
        if ok is not True:
            return ok
    if not isinstance(part.get("system"), str):
        return ok
    return only and any(isinstance(c, dict) and c.get("code") == code for c in as_list(part.get("concept")))


# ---- displays -----------------------------------------------------------------------------------


def _language_ok(working: str, language: object) -> bool:
    """ValueSetValidator.isOkLanguage with the validation's one language (the resource's ``language``, else
    en-US): no language is always fine (englishOk, true by default); else LanguageUtils.langsMatch, the working
    language starting with the other (``en-US`` takes ``en`` and ``en-US``, not ``en-GB``)."""
    if not isinstance(language, str):
        return True
    return working.startswith(language) or language == "*"


def display_matches(display: str, concept: Json, cs_language: object, working: str | None) -> bool:
    """Whether HL7's ValueSetValidator accepts a Coding's display for a concept: the concept's display when the
    CodeSystem's language suits, or a designation in a suitable language, compared ignoring case
    (equalsIgnoreCase) but not whitespace (a whitespace-only difference is DISPLAY_NAME_WS_FOR_..., still wrong).
    When no display suits the language, one in the CodeSystem's own language is accepted (information,
    NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK)."""
    lang = working or "en-US"
    given = java_fold(display)
    own = concept.get("display")
    suitable: list[str] = []
    fallback: list[str] = []
    if isinstance(own, str):
        (suitable if _language_ok(lang, cs_language) else fallback).append(own)
    for d in as_list(concept.get("designation")):
        if not isinstance(d, dict) or not isinstance(d.get("value"), str):
            continue
        if _language_ok(lang, d.get("language")):
            suitable.append(d["value"])
        elif d.get("language") == cs_language:
            fallback.append(d["value"])
    if _any_equal(given, suitable):
        return True
    return not suitable and _any_equal(given, fallback)


def _any_equal(given: str, texts: Iterable[str]) -> bool:
    """Whether a text is String.equalsIgnoreCase to the folded ``given`` (java_text.java_fold: Python's lower()
    told a micro sign from a Greek mu, where Java's equalsIgnoreCase does not)."""
    return any(given == java_fold(t) for t in texts)


def value_set_display(value_set: object, system: str, code: str, display: str, working: str | None, resolve: object,
                      seen: frozenset[str] = frozenset()) -> bool:
    """Whether the value set a coding is validated against gives the code this display: HL7's
    ValueSetValidator.validateCode, "also check to see if the value set has another display" when
    ``options.isUseValueSetDisplays()`` (ValidationTests sets it for every R4 case), reads findValueSetRef: the
    stored expansion's top-level ``contains``, else an include's listed ``concept`` for that system, else the
    imported value sets in turn; that entry's display (in the value set's language) or a designation in a suitable
    language is accepted, case ignored. A profile's own value set can so carry its translations and alternates."""
    entered = _enter(value_set, seen) if isinstance(value_set, dict) else None
    if entered is None or not isinstance(value_set, dict):
        return False
    seen = entered
    entry = _value_set_ref(value_set, system, code, resolve, seen)
    if entry is None:
        return False
    lang = working or "en-US"
    texts = [entry[1]["display"]] if isinstance(entry[1].get("display"), str) and _language_ok(
        lang, entry[0].get("language")) else []
    texts += [d["value"] for d in as_list(entry[1].get("designation"))
              if isinstance(d, dict) and isinstance(d.get("value"), str) and _language_ok(lang, d.get("language"))]
    return _any_equal(java_fold(display), texts)


def _value_set_ref(value_set: Json, system: str, code: str, resolve: object,
                   seen: frozenset[str]) -> tuple[Json, Json] | None:
    """findValueSetRef: the (value set, entry) that names the code first, or None."""
    expansion = value_set.get("expansion")
    for c in as_list(expansion.get("contains") if isinstance(expansion, dict) else None):
        if isinstance(c, dict) and c.get("system") == system and c.get("code") == code:
            return value_set, c
    compose = value_set.get("compose")
    for inc in as_list(compose.get("include") if isinstance(compose, dict) else None):
        if not isinstance(inc, dict):
            continue
        if inc.get("system") == system:
            for c in as_list(inc.get("concept")):
                if isinstance(c, dict) and c.get("code") == code:
                    return value_set, c
        for u in (u for u in as_list(inc.get("valueSet")) if isinstance(u, str)):
            found = resolve(u.split("|")[0]) if callable(resolve) else None
            if isinstance(found, dict) and not (isinstance(found.get("url"), str) and found["url"] in seen):
                hit = _value_set_ref(found, system, code, resolve, seen | {str(found.get("url"))})
                if hit is not None:
                    return hit
    return None


# ---- a bare code's system -----------------------------------------------------------------------


def places_code(term: Terminology, value_set: object, code: str) -> bool:
    """Whether ValueSetValidator.systemForCodeInValueSet finds a system for a bare code among a value set's includes
    of a system (scanForCodeInValueSetInclude): of a complete CodeSystem, a listed concept equal to it (ignoring case
    unless the CodeSystem is case-sensitive) or, with none listed, a concept of it (findCodeInConcept, the same
    rule); of any other, a listed concept equal to it. None found is UNABLE_TO_INFER_CODESYSTEM."""
    compose = value_set.get("compose") if isinstance(value_set, dict) else None
    for inc in as_list(compose.get("include") if isinstance(compose, dict) else None):
        system = inc.get("system") if isinstance(inc, dict) else None
        if not isinstance(system, str):
            continue
        cs = term.code_system(system)
        complete = cs is not None and cs.get("content", "complete") == "complete" and not cs.get("supplements")
        folded = complete and cs is not None and cs.get("caseSensitive") is not True
        listed = [c["code"] for c in as_list(inc.get("concept"))
                  if isinstance(c, dict) and isinstance(c.get("code"), str)]
        if any(c == code or (folded and equals_ignore_case(c, code)) for c in listed):
            return True
        if complete and not listed and term.code_in_system(system, code) is True:
            return True
    return False


def plain_compose(vs: Json | None) -> bool:
    """Whether HL7's validator places a bare code by scanning the value set's includes alone: each names a
    system with no filter and no imported value set (those take other paths, with other messages or none), and
    none is a grammar-based system (BCP 47, MIME types), whose code providers answer differently."""
    compose = vs.get("compose") if isinstance(vs, dict) else None
    includes = compose.get("include") if isinstance(compose, dict) else None
    if not isinstance(includes, list) or not includes:
        return False
    return all(isinstance(inc, dict) and isinstance(inc.get("system"), str) and not inc.get("filter")
               and not inc.get("valueSet") and not inc["system"].startswith("urn:ietf:") for inc in includes)


def unplaced(term: Terminology, vs_url: str, code: str) -> bool:
    """Whether HL7's validator says a bare code (a primitive under a binding) has no system in the value set
    (UNABLE_TO_INFER_CODESYSTEM, an error of its own beside the binding's): a plain compose none of whose includes
    places the code."""
    value_set = term.value_set(vs_url)
    return plain_compose(value_set) and not places_code(term, value_set, code)
