"""A choice question's answers against its ``answerOption`` list, as HL7's QuestionnaireValidator.

A form that offers fixed options is answered with one of them: a receiver keying on the option codes
cannot read a code the form never offered. The rules (``checkCodingOption``, ``checkIntegerOption``...)
apply to R4 ``choice`` and ``open-choice`` questions that list options. A Coding answer to one that names an
``answerValueSet`` instead is judged where that value set is held and answers locally (``validateAnswerCode``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.bindings import wrong_display
from conformance.fhirval.source import Json, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"


def check_option(w: Walker, q_item: Json, answer: Json, given: str, count: int, where: str) -> None:
    """A choice answer against the question's ``answerOption`` (QuestionnaireValidator ``checkCodingOption`` and
    ``check*Option``): a Coding is one of the options' Codings, system and code alike, an exclusive one the only
    answer, even for open-choice (QUESTIONNAIRE_QR_ITEM_NOCODING, _NOOPTIONSCODING, _EXCLUSIVE); an integer, date
    or time is one of the options of its type, and with none of that type only open-choice may have it
    (_NOINTEGER, _NOOPTIONSINTEGER...); a string is one of the string options, unless open-choice
    (_NOSTRING, _NOOPTIONSSTRING). A question without options (a value set) is not judged here."""
    options = objects(q_item.get("answerOption"))
    if not options:
        if given == "Coding" and isinstance(answer.get("valueCoding"), dict):
            _value_set_option(w, q_item, answer["valueCoding"], where)
        return
    link, value = q_item.get("linkId"), answer.get(f"value{given}")
    open_choice = q_item.get("type") == "open-choice"
    offered = [o for o in options
               if f"value{given}" in o and (given != "Coding" or isinstance(o["valueCoding"], dict))]
    if given == "Coding":
        coding = value if isinstance(value, dict) else {}
        key = (coding.get("system"), coding.get("code"))
        match = next((o for o in offered if (o["valueCoding"].get("system"), o["valueCoding"].get("code")) == key),
                     None)
        if not offered:
            w.sink.error("questionnaire", where, f"the question {link!r} offers no Coding options")
        elif match is None:
            w.sink.error("questionnaire", where, f"the code {key[0]}#{key[1]} is not one of the options of "
                                                  f"the question {link!r}")
        elif count != 1 and any(e.get("url") == _EXCLUSIVE and e.get("valueBoolean") is True
                                for e in objects(match.get("extension"))):
            w.sink.error("questionnaire", where, f"the option {key[0]}#{key[1]} of {link!r} is exclusive: it "
                                                  "must be the only answer")
    elif given in ("Integer", "Date", "Time"):
        if not offered and not open_choice:
            w.sink.error("questionnaire", where, f"the question {link!r} offers no {given} options")
        elif value not in [o[f"value{given}"] for o in offered]:
            w.sink.error("questionnaire", where, f"the value {value!r} is not one of the options of the "
                                                  f"question {link!r}")
    elif given == "String" and not open_choice:
        if not offered:
            w.sink.error("questionnaire", where, f"the question {link!r} offers no string options")
        elif value not in [o["valueString"] for o in offered]:
            w.sink.error("questionnaire", where, f"the value {value!r} is not one of the options of the "
                                                  f"question {link!r}")


def _value_set_option(w: Walker, q_item: Json, coding: Json, where: str) -> None:
    """A Coding answer to a question with an ``answerValueSet`` (QuestionnaireValidator.validateAnswerCode, for R4
    choice and open-choice alike): validateCode of the Coding against the value set not ok is
    QUESTIONNAIRE_QR_ITEM_BADOPTION, an error. That result is not ok either for a code in the value set whose
    display is wrong, so the option is refused at the display's severity as well. Judged only for a value set held
    here (not a contained one), a Coding with a code, and a membership known locally."""
    url, system, code = q_item.get("answerValueSet"), coding.get("system"), coding.get("code")
    if not isinstance(url, str) or url.startswith("#") or not isinstance(code, str):
        return
    term = w.model.term
    expansion = term.expand(url)
    system = system if isinstance(system, str) else None
    inside = expansion.contains(system, code) if expansion is not None else None
    shown = f"{system}#{code}" if system else repr(code)
    if inside is False:
        w.sink.error("questionnaire", where, f"the code {shown} is not in the options value set {url}")
    elif inside is True and system is not None and isinstance(coding.get("display"), str) \
            and wrong_display(term, system, code, coding["display"], w.language()):
        w.sink.display("questionnaire", where, f"the code {shown} is in the options value set {url}, but with a "
                                               f"wrong display {coding['display']!r}")
