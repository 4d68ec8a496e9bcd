"""FHIRPath replaceMatches() as HL7's funcReplaceMatches runs it: RegexTimeout.replaceAll, that is
Pattern.compile(regex).matcher(s).replaceAll(repl), with Java's regex meaning and Java's replacement syntax.
Each answer below is Java 17's String.replaceAll (recorded; re-asked of the JDK on the machine when it has one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.fhirval.java_regex import compile_java, java_replace_all
from tests.fhirval.jdk import ask_jdk, utf16_hex
from tests.fhirval.test_fhirpath_functions import ours

# (input, regex, replacement, input.replaceAll(regex, replacement)) as Java 17 answered
JAVA = [
    ("abc", "(b)", "[$1]", "a[b]c"),
    ("abc", "(b)", "\\\\1", "a\\1c"),  # an escaped backslash, then a plain '1'
    ("abc", "(b)", "x\\ny", "axnyc"),  # '\n' is an 'n' in a replacement
    ("a b\u00a0c", "\\s", "_", "a_b\u00a0c"),  # \s is ASCII
    ("a-b.c", "[\\w-.]+", "X", "X"),  # a hyphen after \w in a class is a literal
    ("abc", "(a)(b)", "$21", "b1c"),  # $21 is group 2 then '1': there is no group 21
    ("abc", "(a)(b)", "$12", "a2c"),
    ("abc", "x*", "-", "-a-b-c-"),
    ("baaac", "a*", "-", "-b--c-"),
    ("abc", "(x)?b", "[$1]", "a[]c"),  # an unmatched group adds nothing
    ("\u00fcber", "\\w+", "W", "\u00fcW"),
    ("Patient.name.given", "\\..*", "", "Patient"),
]
# replacements Java refuses (IllegalArgumentException, or IndexOutOfBoundsException for '$3')
BAD = ["$", "\\", "$x", "$3"]


@pytest.mark.parametrize(("text", "regex", "replacement", "java"), JAVA)
def test_replace_all_is_javas(text: str, regex: str, replacement: str, java: str) -> None:
    assert java_replace_all(compile_java(regex), text, replacement) == java


@pytest.mark.parametrize("replacement", BAD)
def test_a_bad_group_reference_is_an_error(replacement: str) -> None:
    with pytest.raises(ValueError):
        java_replace_all(compile_java("(a)(b)"), "abc", replacement)


def test_replace_matches_in_fhirpath_reads_java() -> None:
    """fhirpathpy ran Python's re: '[\\w-.]' was a bad range, '\\s' took a no-break space, '\\n' became a newline."""
    assert ours("'a-b.c'.replaceMatches('[\\\\w-.]+', 'X')") == ["X"]
    assert ours("'a b\u00a0c'.replaceMatches('\\\\s', '_')") == ["a_b\u00a0c"]
    assert ours("'abc'.replaceMatches('(b)', '[$1]')") == ["a[b]c"]
    assert ours("'abc'.replaceMatches('(b)', 'x\\\\ny')") == ["axnyc"]


def test_the_table_is_what_the_jdk_here_answers(tmp_path: Path) -> None:
    rows = [(t, r, p) for t, r, p, _ in JAVA] + [("abc", "(a)(b)", b) for b in BAD]
    per_line = """try {
        System.out.println(hex(unescape(c[0]).replaceAll(unescape(c[1]), unescape(c[2]))));
      } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
        System.out.println("error");
      }"""
    out = ask_jdk(tmp_path, per_line, [f"{utf16_hex(t)}\t{utf16_hex(r)}\t{utf16_hex(p)}" for t, r, p in rows])
    assert out == [utf16_hex(j) for *_, j in JAVA] + ["error"] * len(BAD)


@pytest.mark.parametrize(("literal", "value"), [
    ("'x\\\\ny'", "x\\ny"),  # an escaped backslash, then 'n' (fhirpathpy: a backslash and a newline)
    ("'a\\nb'", "a\nb"),
    ("'\\u00e9'", "\u00e9"),  # four hex digits (fhirpathpy: decimal digits only)
    ("'a\\/b'", "a/b"),
    ("'it\\'s'", "it's"),
    ("'\\\\.'", "\\."),  # the regex escapes invariants write stay as they were
])
def test_string_literals_are_read_as_fhirlexer_reads_them(literal: str, value: str) -> None:
    """FHIRLexer.processConstant: escapes undone left to right."""
    assert ours(literal) == [value]
