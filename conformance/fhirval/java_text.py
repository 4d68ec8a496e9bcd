"""Java's String and Character semantics where HL7's validator relies on them and Python's built-ins answer
otherwise (each decided by running Java 17; ``tests/fhirval/test_java_text.py`` holds the JDK's answers and re-asks
the JDK on the machine when it has one).

- :func:`equals_ignore_case` is ``String.equalsIgnoreCase``: unit by unit, equal when
  ``Character.toLowerCase(Character.toUpperCase(c))`` is (:func:`java_fold`). ``a.lower() == b.lower()`` is not: a
  micro sign and a Greek mu (``µg``, ``μg``), a long s and an s, a non-final sigma at a word's end and its capital
  are one to Java and two to Python, and Python lowers ``İ`` to two characters where Java's per-character mapping
  gives ``i``.
- :func:`letter_or_digit` is ``Character.isLetterOrDigit(char)``: letters and decimal digits of the Basic
  Multilingual Plane only (a supplementary character is two surrogates to Java's char loop, neither a letter);
  Python's ``isalnum`` also takes the other numerals (``²``, ``½``, ``Ⅻ``).
- :func:`alphabetic` is ``Character.isAlphabetic`` on a char: the letters, the letter numerals (Nl: ``Ⅻ``) and the
  marks Unicode calls Other_Alphabetic (the Indic vowel signs: ``ि`` in ``हिन्दी``), which Python's ``isalpha``
  refuses; a supplementary character (two surrogates to Java) is neither.
- :func:`split` is ``String.split`` by one literal character: trailing empty strings are dropped (``"a,b,"`` is
  two values to Java, three to Python's ``str.split``).
- :func:`java_length` is ``String.length()``: UTF-16 units (an emoji is 2, one character to Python's ``len``).
- :func:`trim` is ``String.trim()``: every character up to U+0020 at either end, and nothing else (Python's
  ``strip()`` also takes the no-break space and the other Unicode spaces).
- :func:`is_blank` is commons-lang ``StringUtils.isBlank`` on a non-empty text, whitespace being
  ``Character.isWhitespace``: Python's ``isspace`` also takes the no-break spaces and NEL, which Java does not (a
  value of those is no blank value to HL7, and is judged by its type's rules).
- :func:`trim_ws` is ``Utilities.trimWS``, HL7's whitespace (:data:`HL7_WHITESPACE`, ``Utilities.isWhitespace``):
  Python's ``strip()`` also takes U+001C..U+001F, which HL7's list does not hold.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Utilities.isWhitespace(int): 0x09-0x0D, 0x20, and the switch's 0x85, 0xA0, 0x1680, 0x2000-0x200A, 0x2028, 0x2029,
# 0x202F, 0x205F, 0x3000 (str.isspace has these and U+001C..U+001F besides)
HL7_WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
                 "\u2028\u2029\u202f\u205f\u3000"
# String.trim(): the characters up to U+0020
JAVA_TRIMMED = "".join(map(chr, range(0x21)))

# Where Python's one-character case mappings do not give Java 17's Character.toLowerCase(toUpperCase(c)): U+0130
# (Python lowers it to 'i' with a combining dot, two characters; Java's simple mapping is 'i'), and letters Unicode
# 14 added that Java 17's Unicode 13 does not case (each is its own fold there)
_FOLD_EXCEPTIONS = {"\u0130": "i", "\u2c2f": "\u2c2f", "\ua7c0": "\ua7c0", "\ua7d0": "\ua7d0", "\ua7d6": "\ua7d6",
                    "\ua7d8": "\ua7d8"}
_LETTERS_AND_DIGITS = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _FOLD_EXCEPTIONS:
        return _FOLD_EXCEPTIONS[ch]
    upper = ch.upper()
    upper = upper if len(upper) == 1 else ch  # a full mapping (ß -> SS): Character.toUpperCase keeps the char
    lower = upper.lower()
    return lower if len(lower) == 1 else upper


def java_fold(text: str) -> str:
    """The text as String.equalsIgnoreCase compares it: each character folded by
    ``Character.toLowerCase(Character.toUpperCase(c))``; two texts are equal ignoring case when their folds are."""
    if text.isascii():
        return text.lower()
    return "".join(map(_fold_char, text))


def equals_ignore_case(a: str, b: str) -> bool:
    """String.equalsIgnoreCase (see :func:`java_fold`)."""
    return a == b or java_fold(a) == java_fold(b)


def letter_or_digit(ch: str) -> bool:
    """Character.isLetterOrDigit(char) for one character: a letter (Lu Ll Lt Lm Lo) or decimal digit (Nd) of the
    Basic Multilingual Plane (Java's char loop sees a supplementary character as two surrogates, neither)."""
    if ch.isascii():
        return ch.isalnum()
    return ord(ch) < 0x10000 and unicodedata.category(ch) in _LETTERS_AND_DIGITS


# Java 17's Character.isAlphabetic beyond the categories Lu Ll Lt Lm Lo Nl in the Basic Multilingual Plane (Unicode's
# Other_Alphabetic: combining vowel signs and the like, and the circled letters), as ranges of hex code points,
# read from the JDK (tests/fhirval/test_java_text.py re-asks it)
_OTHER_ALPHABETIC_RANGES = (
    "345 5b0-5bd 5bf 5c1-5c2 5c4-5c5 5c7 610-61a 64b-657 659-65f 670 6d6-6dc 6e1-6e4 6e7-6e8 6ed 711 730-73f "
    "7a6-7b0 816-817 81b-823 825-827 829-82c 8d4-8df 8e3-8e9 8f0-903 93a-93b 93e-94c 94e-94f 955-957 962-963 "
    "981-983 9be-9c4 9c7-9c8 9cb-9cc 9d7 9e2-9e3 a01-a03 a3e-a42 a47-a48 a4b-a4c a51 a70-a71 a75 a81-a83 abe-ac5 "
    "ac7-ac9 acb-acc ae2-ae3 afa-afc b01-b03 b3e-b44 b47-b48 b4b-b4c b56-b57 b62-b63 b82 bbe-bc2 bc6-bc8 bca-bcc "
    "bd7 c00-c03 c3e-c44 c46-c48 c4a-c4c c55-c56 c62-c63 c81-c83 cbe-cc4 cc6-cc8 cca-ccc cd5-cd6 ce2-ce3 d00-d03 "
    "d3e-d44 d46-d48 d4a-d4c d57 d62-d63 d81-d83 dcf-dd4 dd6 dd8-ddf df2-df3 e31 e34-e3a e4d eb1 eb4-eb9 ebb-ebc "
    "ecd f71-f81 f8d-f97 f99-fbc 102b-1036 1038 103b-103e 1056-1059 105e-1060 1062-1064 1067-106d 1071-1074 "
    "1082-108d 108f 109a-109d 1712-1713 1732-1733 1752-1753 1772-1773 17b6-17c8 1885-1886 18a9 1920-192b 1930-1938 "
    "1a17-1a1b 1a55-1a5e 1a61-1a74 1abf-1ac0 1b00-1b04 1b35-1b43 1b80-1b82 1ba1-1ba9 1bac-1bad 1be7-1bf1 1c24-1c36 "
    "1de7-1df4 24b6-24e9 2de0-2dff a674-a67b a69e-a69f a802 a80b a823-a827 a880-a881 a8b4-a8c3 a8c5 a8ff a926-a92a "
    "a947-a952 a980-a983 a9b4-a9bf a9e5 aa29-aa36 aa43 aa4c-aa4d aa7b-aa7d aab0 aab2-aab4 aab7-aab8 aabe aaeb-aaef "
    "aaf5 abe3-abea fb1e "
)
_OTHER_ALPHABETIC = frozenset(
    chr(c) for part in "".join(_OTHER_ALPHABETIC_RANGES).split()
    for lo, _, hi in [part.partition("-")] for c in range(int(lo, 16), int(hi or lo, 16) + 1))
_ALPHABETIC = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nl"})


def alphabetic(ch: str) -> bool:
    """Character.isAlphabetic for one char (see the module's notes)."""
    if ch.isascii():
        return ch.isalpha()
    return ord(ch) < 0x10000 and (unicodedata.category(ch) in _ALPHABETIC or ch in _OTHER_ALPHABETIC)


def digit(ch: str) -> bool:
    """Character.isDigit(char): a decimal digit (Nd) of the Basic Multilingual Plane."""
    return ord(ch) < 0x10000 and unicodedata.category(ch) == "Nd"


def java_length(text: str) -> int:
    """Java's ``String.length()``, which HL7's length rules read: UTF-16 code units, so a character beyond the Basic
    Multilingual Plane (an emoji, a rare CJK ideograph) counts 2 where Python's ``len`` counts 1."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def trim(text: str) -> str:
    """String.trim()."""
    return text.strip(JAVA_TRIMMED)


# Whitespace to str.isspace that Java's Character.isWhitespace is not: the no-break spaces and NEL
_NOT_JAVA_WHITESPACE = frozenset("\x85\xa0\u2007\u202f")


def is_blank(text: str) -> bool:
    """StringUtils.isBlank for a non-empty text (HL7's checkPrimitive): whitespace only, in Java's sense."""
    return text.isspace() and _NOT_JAVA_WHITESPACE.isdisjoint(text)


def trim_ws(text: str) -> str:
    """Utilities.trimWS: HL7's whitespace (:data:`HL7_WHITESPACE`) off both ends."""
    return text.strip(HL7_WHITESPACE)


def split(text: str, separator: str) -> list[str]:
    """String.split by a literal ``separator``: as str.split, less the trailing empty strings (all of them: ','
    gives none), except that a text without the separator is itself (even when empty)."""
    parts = text.split(separator)
    if len(parts) == 1:
        return parts
    while parts and not parts[-1]:
        parts.pop()
    return parts
