"""Java regular expressions read by Python's ``re``, with Java's meaning where the two engines part.

Regexes in FHIR content are Java's: HL7's validator runs a profile's ``regex`` extension, a questionnaire's, a
ValueSet ``regex`` filter (RegexTimeout.matches: ``Pattern.matches`` with no flag) and FHIRPath's ``matches()``
(``(?s)`` and ``find``) through java.util.regex. No library on PyPI reads Java's dialect (the ``regex`` module
is PCRE-like, with Unicode classes too), so the differences that decide verdicts on patterns Python reads are
bridged here, each checked against Java 17's Pattern (HL7's build target, pom.xml ``maven.compiler.release``;
tests/fhirval/test_java_regex.py lists the cases):

- ``\\s``, ``\\d``, ``\\w`` are ASCII in Java: compile with :data:`FLAGS` (``re.ASCII``);
- ``\\b`` and ``\\B`` are not: Java 17's Pattern.Bound takes ``Character.isLetterOrDigit`` or ``_`` as a word
  character (``\\bcafé\\b`` matches ``café``), read with Python's Unicode ``\\b`` (Java 19 made it ASCII, as ``\\w``);
- ``\\v`` is Java's vertical whitespace (``\\n``, VT, FF, ``\\r``, U+0085, U+2028, U+2029), Python's VT alone;
- a ``-`` right after a shorthand class inside a class (``[\\w-.]``, the common e-mail pattern ``[\\w-\\.]+``) is a
  literal hyphen in Java, a "bad character range" error in Python: written ``\\-``;
- without DOTALL, Java's ``.`` stops at every line terminator (``\\n``, ``\\r``, U+0085, U+2028, U+2029), Python's
  at ``\\n`` only: written as the class of everything else;
- without MULTILINE, Java's ``$`` (and ``\\Z`` always) matches at the end or before a final line terminator of any of
  those kinds (``\\r\\n`` too), Python's before a final ``\\n`` only: written as that lookahead (``find`` on
  ``123\\r`` with ``^\\d+$`` is true in Java).

What Python cannot read, or reads with another meaning it cannot be given (``\\p{L}``, ``\\Q..\\E``, a class inside
a class or a class intersection ``[a-z&&[^aeiou]]``, which Python takes as a literal ``[`` and ``&``), raises
``re.error``: the caller does not judge with it.
"""

from __future__ import annotations

import functools
import re

FLAGS = re.ASCII
_SHORTHAND = frozenset("wWdDsSV")
_TERMINATORS = "\n\r\u0085\u2028\u2029"
_JAVA_DOT = f"[^{_TERMINATORS}]"
_VERTICAL = "\\n\\x0b\\f\\r\\x85\\u2028\\u2029"  # Java's \v (Pattern: CharPredicates.VertWS)
_JAVA_END = "(?=(?:\\r\\n|[\\r\\x85\\u2028\\u2029]|(?<!\\r)\\n)?\\Z)"  # Pattern.Dollar(false): not between \r and \n


def _flag_set(pattern: str, flag: str) -> bool:
    """An inline flag group setting ``flag`` anywhere (``(?s)``, ``(?is:``): taken as applying to the whole pattern,
    which for ``s`` and ``m`` reads it more leniently than Java, never more strictly."""
    return re.search(r"\(\?[a-zA-Z]*" + flag, pattern) is not None


def _escape(pair: str, in_class: bool, range_from: bool) -> str:
    """A backslash pair, written for Python with Java's meaning (``range_from``: a range's start in a class)."""
    letter = pair[1]
    if letter == "v":  # in a class, the start of a range is VT alone (Java kept its pre-1.8 reading there)
        return "\\x0b" if range_from else _VERTICAL if in_class else f"[{_VERTICAL}]"
    if letter == "V":
        if in_class:
            raise re.error("\\V inside a class: Java's non-vertical-whitespace, not expressible here")
        return f"[^{_VERTICAL}]"
    if letter in "bB" and not in_class:
        return f"(?u:{pair})"
    if letter == "Z" and not in_class:
        return _JAVA_END
    return pair


def to_python(pattern: str, dotall: bool = False) -> str:
    """``pattern`` (Java's syntax) written for Python's ``re`` with Java's meaning (compile it with :data:`FLAGS`,
    and ``re.DOTALL`` when ``dotall``); raises ``re.error`` where Python would read it with another meaning."""
    dotall = dotall or _flag_set(pattern, "s")  # an inline (?s) applies to every '.'
    multiline = _flag_set(pattern, "m")
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = 0  # index in the pattern just past '[' or '[^': a ']' there is a literal
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            pair = pattern[i:i + 2]
            i += 2
            range_from = in_class and pattern[i:i + 1] == "-" and pattern[i + 1:i + 2] not in "]"
            out.append(_escape(pair, in_class, range_from))
            if in_class and pair[1] in _SHORTHAND and i + 1 < n and pattern[i] == "-" and pattern[i + 1] != "]":
                out.append("\\-")  # Java: after a shorthand class, '-' is a literal, not a range
                i += 1
            continue
        if in_class:
            if c == "[" or (c == "&" and pattern[i + 1:i + 2] == "&"):
                raise re.error("a class inside a class or a class intersection: Java's union or '&&', which "
                               "Python reads as literal characters")
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
        if c == "." and not dotall:
            out.append(_JAVA_DOT)
        elif c == "$" and not multiline:
            out.append(_JAVA_END)
        else:
            out.append(c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=512)
def compile_java(pattern: str, dotall: bool = False) -> re.Pattern[str]:
    """The compiled pattern (raises ``re.error`` where Python cannot read it with Java's meaning; an inline flag
    Python refuses beside ``re.ASCII``, Java's ``(?u)`` for one, is such a case too)."""
    try:
        return re.compile(to_python(pattern, dotall), FLAGS | (re.DOTALL if dotall else 0))
    except ValueError as exc:  # "ASCII and UNICODE flags are incompatible", a LOCALE flag on a str pattern
        raise re.error(str(exc)) from exc


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
