"""A Questionnaire derived from another keeps what it derives (QuestionnaireValidator, R4 onwards).

R4's ``Questionnaire.derivedFrom`` with the ``questionnaire-derivationType`` extension (code ``extends`` or
``compliesWith`` of ``http://hl7.org/fhir/questionnaire-derivationType``) binds each item to the source's item of
the same linkId (checkDerivations, validateQuestionnaireElementDerivation, all errors):

- an item the source lacks is an error only under ``compliesWith`` (QUESTIONNAIRE_Q_ITEM_NOT_DERIVED);
- the type stays the source's (_DERIVED_NC_TYPE); an item that does not repeat, or is required, there stays so
  (_NC_REPEATS, _NC_REQUIRED: judged when the derived item states the element);
- a maxLength is kept, and not lengthened (_DERIVED_MAXLENGTH, _NC_MAXLENGTH);
- answer options stay options, and only the source's (_NC_ANSWER_TYPE, _DERIVED_ANSWER_OPTIONS,
  _ANSWER_OPTIONS_NEW); an answer value set stays a value set (_NC_ANSWER_TYPE).

A source not loaded is HL7's warning (QUESTIONNAIRE_Q_UNKNOWN_DERIVATION; information when a dependency not loaded
would define it); a derivation without the extension is only a warning there, and not judged here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from conformance.fhirval.questionnaire_rules import find_item
from conformance.fhirval.source import canonical_resource, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/questionnaire-derivationType"
_TYPES = "http://hl7.org/fhir/questionnaire-derivationType"
_OPTION_VALUES = ("valueInteger", "valueDate", "valueTime", "valueString", "valueCoding", "valueReference")


def check(w: Walker, q: Json, loc: str) -> None:
    sources = list(_derivations(w, q, loc))
    if sources:
        for item, where in _all_items(q, loc):
            for source, mode in sources:
                _item(w, source, mode, item, where)


def _derivations(w: Walker, q: Json, loc: str) -> Iterator[tuple[Json, str]]:
    urls, extras = q.get("derivedFrom"), q.get("_derivedFrom")
    for i, url in enumerate(urls if isinstance(urls, list) else ()):
        extra = extras[i] if isinstance(extras, list) and i < len(extras) and isinstance(extras[i], dict) else {}
        source = canonical_resource(w.model.source, "Questionnaire", url) if isinstance(url, str) else None
        if source is None and isinstance(url, str):
            _unknown_source(w, url, f"{loc}.derivedFrom[{i}]")
        ext = next((e for e in objects(extra.get("extension")) if e.get("url") == _TYPE_EXT), None)
        coding = ext.get("valueCoding") if ext is not None else None
        if source is not None and isinstance(coding, dict) and coding.get("system") == _TYPES \
                and coding.get("code") in ("extends", "compliesWith"):
            yield source, coding["code"]


def _unknown_source(w: Walker, url: str, loc: str) -> None:
    """QuestionnaireValidator.checkDerivations: a derivedFrom its context cannot fetch is
    QUESTIONNAIRE_Q_UNKNOWN_DERIVATION, a warning (nothing derived is judged); HL7 lacks it as the harness does, unless
    a dependency not loaded here would define it (then information)."""
    missing = w.model.missing_dependency(url)
    if missing is not None:
        w.sink.info("questionnaire", loc, f"the questionnaire {url} this one derives from may be in {missing}, a "
                                          "dependency that is not loaded, so the derivation was not checked")
    else:
        w.sink.warning("questionnaire", loc, f"the questionnaire {url} this one derives from could not be found, so "
                                             "the derivation was not checked")


def _all_items(node: Json, loc: str) -> Iterator[tuple[Json, str]]:
    for i, item in enumerate(objects(node.get("item"))):
        yield item, f"{loc}.item[{i}]"
        yield from _all_items(item, f"{loc}.item[{i}]")


def _item(w: Walker, source: Json, mode: str, item: Json, where: str) -> None:
    link, url = item.get("linkId"), source.get("url")
    base = find_item(source, link) if isinstance(link, str) else None
    if base is None:
        if mode == "compliesWith":
            w.sink.error("questionnaire", where, f"the item {link!r} is not in {url}, which this complies with")
        return
    err = w.sink.error
    said = f"than the item {link!r} of {url}"
    if isinstance(base.get("type"), str) and "type" in item and item["type"] != base["type"]:
        err("questionnaire", f"{where}.type", f"the type {item['type']!r} is other {said} ({base['type']!r})")
    if base.get("repeats") is not True and item.get("repeats") is True:
        err("questionnaire", f"{where}.repeats", f"the item repeats, unlike the item {link!r} of {url}")
    if base.get("required") is True and "required" in item and item["required"] is not True:
        err("questionnaire", f"{where}.required", f"the item is not required, unlike the item {link!r} of {url}")
    limit = base.get("maxLength")
    if isinstance(limit, int):
        mine = item.get("maxLength")
        if mine is None:
            err("questionnaire", where, f"the item has no maxLength; the item {link!r} of {url} has {limit}")
        elif isinstance(mine, int) and mine > limit:
            err("questionnaire", f"{where}.maxLength", f"the maxLength {mine} is longer {said} ({limit})")
    if objects(base.get("answerOption")):
        _options(w, base, item, where, said)
    if "answerValueSet" in base and "answerOption" in item:
        err("questionnaire", where, f"the item lists answer options where the item {link!r} of {url} has a value set")


def _options(w: Walker, base: Json, item: Json, where: str, said: str) -> None:
    if "answerValueSet" in item:
        w.sink.error("questionnaire", where, f"the item has an answer value set where options are given {said}")
        return
    mine = objects(item.get("answerOption"))
    if not mine:
        w.sink.error("questionnaire", where, f"the item lists no answer options, fewer {said}")
        return
    theirs = objects(base.get("answerOption"))
    for i, option in enumerate(mine):
        key, value = next(((k, v) for k, v in option.items() if k in _OPTION_VALUES), (None, None))
        if key is None:
            continue
        if not any(_same(key, value, o.get(key)) for o in theirs):
            w.sink.error("questionnaire", f"{where}.answerOption[{i}]", f"this answer option is not among those {said}")


def _same(key: str, mine: Any, theirs: Any) -> bool:
    """findAOPrimitive (the same type and text); findAOCoding (Coding.matches: system and code, both present);
    a Reference option is not judged (Reference.matches reads its own reference as a regular expression)."""
    if key == "valueReference":
        return True
    if theirs is None:
        return False
    if key == "valueCoding":
        return isinstance(mine, dict) and isinstance(theirs, dict) and all(
            mine.get(k) is not None and mine.get(k) == theirs.get(k) for k in ("system", "code"))
    return bool(mine == theirs)
