"""A Questionnaire's own enableWhen conditions: each names a question that exists, outside the item itself.

A form whose condition names no question, or the item it conditions (or an item within it), can never be
filled in as its author meant: HL7's validator reports each as an error (QuestionnaireValidator
``validateQuestionnaireElement``: QUESTIONNAIRE_Q_ENABLEWHEN_NOTARGET, _ISINNER and _SELF, R4 onwards).
A condition on a question that comes later is only a warning there, and is not reported here. A missing
``question`` is R4's cardinality (1..1), reported by the walk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def _items(node: Json) -> list[Json]:
    value: Any = node.get("item")
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def find_item(node: Json, link: str) -> Json | None:
    """The first item with this linkId under ``node``, depth first, as Java's ``getQuestionById``."""
    for item in _items(node):
        if item.get("linkId") == link:
            return item
        found = find_item(item, link)
        if found is not None:
            return found
    return None


def check(w: Walker, q: Json, loc: str) -> None:
    _walk(w, q, q, loc)


def _walk(w: Walker, q: Json, node: Json, loc: str) -> None:
    for i, item in enumerate(_items(node)):
        where = f"{loc}.item[{i}]"
        conditions: Any = item.get("enableWhen")
        for cond in conditions if isinstance(conditions, list) else []:
            link = cond.get("question") if isinstance(cond, dict) else None
            if isinstance(link, str):
                _condition(w, q, item, link, where)
        _walk(w, q, item, where)


def _condition(w: Walker, q: Json, item: Json, link: str, where: str) -> None:
    own = item.get("linkId")
    if find_item(item, link) is not None:
        w.sink.error("questionnaire", where, f"the enableWhen of item {own!r} names {link!r}, an item within "
                     "itself: an item cannot be enabled by its own answers")
        return
    target = find_item(q, link)
    if target is None:
        w.sink.error("questionnaire", where, f"the enableWhen of item {own!r} names the question {link!r}, "
                     "which is not in the questionnaire")
    elif target is item:
        w.sink.error("questionnaire", where, f"the enableWhen of item {own!r} names the item itself")
