"""Java regular expressions read by Python's ``re``, with Java's meaning where the two engines part.

Regexes in FHIR content are Java's: HL7's validator runs a profile's ``regex`` extension, a questionnaire's, a
ValueSet ``regex`` filter (RegexTimeout.matches: ``Pattern.matches`` with no flag) and FHIRPath's ``matches()``
(``(?s)`` and ``find``) through java.util.regex. No library on PyPI reads Java's dialect (the ``regex`` module
is PCRE-like, with Unicode classes too), so the few differences that decide verdicts on patterns Python reads are
bridged here, each checked against Java 17's Pattern (tests/fhirval/test_java_regex.py lists the cases):

- ``\\s``, ``\\d``, ``\\w``, ``\\b`` are ASCII in Java: compile with :data:`FLAGS` (``re.ASCII``);
- a ``-`` right after a shorthand class inside a class (``[\\w-.]``, the common e-mail pattern ``[\\w-\\.]+``) is a
  literal hyphen in Java, a "bad character range" error in Python: written ``\\-``;
- without DOTALL, Java's ``.`` stops at every line terminator (``\\n``, ``\\r``, U+0085, U+2028, U+2029), Python's
  at ``\\n`` only: written as the class of everything else.

What Python cannot read (``\\p{L}``, ``\\Q..\\E``, class intersections) is left to the caller, which does not
judge with it.
"""

from __future__ import annotations

import functools
import re

FLAGS = re.ASCII
_SHORTHAND = frozenset("wWdDsS")
_JAVA_DOT = "[^\n\r\u0085\u2028\u2029]"


def to_python(pattern: str, dotall: bool = False) -> str:
    """``pattern`` (Java's syntax) written for Python's ``re`` with Java's meaning (compile it with :data:`FLAGS`,
    and ``re.DOTALL`` when ``dotall``)."""
    dotall = dotall or re.search(r"\(\?[a-zA-Z]*s", pattern) is not None  # an inline (?s) applies to every '.'
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = 0  # index in the pattern just past '[' or '[^': a ']' there is a literal
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            pair = pattern[i:i + 2]
            out.append(pair)
            i += 2
            if in_class and pair[1] in _SHORTHAND and i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
                out.append("\\-")  # Java: after a shorthand class, '-' is a literal, not a range
                i += 1
            continue
        if in_class:
            if c == "]" and i != class_start:
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            class_start = i + 1 + (1 if pattern[i + 1:i + 2] == "^" else 0)
            out.append(pattern[i:class_start])
            i = class_start
            continue
        out.append(_JAVA_DOT if c == "." and not dotall else c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_java(pattern: str, dotall: bool = False) -> re.Pattern[str]:
    """The compiled pattern (raises ``re.error`` where Python cannot read it)."""
    return re.compile(to_python(pattern, dotall), FLAGS | (re.DOTALL if dotall else 0))


def java_replace_all(pattern: re.Pattern[str], text: str, replacement: str) -> str:
    """Matcher.replaceAll(replacement) (appendExpandedReplacement): ``$n`` is group n, taking further digits while
    the number stays a group of the pattern; ``${name}`` a named group; a backslash makes the next character
    literal (``\\n`` is an 'n', not a newline, and ``\\1`` a '1'); an unmatched group adds nothing. A bad reference
    raises ValueError, as Java throws IllegalArgumentException or IndexOutOfBoundsException."""

    def expand(m: re.Match[str]) -> str:
        out: list[str] = []
        i, n = 0, len(replacement)
        while i < n:
            ch = replacement[i]
            i += 1
            if ch == "\\":
                if i >= n:
                    raise ValueError("character to be escaped is missing")
                out.append(replacement[i])
                i += 1
            elif ch != "$":
                out.append(ch)
            elif i >= n:
                raise ValueError("Illegal group reference: group index is missing")
            elif replacement[i] == "{":
                end = replacement.find("}", i)
                name = replacement[i + 1:end] if end > i else ""
                if not name or name not in pattern.groupindex:
                    raise ValueError(f"No group with name {{{name}}}")
                out.append(m.group(name) or "")
                i = end + 1
            elif "0" <= replacement[i] <= "9":
                ref = int(replacement[i])
                i += 1
                while i < n and "0" <= replacement[i] <= "9" and ref * 10 + int(replacement[i]) <= pattern.groups:
                    ref = ref * 10 + int(replacement[i])
                    i += 1
                if ref > pattern.groups:
                    raise ValueError(f"No group {ref}")
                out.append(m.group(ref) or "")
            else:
                raise ValueError("Illegal group reference")
        return "".join(out)

    return pattern.sub(expand, text)
