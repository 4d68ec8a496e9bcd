"""matches() / matchesFull() read a regex as HL7's engine does: java.util.regex with ``(?s)`` and no other flag
(FHIRPathEngine.funcMatches / funcMatchesFull), so ``\\w``, ``\\d``, ``\\s`` and ``\\b`` are ASCII classes, where
Python's are Unicode on text."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate

from conformance.fhirval.invariants import evaluate

ELD_19 = ("path.matches('^[^\\\\s\\\\.,:;\\\\\\'\"\\\\/|?!@#$%&*()\\\\[\\\\]{}]{1,64}"
          "(\\\\.[^\\\\s\\\\.,:;\\\\\\'\"\\\\/|?!@#$%&*()"
          "\\\\[\\\\]{}]{1,64}(\\\\[x\\\\])?(\\\\:[^\\\\s\\\\.]+)?)*$')")


def ours(expression: str, resource: dict[str, Any]) -> list[Any]:
    return evaluate(expression, resource, resource["resourceType"], resource, resource)


@pytest.mark.parametrize(("text", "regex", "expected"), [
    ("\u00e9", "^\\\\w$", False),  # Java's \w is [a-zA-Z_0-9]
    ("a", "^\\\\w$", True),
    ("\u0663", "^\\\\d$", False),  # an Arabic-Indic digit is no \d in Java
    ("a\u00a0b", "\\\\s", False),  # a no-break space is no \s in Java
    ("a b", "\\\\s", True),
    ("line1\nline2", "1.line", True),  # (?s): . takes a line break
])
def test_regex_classes_are_javas(text: str, regex: str, expected: bool) -> None:
    doc = {"resourceType": "Patient", "name": [{"family": text}]}
    assert ours(f"name.family.matches('{regex}')", doc) == [expected]
    assert ours(f"name.family.matchesFull('.*{regex.strip('^$')}.*')", doc) == [expected]


def test_eld_19_takes_a_no_break_space_as_java_does() -> None:
    element = {"resourceType": "ElementDefinition", "path": "Patient.a\u00a0b"}
    assert fhirpathpy_evaluate(element, ELD_19.replace("path.", "ElementDefinition.path.")) == [False]
    assert ours(ELD_19, element) == [True]  # was [False]: HL7's eld-19 passes it
    assert ours(ELD_19, {"resourceType": "ElementDefinition", "path": "Patient.a b"}) == [False]
