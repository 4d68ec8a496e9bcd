"""java_regex.py reads Java regexes with Java's meaning: each case's answer is java.util.regex's (Java 17, recorded
in the table; re-checked live against the JDK on the machine when it has one), never Python's own."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.fhirval.bounds import compiled_regex
from conformance.fhirval.java_regex import compile_java, to_python
from conformance.fhirval.value_set_rules import regex_problem

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
]


@pytest.mark.parametrize(("regex", "text", "java"), JAVA)
def test_reads_as_java_reads(regex: str, text: str, java: bool) -> None:
    assert (compile_java(regex).fullmatch(text) is not None) == java


def test_dotall_leaves_the_dot_alone() -> None:
    assert to_python("a.b", dotall=True) == "a.b"
    assert to_python("[.]") == "[.]" and to_python("\\.") == "\\."
    assert compile_java("a.b", dotall=True).fullmatch("a\rb") is not None


def test_the_profile_regex_and_the_filter_check_use_it() -> None:
    pattern = compiled_regex("[\\w-\\.]+@[\\w-]+")
    assert pattern is not None and pattern.fullmatch("jane.doe@example") is not None
    assert regex_problem("[\\w-\\.]+") is None  # Java compiles it: no "bad character range" here
    assert regex_problem("[z-a]") is not None  # both engines refuse a reversed range


JAVA_SOURCE = """
import java.util.regex.*;
public class Check {
  public static void main(String[] a) throws Exception {
    String text = new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(a[0])), "UTF-8");
    for (String line : text.split("\\n")) {
      if (line.isEmpty()) continue;
      String[] c = line.split("\\t");
      String re = unescape(c[0]), in = unescape(c[1]);
      System.out.println(Pattern.matches(re, in));
    }
  }
  static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i += 4) b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
    return b.toString();
  }
}
"""


def test_the_table_is_what_the_jdk_here_answers(tmp_path: Path) -> None:
    """The table is Java's: re-asked of the machine's JDK (``java Check.java``, Java 11+ runs a source file)."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("no JDK on this machine: install one (Debian: default-jdk-headless) to re-check the table live")
    (tmp_path / "Check.java").write_text(JAVA_SOURCE)
    hexed = "".join(f"{''.join(f'{ord(ch):04x}' for ch in r)}\t{''.join(f'{ord(ch):04x}' for ch in t)}\n"
                    for r, t, _ in JAVA)
    (tmp_path / "cases.txt").write_text(hexed)
    out = subprocess.run([java, str(tmp_path / "Check.java"), str(tmp_path / "cases.txt")], capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    assert [json.loads(v) for v in out] == [j for _, _, j in JAVA]


def test_python_alone_would_answer_otherwise() -> None:
    """Why the module exists: Python's own reading differs on these (so the table is not Python's answers)."""
    with pytest.raises(re.error):
        re.compile("[\\w-\\.]+")
    assert re.fullmatch("\\S+", "a\u00a0b") is None and re.fullmatch("a.b", "a\rb") is not None
