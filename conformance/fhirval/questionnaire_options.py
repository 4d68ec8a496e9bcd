"""A choice question's answers against its ``answerOption`` list, as HL7's QuestionnaireValidator.

A form that offers fixed options is answered with one of them: a receiver keying on the option codes
cannot read a code the form never offered. The rules (``checkCodingOption``, ``checkIntegerOption``...)
apply to R4 ``choice`` and ``open-choice`` questions that list options; one bound to a value set instead
needs a terminology service and is not judged here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
