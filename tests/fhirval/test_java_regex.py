"""java_regex.py reads Java regexes with Java's meaning: each case's answer is java.util.regex's (Java 17, recorded
in the table; re-checked live against the JDK on the machine when it has one), never Python's own."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.fhirval.bounds import compiled_regex
from conformance.fhirval.java_regex import compile_java, to_python
from conformance.fhirval.value_set_rules import regex_problem
from tests.fhirval.jdk import ask_jdk, utf16_hex

# (regex, input, Pattern.matches(regex, input)) as Java 17 answered them
JAVA = [
    ("[\\w-\\.]+", "a-b.c", True),  # the common e-mail class: a hyphen after \w is a literal in Java
    ("[\\w-.]+", "a-b.c", True),
    ("[\\d-x]+", "1-x", True),
    ("[a\\s-z]+", "a -z", True),
    ("[a\\s-z]+", "m", False),  # not a range
    ("\\S+", "a\u00a0b", True),  # ASCII classes: a no-break space is not \s
    ("[^\\s]+", "a\u2003", True),
    ("\\w+", "\u00fc", False),
    ("\\d+", "\u0661", False),
    ("a.b", "a\rb", False),  # Java's . stops at every line terminator
    ("a.b", "a\u0085b", False),
    ("a.b", "a\u2028b", False),
    ("a.b", "a\tb", True),
    ("(?s)a.b", "a\rb", True),
    ("[a-]+", "a-", True),
    ("[]a]", "]", True),
    ("[^]a]", "b", True),
    ("[.]", "\r", False),  # a dot in a class is a dot
    ("\\bcaf\u00e9\\b", "caf\u00e9", True),  # Java 17's \b: Character.isLetterOrDigit, not \w (review16)
    ("x\\B\u00e9", "x\u00e9", True),
    ("\\v", "\n", True),  # Java's \v: vertical whitespace, not VT alone
    ("[\\v]", "\u2028", True),
    ("\\V", "\r", False),
    ("[\\v-x]", "a", True),  # a range's start in a class: VT (0x0B) there
    ("[\\v-x]", "\n", False),
    ("[\\[\\]]+", "[]", True),  # escaped brackets in a class: no nested class
    ("a&&b", "a&&b", True),  # '&&' outside a class is two ampersands
]

# (regex, input, Pattern.compile("(?s)" + regex).matcher(input).find()), FHIRPath matches() as HL7 runs it
JAVA_FIND = [
    ("^\\d+$", "123\r", True),  # Java's $: before a final line terminator of any kind (review16)
    ("^\\d+$", "123\r\n", True),
    ("^\\d+$", "123\u2028", True),
    ("^\\d+$", "123\n", True),
    ("^\\d+$", "123\n\n", False),
    ("a$", "a\r\n", True),
    ("a\\Z", "a\u0085", True),
    ("\\d$\\r", "1\r", True),
    ("^\\w+$", "ab\u00e9", False),
]


@pytest.mark.parametrize(("regex", "text", "java"), JAVA)
def test_reads_as_java_reads(regex: str, text: str, java: bool) -> None:
    assert (compile_java(regex).fullmatch(text) is not None) == java


@pytest.mark.parametrize(("regex", "text", "java"), JAVA_FIND)
def test_finds_as_java_finds(regex: str, text: str, java: bool) -> None:
    assert (compile_java(regex, dotall=True).search(text) is not None) == java


@pytest.mark.parametrize("regex", ["[a-z&&[^aeiou]]", "[a[bc]]", "(?u)\\w", "[\\V]"])
def test_what_python_would_read_otherwise_is_refused(regex: str) -> None:
    """A class intersection or union (Python: literal '&' and '['), Java's (?u) (Python: incompatible with
    re.ASCII, a ValueError that escaped compiled_regex), \\V in a class: re.error, so no caller judges with it
    (FHIRPath matches() included: the invariant is then not evaluated)."""
    with pytest.raises(re.error):
        compile_java(regex)
    assert compiled_regex(regex) is None


def test_a_quantified_anchor_is_not_called_invalid() -> None:
    """Java's Pattern.compile takes ``^*`` and ``\\b?`` (ValueSetValidator: VALUESET_BAD_FILTER_VALUE_VALID_REGEX
    only on a PatternSyntaxException); Python's "nothing to repeat" is not Java's verdict there."""
    assert regex_problem("^*[a-z]+") is None and regex_problem("\\b?x") is None
    assert regex_problem("*a") is not None  # a dangling '*': both refuse


def test_dotall_leaves_the_dot_alone() -> None:
    assert to_python("a.b", dotall=True) == "a.b"
    assert to_python("[.]") == "[.]" and to_python("\\.") == "\\."
    assert compile_java("a.b", dotall=True).fullmatch("a\rb") is not None


def test_the_profile_regex_and_the_filter_check_use_it() -> None:
    pattern = compiled_regex("[\\w-\\.]+@[\\w-]+")
    assert pattern is not None and pattern.fullmatch("jane.doe@example") is not None
    assert regex_problem("[\\w-\\.]+") is None  # Java compiles it: no "bad character range" here
    assert regex_problem("[z-a]") is not None  # both engines refuse a reversed range


def test_the_table_is_what_the_jdk_here_answers(tmp_path: Path) -> None:
    """The tables are Java's: re-asked of the machine's JDK (``Pattern.matches``, and ``find`` with ``(?s)``)."""
    cases = [("m", *case) for case in JAVA] + [("f", *case) for case in JAVA_FIND]
    out = ask_jdk(tmp_path, 'String re = unescape(c[1]), in = unescape(c[2]); System.out.println(c[0].equals("m") '
                            '? Pattern.matches(re, in) : Pattern.compile("(?s)" + re).matcher(in).find());',
                  [f"{mode}\t{utf16_hex(r)}\t{utf16_hex(t)}" for mode, r, t, _ in cases], "import java.util.regex.*;")
    assert [json.loads(v) for v in out] == [j for _, _, _, j in cases]


def test_python_alone_would_answer_otherwise() -> None:
    """Why the module exists: Python's own reading differs on these (so the table is not Python's answers)."""
    with pytest.raises(re.error):
        re.compile("[\\w-\\.]+")
    assert re.fullmatch("\\S+", "a\u00a0b") is None and re.fullmatch("a.b", "a\rb") is not None
