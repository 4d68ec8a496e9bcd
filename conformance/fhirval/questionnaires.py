"""A QuestionnaireResponse against its Questionnaire, as HL7's validator.

Only what can be judged for certain is reported: an item answered although its enableWhen conditions
say it is not enabled (any answer meeting a condition meets it; with no answer, none does); a required
question present in a completed response, enabled, without an answer, or left out of a level HL7's validator walks
(the root, a group's items, an answer's items); an item's text that differs from
its question's; several answers to a question that does not repeat; answers to a group or display
item; an answer of a type the question's type does not allow; a decimal or Quantity answer with more places
than the question's ``maxDecimalPlaces``; the limits each answer's value must meet and the number of answers
(questionnaire_answers.py); a choice answer among the question's options (questionnaire_options.py). A condition
that cannot be evaluated (an operator on values of different kinds, an expression fhirpathpy cannot run) leaves
its item unjudged. The Questionnaire is
found among the loaded definitions by canonical URL, or contained (``#id``); when it is not there
nothing is judged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.bounds import decimal_places
from conformance.fhirval.questionnaire_answers import check_answer, check_occurs, check_reference_answer
from conformance.fhirval.questionnaire_options import check_option
from conformance.fhirval.source import Json, canonical_resource, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

# enableWhen written as a FHIRPath expression on the response: SDC's extension, and the Finnish PHR one
# HL7's validator also honours
_EXPRESSION_EXTENSIONS = {
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression": "valueExpression",
    "http://phr.kanta.fi/StructureDefinition/fiphr-ext-questionnaire-enablewhen": "valueString",
}


_MAX_PLACES = "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces"

# The answer value[x] types each R4 item type allows
_CHOICES = frozenset({"Coding", "Date", "Time", "Integer", "String"})
_VALUE_TYPES = frozenset({"Boolean", "Decimal", "Integer", "Date", "DateTime", "Time", "String", "Uri", "Attachment",
                          "Coding", "Quantity", "Reference"})  # R4 QuestionnaireResponse.item.answer.value[x]
_ANSWER_TYPES: dict[str, frozenset[str]] = {
    "boolean": frozenset({"Boolean"}), "decimal": frozenset({"Decimal"}), "integer": frozenset({"Integer"}),
    "date": frozenset({"Date"}), "dateTime": frozenset({"DateTime"}), "time": frozenset({"Time"}),
    "string": frozenset({"String"}), "text": frozenset({"String"}), "url": frozenset({"Uri"}),
    "attachment": frozenset({"Attachment"}), "reference": frozenset({"Reference"}),
    "quantity": frozenset({"Quantity"}), "choice": _CHOICES, "open-choice": _CHOICES,
}


def check_response(w: Walker, qr: Json, loc: str) -> None:
    url = qr.get("questionnaire")
    if not isinstance(url, str):
        return
    if url.startswith("#"):
        q = next((c for c in objects(qr.get("contained")) if c.get("id") == url[1:]), None)
        if q is not None and q.get("resourceType") != "Questionnaire":
            # BaseValidator.loadFoundResource (through loadContainedResource, from QuestionnaireValidator.
            # validateQuestionannaireResponse): REFERENCE_REF_WRONGTARGET_LOAD, a rule
            w.sink.error("reference-target", f"{loc}.questionnaire", f"the contained resource {url!r} is a "
                                                                     f"{q.get('resourceType')}, not a Questionnaire")
    else:
        q = canonical_resource(w.model.source, "Questionnaire", url)
    if q is None or q.get("resourceType") != "Questionnaire":
        _not_found(w, url, loc)
        return
    _Judge(w, qr, q).items(objects(q.get("item")), objects(qr.get("item")), loc, [qr])


def _not_found(w: Walker, url: str, loc: str) -> None:
    """QuestionnaireValidator.validateQuestionannaireResponse (QuestionnaireMode.CHECK, its default): a Questionnaire
    its context cannot fetch is QUESTIONNAIRE_QR_Q_NOTFOUND, a warning (a hint for an example.org URL), and nothing is
    checked against it; HL7 lacks it as this harness does, unless a dependency not loaded here would define it."""
    missing = w.model.missing_dependency(url)
    if missing is not None:
        w.sink.info("questionnaire", loc, f"the questionnaire {url} may be in {missing}, a dependency that is not "
                                          "loaded, so the response was not checked against it")
    elif url.startswith(("http://example.org", "https://example.org")):
        w.sink.info("questionnaire", loc, f"the questionnaire {url} could not be found, so the response was not "
                                          "checked against it")
    else:
        w.sink.warning("questionnaire", loc, f"the questionnaire {url} could not be found, so the response was not "
                                             "checked against it")


class _Judge:
    def __init__(self, w: Walker, qr: Json, q: Json) -> None:
        self.w = w
        self.qr = qr
        self.q = q

    def items(self, q_items: list[Json], r_items: list[Json], loc: str, chain: list[Json]) -> None:
        """One level: each response item against the question of its linkId, then the items within it. The
        levels are HL7's validator's: the root, a group's items, a question's answers' items (a group's answers
        and a question's own items are errors of their own, not walked)."""
        self.placement(q_items, r_items, loc)
        for q_item in q_items:
            link = q_item.get("linkId")
            answered = [(i, r) for i, r in enumerate(r_items) if r.get("linkId") == link and isinstance(link, str)
                        and link]
            if not answered:
                self.left_out(q_item, loc, chain)
                continue
            for i, r in answered:
                self.shape(q_item, r, f"{loc}.item[{i}]")
                self.untyped_or_unanswered(q_item, r, f"{loc}.item[{i}]")
            enabled = self.enabled(q_item, chain)
            if enabled is False:
                for i, r in answered:
                    if objects(r.get("answer")):
                        self.w.sink.error("questionnaire", f"{loc}.item[{i}]",
                                          f"the item {link!r} has an answer, but its enableWhen says it is not enabled")
                continue
            for i, r in answered:
                where = f"{loc}.item[{i}]"
                self.answers(q_item, r, where, enabled is True)
                sub = objects(q_item.get("item"))
                if sub and _type(q_item) == "group":
                    self.items(sub, objects(r.get("item")), where, [*chain, r])
                elif sub:
                    for j, answer in enumerate(objects(r.get("answer"))):
                        self.items(sub, objects(answer.get("item")), f"{where}.answer[{j}]", [*chain, r, answer])

    def placement(self, q_items: list[Json], r_items: list[Json], loc: str) -> None:
        """Each response item of a level HL7's validator walks is a question of that level, in the
        Questionnaire's order (``validateQuestionannaireResponseItems``: QUESTIONNAIRE_QR_ITEM_NOTFOUND, its
        "item is in the wrong place" for a linkId found elsewhere in the Questionnaire, QUESTIONNAIRE_QR_ITEM_ORDER;
        a repeated item may follow itself). Reported on the level, as HL7's validator does. A response item with no
        linkId is matched to nothing, and said so (QUESTIONNAIRE_QR_ITEM_NOLINKID, "No LinkId, so can't be
        validated", a ``rule`` beside the cardinality error of QuestionnaireResponse.item.linkId)."""
        order: dict[str, int] = {}
        for k, q_item in enumerate(q_items):
            order.setdefault(str(q_item.get("linkId")), k)
        last = -1
        for r in r_items:
            link = r.get("linkId")
            if not isinstance(link, str) or not link:
                self.w.sink.error("questionnaire", loc, "a response item with no linkId cannot be validated against "
                                                        "the Questionnaire")
                continue
            k = order.get(link, -1)
            if k < 0:
                elsewhere = _question(objects(self.q.get("item")), link) is not None
                self.w.sink.error("questionnaire", loc, f"the item {link!r} is in the wrong place" if elsewhere else
                                  f"the linkId {link!r} is not an item of the Questionnaire")
            else:  # QuestionnaireValidator: lastIndex follows every item, so one item moved is one error
                if k < last:
                    self.w.sink.error("questionnaire", loc, f"the item {link!r} is out of the Questionnaire's order")
                last = k

    def shape(self, q_item: Json, r: Json, where: str) -> None:
        """Where a response item's own items may be: a display item has none, a question has them only under
        its answers, and a required group has some (QUESTIONNAIRE_QR_ITEM_DISPLAY, _GROUP_ANSWER,
        _GROUP_REQUIRED), whatever the item's enableWhen says."""
        kind, link, nested = _type(q_item), q_item.get("linkId"), objects(r.get("item"))
        if kind == "display" and nested:
            self.w.sink.error("questionnaire", where, f"the display item {link!r} has items")
        elif kind not in ("group", "display", None) and nested:
            self.w.sink.error("questionnaire", where, f"the question {link!r} has items outside its answers (a "
                                                      "question's items go in answer.item)")
        elif kind == "group" and q_item.get("required") is True and not nested:
            self.w.sink.error("questionnaire", where, f"the required group {link!r} has no items")

    def untyped_or_unanswered(self, q_item: Json, r: Json, where: str) -> None:
        """What HL7's QuestionnaireValidator.validateQuestionnaireResponseItem says of every response item it
        matches to a question, enabled or not: a response not yet completed or amended that leaves a required
        question (any but a group) without an answer is warned of (QUESTIONNAIRE_QR_ITEM_MISSING, ``warning``
        when ``notCompleted``; once completed the error is ``answers``'), and a question with no type is its
        ``fail`` (FATAL): QUESTIONNAIRE_QR_ITEM_NOTYPE, "Definition for item {0} does not contain a type"."""
        kind, link = _type(q_item), q_item.get("linkId")
        if (self.qr.get("status") not in ("completed", "amended") and q_item.get("required") is True
                and kind != "group" and not objects(r.get("answer"))):
            self.w.sink.warning("questionnaire", where, f"no response answer found for the required item {link!r}")
        if kind is None:
            self.w.sink.add("fatal", "questionnaire", where, f"the definition of the item {link!r} in the "
                                                             "Questionnaire does not contain a type")

    def left_out(self, q_item: Json, loc: str, chain: list[Json]) -> None:
        """A required item, enabled, that the response leaves out of a level: an error once the response is
        completed or amended, a warning before (QuestionnaireValidator QUESTIONNAIRE_QR_ITEM_MISSING, reported
        on the level that lacks it). An enableWhen that cannot be told leaves it unjudged."""
        if q_item.get("required") is not True or self.enabled(q_item, chain) is not True:
            return
        message = f"no response answer found for the required item {q_item.get('linkId')!r}"
        if self.qr.get("status") in ("completed", "amended"):
            self.w.sink.error("questionnaire", loc, message)
        else:
            self.w.sink.warning("questionnaire", loc, message)

    def answers(self, q_item: Json, r: Json, where: str, enabled: bool) -> None:
        """The response item against its question: the same text, one answer unless it repeats, none for a group
        or display item, each of the kind of value the question's type asks for."""
        link, text, kind = q_item.get("linkId"), r.get("text"), _type(q_item)
        if isinstance(text, str) and text and text != q_item.get("text"):
            self.w.sink.error("questionnaire", where, f"the item's text differs from the question's ({link!r})")
        answers = objects(r.get("answer"))
        if (enabled and not answers and q_item.get("required") is True and kind not in ("group", "display")
                and self.qr.get("status") in ("completed", "amended")):
            self.w.sink.error("questionnaire", where, f"the question {link!r} is required, but this completed "
                                                      "response has no answer to it")
        if len(answers) > 1 and q_item.get("repeats") is not True:
            self.w.sink.error("questionnaire", f"{where}.answer[1]", f"only one answer is allowed: the question "
                                                                     f"{link!r} does not repeat")
        for j, answer in enumerate(answers):
            if kind in ("group", "display"):
                self.w.sink.error("questionnaire", f"{where}.answer[{j}]", f"a {kind} item ({link!r}) has no answers")
                continue
            allowed = _ANSWER_TYPES.get(str(kind))
            given = [k[5:] for k in answer if k.startswith("value") and len(k) > 5]
            # a type answer.value[x] itself lacks is reported by the walker alone (HL7's parser drops the property:
            # "Unrecognized property", then finds no value to type-check)
            if allowed is not None and given and given[0] not in allowed and given[0] in _VALUE_TYPES:
                self.w.sink.error("questionnaire", f"{where}.answer[{j}].value{given[0]}",
                                  f"the question {link!r} is of type {kind}: its answer must be "
                                  f"{' or '.join(sorted(allowed))}, not {given[0]}")
            self.decimal_places(q_item, answer, f"{where}.answer[{j}]")
            if kind in ("choice", "open-choice") and given:
                check_option(self.w, q_item, answer, given[0], len(answers), f"{where}.answer[{j}]")
            check_answer(self.w.sink, q_item, answer, f"{where}.answer[{j}]", self.w.model.term)
            if self.w.options.assume_valid_rest_references:
                check_reference_answer(self.w.sink, q_item, answer, f"{where}.answer[{j}]",
                                       self.w.model.is_resource_type)
        check_occurs(self.w.sink, q_item, len(answers), where)

    def decimal_places(self, q_item: Json, answer: Json, where: str) -> None:
        """The question's ``maxDecimalPlaces`` on a decimal or Quantity answer (QuestionnaireValidator's
        QUESTIONNAIRE_QR_ITEM_DECIMAL_MAX_DECIMALS: the places written after the point). The JSON number is read as a
        float, so trailing zeros are lost: "1.660" counts 2 places, never more than it was written with."""
        limit = next((e.get("valueInteger") for e in objects(q_item.get("extension")) if e.get("url") == _MAX_PLACES),
                     None)
        quantity = answer.get("valueQuantity")
        value, kind = ((answer["valueDecimal"], "decimal") if "valueDecimal" in answer
                       else (quantity.get("value"), "Quantity") if isinstance(quantity, dict) else (None, ""))
        places = decimal_places(value)
        if type(limit) is not int or places is None:
            return
        if places > limit:
            self.w.sink.error("questionnaire", f"{where}.value.ofType({kind})",
                              f"the value {value!r} has {places} decimal places; the question "
                              f"{q_item.get('linkId')!r} allows {limit} (maxDecimalPlaces)")

    def enabled(self, q_item: Json, chain: list[Json]) -> bool | None:
        """True, False, or None when it cannot be told."""
        for ext in objects(q_item.get("extension")):
            key = _EXPRESSION_EXTENSIONS.get(str(ext.get("url")))
            if key is not None:
                value = ext.get(key)
                expression = value.get("expression") if isinstance(value, dict) else value
                return self.expression(expression) if isinstance(expression, str) else None
        conditions = objects(q_item.get("enableWhen"))
        if not conditions:
            return True
        results = [self.condition(c, chain) for c in conditions]
        if q_item.get("enableBehavior") == "all":
            return False if False in results else None if None in results else True
        return True if True in results else None if None in results else False

    def expression(self, expression: str) -> bool | None:
        from conformance.fhirval.invariants import evaluate

        # fhirpathpy answers empty to a leading type name on the root, so it goes
        expression = expression.strip().removeprefix("QuestionnaireResponse.")
        try:
            found = evaluate(expression, self.qr, "QuestionnaireResponse", self.qr, self.qr)
        except Exception:  # noqa: BLE001 - fhirpathpy raises plain Exceptions for what it cannot evaluate
            return None
        # empty is false to HL7's validator, but may be an expression fhirpathpy reads otherwise: not judged
        return True if found == [True] else False if found == [False] else None

    def condition(self, cond: Json, chain: list[Json]) -> bool | None:
        question, operator = cond.get("question"), cond.get("operator")
        expected = next(((k[6:], v) for k, v in cond.items() if k.startswith("answer") and len(k) > 6), None)
        if not isinstance(question, str) or expected is None:
            return None
        answers = _answers(question, chain)
        if operator == "exists":
            return (bool(answers) == expected[1]) if isinstance(expected[1], bool) else None
        # any answer meeting the condition enables the item, as HL7's validator: with no answer even != is false
        results = [_compare(operator, a, expected) for a in answers]
        return True if True in results else None if None in results else False


def _type(q_item: Json) -> Any:
    """The item's type as HL7's validator sees it: R4's abstract ``question`` is a group (Questionnaire40_50
    converts QUESTION to GROUP), so it takes no answers and its items are a group's."""
    kind = q_item.get("type")
    return "group" if kind == "question" else kind


def _question(q_items: list[Json], link: str) -> Json | None:
    """The Questionnaire's item with this linkId, at any depth (QuestionnaireValidator.findItem)."""
    for q_item in q_items:
        if q_item.get("linkId") == link:
            return q_item
        found = _question(objects(q_item.get("item")), link)
        if found is not None:
            return found
    return None


def _find(node: Json, link: str) -> list[Json] | None:
    """Items with this linkId under ``node`` (its items and its answers' items, at any depth); None: none."""
    found: list[Json] = []
    for child in objects(node.get("item")) + [i for a in objects(node.get("answer")) for i in objects(a.get("item"))]:
        if child.get("linkId") == link:
            found.append(child)
        else:
            found.extend(_find(child, link) or ())
    return found or None


def _answers(question: str, chain: list[Json]) -> list[tuple[str, Any]]:
    """The answers to ``question`` nearest the item: within the innermost enclosing item that has it (the same
    instance of a repeating group), else further out."""
    for node in reversed(chain):
        items = _find(node, question)
        if items is not None:
            return [(k[5:], v) for r in items for a in objects(r.get("answer")) for k, v in a.items()
                    if k.startswith("value")]
    return []


_NUMBERS = frozenset({"Integer", "Decimal"})
_ORDERED = frozenset({"Integer", "Decimal", "Date", "DateTime", "Time", "String"})


def _compare(operator: Any, answer: tuple[str, Any], expected: tuple[str, Any]) -> bool | None:
    (a_type, a), (e_type, e) = answer, expected
    if a_type != e_type and not {a_type, e_type} <= _NUMBERS:
        return None
    if a_type == "Coding":
        if not isinstance(a, dict) or not isinstance(e, dict):
            return None
        same = a.get("code") == e.get("code") and (not e.get("system") or a.get("system") == e.get("system"))
        return same if operator == "=" else not same if operator == "!=" else None
    if a_type in ("Quantity", "Reference", "Attachment"):  # alike only when identical; otherwise not judged
        return (operator == "=") if a == e and operator in ("=", "!=") else None
    if operator == "=":
        return bool(a == e)
    if operator == "!=":
        return bool(a != e)
    if a_type not in _ORDERED or (type(a) is not type(e) and not {a_type, e_type} <= _NUMBERS):
        return None
    if a_type in ("DateTime", "Time") and len(str(a)) != len(str(e)):
        return None  # different precisions: not comparable
    try:
        found = {">": a > e, "<": a < e, ">=": a >= e, "<=": a <= e}.get(str(operator))
    except TypeError:
        return None
    return bool(found) if found is not None else None
