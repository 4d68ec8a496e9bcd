"""Java's String and Character semantics where HL7's validator relies on them (java_text.py) and the rules that now
use them. Each Java answer below is Java 17's (recorded in the tables; re-asked of the JDK on the machine when it
has one), never Python's own."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval import java_text
from conformance.fhirval.primitives import base64_valid, check_primitive, uri_problems
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.terminology_readings import display_matches, value_set_display
from conformance.fhirval.validate import validate_bytes
from conformance.fhirval.xhtml_rules import url_problem
from tests.fhirval.jdk import ask_jdk, utf16_hex

# (a, b, a.equalsIgnoreCase(b)) as Java 17 answered
EQUALS_IGNORE_CASE = [
    ("\u00b5g", "\u03bcg", True),  # micro sign, Greek mu: toUpperCase gives both U+039C
    ("\u0130stanbul", "istanbul", True),  # Character.toLowerCase(U+0130) is 'i'
    ("\u017f", "s", True),  # long s
    ("\u03bf\u03b4\u03bf\u03c3", "\u039f\u0394\u039f\u03a3", True),  # no final-sigma rule
    ("Stra\u00dfe", "STRASSE", False),  # no full case mapping
    ("\u212a", "k", True),  # Kelvin sign
    ("\U00010400", "\U00010428", True),  # a supplementary pair
    ("\u1e9e", "\u00df", True),
    ("abc", "ABD", False),
]
# (char, Character.isLetterOrDigit(char), Character.isAlphabetic(char), Character.isDigit(char))
CHARACTERS = [
    ("a", True, True, False), ("7", True, False, True), ("\u00e9", True, True, False),
    ("\u0661", True, False, True),  # Arabic-Indic one
    ("\u00b2", False, False, False), ("\u00bd", False, False, False),  # No: numerals, neither
    ("\u216b", False, True, False),  # Roman numeral twelve (Nl): alphabetic, not a letter
    ("\u093f", False, True, False),  # Devanagari vowel sign i (Mc, Other_Alphabetic)
    ("\u094d", False, False, False),  # Devanagari virama (Mn): neither
    ("\u24d0", False, True, False),  # circled a (So, Other_Alphabetic)
    ("+", False, False, False), ("\u00a0", False, False, False),
]
# (text, text.trim()) as Java 17 answered
TRIM = [("\u00a0x\u00a0", "\u00a0x\u00a0"), ("\x1fx\x1f", "x"), (" \t\nx\r ", "x"), ("\u2003", "\u2003")]
# (year, month 1-12, GregorianCalendar.getActualMaximum(DAY_OF_MONTH)) as BaseDateTimeType.parse sets it up
MONTH_DAYS = [(1500, 2, 29), (1700, 2, 28), (1600, 2, 29), (1300, 2, 29), (1581, 2, 28), (4, 2, 29), (1900, 2, 28)]


@pytest.mark.parametrize(("a", "b", "java"), EQUALS_IGNORE_CASE)
def test_equals_ignore_case_is_javas(a: str, b: str, java: bool) -> None:
    assert java_text.equals_ignore_case(a, b) is java


@pytest.mark.parametrize(("ch", "letter_or_digit", "alphabetic", "digit"), CHARACTERS)
def test_character_classes_are_javas(ch: str, letter_or_digit: bool, alphabetic: bool, digit: bool) -> None:
    assert (java_text.letter_or_digit(ch), java_text.alphabetic(ch), java_text.digit(ch)) == (
        letter_or_digit, alphabetic, digit)


@pytest.mark.parametrize(("text", "java"), TRIM)
def test_trim_is_javas(text: str, java: str) -> None:
    assert java_text.trim(text) == java


def test_trim_ws_is_hl7s_whitespace() -> None:
    """Utilities.isWhitespace's list (no U+001C..U+001F, which str.strip() takes)."""
    assert java_text.trim_ws("\x1fx") == "\x1fx" and java_text.trim_ws("\u00a0x\u3000") == "x"


def test_a_display_differing_by_micro_sign_is_the_same_display() -> None:
    """ValueSetValidator compares displays by equalsIgnoreCase: 'µg' (U+00B5) is 'μg' (U+03BC) to HL7."""
    concept = {"code": "x", "display": "5 \u03bcg tablet"}
    assert display_matches("5 \u00b5g Tablet", concept, None, None)
    assert not display_matches("5 mg tablet", concept, None, None)
    vs = {"resourceType": "ValueSet", "url": "https://conformance.example/vs/m",
          "compose": {"include": [{"system": "https://conformance.example/cs/m",
                                   "concept": [{"code": "x", "display": "\u039f\u0394\u039f\u03a3"}]}]}}
    assert value_set_display(vs, "https://conformance.example/cs/m", "x", "\u03bf\u03b4\u03bf\u03c3", None, None)


def test_a_case_insensitive_code_system_finds_the_code_as_java_does() -> None:
    """findCodeInConcept: code.equalsIgnoreCase(cc.getCode()) when the CodeSystem is not case-sensitive."""
    cs: dict[str, Any] = {"resourceType": "CodeSystem", "url": "https://conformance.example/cs/u", "status": "active",
                          "content": "complete", "concept": [{"code": "\u03bcg", "display": "microgram"}]}
    term = Terminology(MemorySource([cs]), find_package=False)
    assert term.code_in_system("https://conformance.example/cs/u", "\u00b5G") is True
    assert term.concept("https://conformance.example/cs/u", "\u00b5g") == cs["concept"][0]
    assert term.code_in_system("https://conformance.example/cs/u", "mg") is False


def test_base64_counts_javas_letters_and_digits() -> None:
    """Base64Util.isValidBase64 counts Character.isLetterOrDigit chars: '²' is none (Python's isalnum counts it)."""
    assert base64_valid("AAAA\u00b2")  # four to Java
    assert not base64_valid("AAA\u00b2")  # three to Java
    assert not base64_valid("AAA\U0001d400")  # a supplementary letter is two surrogates, neither counted
    assert base64_valid("AAAA") and not base64_valid("AAA")


def test_a_uri_ending_in_a_unit_separator_is_not_whitespace_to_hl7() -> None:
    """TYPE_SPECIFIC_CHECKS_DT_URI_WS compares with Utilities.trimWS, whose whitespace has no U+001F."""
    assert uri_problems("uri", "http://example.org/a\x1f") == []
    assert uri_problems("uri", "http://example.org/a\u00a0") != []
    assert check_primitive("uri", "http://example.org/a\x1f") is None


def test_a_date_before_1582_has_the_julian_leap_day() -> None:
    """BaseDateTimeType.parse bounds the day by GregorianCalendar, Julian before 1582: 1500-02-29 exists."""
    assert check_primitive("date", "1500-02-29") is None
    assert check_primitive("dateTime", "1300-02-29T10:00:00Z") is None
    assert check_primitive("date", "1700-02-29") is not None
    assert check_primitive("date", "1500-02-30") is not None


def test_a_narrative_link_takes_javas_alphabetic_characters() -> None:
    """UrlUtil.checkValidUrl: Character.isDigit or isAlphabetic (a vowel sign of an Indic script is alphabetic)."""
    assert url_problem("https://example.org/\u0915\u093f\u0924\u093e\u092c") is None  # kitab: ka, i sign, ta, aa, ba
    assert url_problem("https://example.org/\U00020000") is not None  # two surrogates to Java
    assert url_problem("data:image/png;base64,AAAA\u00b2") is None
    assert url_problem("data: image/png;base64 ,AAA") is None  # ';base64' read before the head is trimmed


def test_xml_text_of_no_break_spaces_between_elements_is_text() -> None:
    """XmlParser.parseChildren trims with String.trim(): a no-break space between elements is
    TEXT_SHOULD_NOT_BE_PRESENT; an ordinary indent is not."""
    body = ('<Patient xmlns="http://hl7.org/fhir"><id value="p"/>\u00a0<active value="true"/>'
            '<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">x</div></text></Patient>')
    errors = [i for i in validate_bytes(body.encode(), _base()) if i.is_error]
    assert len(errors) == 1 and "text should not be present" in errors[0].message
    plain = body.replace("\u00a0", "\n  ")
    assert not [i for i in validate_bytes(plain.encode(), _base()) if i.is_error]


def _base() -> Any:
    from conformance.fhirval.base import base_source
    return base_source()


def test_the_tables_are_what_the_jdk_here_answers(tmp_path: Path) -> None:
    lines = [f"eq\t{utf16_hex(a)}\t{utf16_hex(b)}" for a, b, _ in EQUALS_IGNORE_CASE]
    lines += [f"ch\t{utf16_hex(c)}" for c, *_ in CHARACTERS]
    lines += [f"trim\t{utf16_hex(t)}" for t, _ in TRIM]
    lines += [f"cal\t{y}\t{m}" for y, m, _ in MONTH_DAYS]
    per_line = """String x = c[0].equals("cal") ? "" : unescape(c[1]);
      switch (c[0]) {
        case "eq": System.out.println(x.equalsIgnoreCase(unescape(c[2]))); break;
        case "ch": char ch = x.charAt(0); System.out.println(Character.isLetterOrDigit(ch) + " "
            + Character.isAlphabetic(ch) + " " + Character.isDigit(ch)); break;
        case "trim": System.out.println(hex(x.trim())); break;
        default:
          Calendar cal = new GregorianCalendar(0, 0, 0);
          cal.setTimeZone(TimeZone.getDefault());
          cal.set(Calendar.YEAR, Integer.parseInt(c[1]));
          cal.set(Calendar.MONTH, Integer.parseInt(c[2]) - 1);
          cal.set(Calendar.DATE, 1);
          System.out.println(cal.getActualMaximum(Calendar.DAY_OF_MONTH));
      }"""
    want = [str(j).lower() for *_, j in EQUALS_IGNORE_CASE]
    want += [f"{str(x).lower()} {str(y).lower()} {str(z).lower()}" for _, x, y, z in CHARACTERS]
    want += [utf16_hex(j) for _, j in TRIM]
    want += [str(d) for *_, d in MONTH_DAYS]
    assert ask_jdk(tmp_path, per_line, lines, "import java.util.*;") == want


def test_the_other_alphabetic_table_is_the_jdks(tmp_path: Path) -> None:
    """java_text's Other_Alphabetic ranges against Character.isAlphabetic over the whole Basic Multilingual Plane
    (the letters Unicode 14 added, which Java 17's Unicode 13 lacks, set apart)."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("no JDK on this machine: the ranges in java_text.py were read from Java 17")
    (tmp_path / "Alpha.java").write_text(
        "public class Alpha { public static void main(String[] a) { StringBuilder b = new StringBuilder();"
        " for (int c = 0; c < 0x10000; c++) if (Character.isAlphabetic(c)) b.append(c).append('\\n');"
        " System.out.print(b); } }", encoding="utf-8")
    done = subprocess.run([java, str(tmp_path / "Alpha.java")], capture_output=True, text=True, timeout=120,
                          check=True)
    jdk = {int(x) for x in done.stdout.split()}
    ours = {c for c in range(0x10000) if not 0xD800 <= c < 0xE000 and java_text.alphabetic(chr(c))}
    assert jdk <= ours and len(ours - jdk) < 60  # the few letters Unicode 14 added


def test_a_value_set_filter_value_is_split_and_trimmed_as_java_does() -> None:
    """ValueSetValidator: an 'in' value is value.split("\\\\,") (a trailing comma leaves no empty code), and a code
    value is VALUESET_BAD_FILTER_VALUE_CODE when value.trim() differs (String.trim(): a no-break space stays)."""
    from tests.fhirval.test_value_set_terminology_rules import WHERE, _filter, errors_of
    assert java_text.split("a,b,", ",") == ["a", "b"] and java_text.split(",", ",") == []
    assert java_text.split("", ",") == [""] and java_text.split("a,,b", ",") == ["a", "", "b"]
    assert errors_of(_filter("concept", "in", "apple,pear,")) == []
    assert errors_of(_filter("concept", "in", "apple,,pear")) == [("value-set-rule", f"{WHERE}.value")]
    assert errors_of(_filter("grower", "=", "anyone\u00a0")) == []
    assert errors_of(_filter("grower", "=", "anyone ")) == [("value-set-rule", f"{WHERE}.value")]
