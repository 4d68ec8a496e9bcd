"""fhirpath_syntax.parse: FHIRPath read as HL7's FHIRLexer / FHIRPathEngine read it, each case with fhirpathpy's
own answer beside ours (HL7's FHIRPath suites: testPrecedence3/4, testLiteralDateTime*, testLiteralTime*,
testComment8, htmlTest01)."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate

from conformance.fhirval.fhirpath_syntax import parse, syntax_error
from conformance.fhirval.invariants import evaluate

PATIENT: dict[str, Any] = {
    "resourceType": "Patient", "active": True,
    "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},
}


def ours(expression: str) -> list[Any]:
    return evaluate(expression, PATIENT, "Patient", PATIENT, PATIENT)


def theirs(expression: str) -> list[Any]:
    return list(fhirpathpy_evaluate(PATIENT, expression))


def test_is_and_as_bind_tighter_than_union_and_comparisons() -> None:
    """FHIRPath's precedence table, FHIRPathEngine.organisePrecedence: is/as right after + and -; fhirpathpy's
    grammar ranked them below ``|`` and the comparisons."""
    assert theirs("(1 | 1 is Integer).count()") == [1]  # (1 | 1) is Integer
    assert ours("(1 | 1 is Integer).count()") == [2]  # 1 | (1 is Integer): 1 and true
    assert ours("(1 | 2 | 'a' is String).count()") == [3]
    assert theirs("1 > 2 is Boolean") == [True]
    with pytest.raises(Exception):  # noqa: B017 - 1 > true: the engine's own comparison error
        ours("1 > 2 is Boolean")
    assert ours("(1 + 1 is Integer)") == [True]  # is/as still looser than + and -
    assert ours("1 is Integer = true") == [True]  # and tighter than =


def test_partial_date_time_literals() -> None:
    """``@2015T`` is a dateTime to the year (FHIRLexer's isDateChar takes the T); ANTLR left an identifier T."""
    assert theirs("@2015T.is(DateTime)") != [True]
    assert ours("@2015T.is(DateTime)") == [True]
    assert ours("@2015-02-04T.is(DateTime)") == [True]
    assert ours("@2015-02T = @2015-02") == [True]
    assert syntax_error("@2015T") is None
    assert syntax_error("@2015 T") is not None  # a separate identifier is still an error


def test_a_time_literal_with_a_zone_is_an_error() -> None:
    """processDateConstant: a time with a zone and no date throws (FHIRPATH_UNKNOWN_CONTEXT)."""
    assert theirs("@T14:34:28Z.is(Time)") == [True]
    with pytest.raises(ValueError, match="time zone"):
        ours("@T14:34:28Z.is(Time)")
    with pytest.raises(ValueError, match="time zone"):
        ours("@T14:34:28+10:00 = @T14:34:28+10:00")
    assert ours("@T14:34:28.is(Time)") == [True]
    assert ours("@2015-02-04T14:34:28Z.is(DateTime)") == [True]  # a dateTime keeps its zone


def test_div_and_mod_as_names() -> None:
    """FHIRLexer has no keywords: ``text.div`` is the narrative; the grammar took div as the operator."""
    with pytest.raises(Exception, match="Expected number"):
        theirs("text.div.exists()")
    assert ours("text.div.exists()") == [True]
    assert ours("text.div.startsWith('<div')") == [True]
    assert ours("5 div 2") == [2] and ours("5 mod 2") == [1]
    assert ours("(5 div 2) = 2") == [True]


def test_a_syntax_error_is_not_evaluated_as_something_else() -> None:
    """fhirpathpy's parse recovers (``2 + 2 /* not finished`` was empty); HL7's lexer reports an unfinished
    comment, so the expression cannot run (an error on the instance: invariants.Unparseable)."""
    assert theirs("2 + 2 /* not finished") == []  # evaluated, as some other expression
    with pytest.raises(Exception):  # noqa: B017 - ANTLR's or our listener's error
        parse("2 + 2 /* not finished")
    with pytest.raises(Exception):  # noqa: B017
        ours("active.exists() and")
    assert ours("2 + 2 /* finished */") == [4]


def test_html_checks_as_hl7s_func_html_checks1() -> None:
    """funcHtmlChecks1: a narrative div or a string (read as a div's content) with basic XHTML names only; other
    types and several items are empty (txt-1 / txt-2 themselves stay native). It answered true for anything."""
    assert ours("text.div.htmlChecks()") == [True]
    assert ours("'<b>bold</b> and <code>x</code>'.htmlChecks()") == [True]
    assert ours("'<b>bold</b> <button>x</button>'.htmlChecks()") == [False]
    assert ours("'<b>unclosed'.htmlChecks()") == [False]
    assert ours("5.htmlChecks()") == []
    assert ours("('a' | 'b').htmlChecks()") == []
