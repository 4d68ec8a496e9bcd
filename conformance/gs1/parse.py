"""Splitting GS1 input into element strings: bracketed, and unbracketed as scanners deliver it.

Scanners hand over the symbol's data with FNC1 separators as GS (0x1D), usually after an AIM
symbology identifier (carriers.py reads those). GS1's Syntax Engine writes FNC1 as ``^``; since ``^``
is not in any GS1 character set we accept that too when the data is typed, which lets people
type unbracketed data on a command line.
"""

from __future__ import annotations

import re

from conformance.gs1.dictionary import AiTable
from conformance.gs1.outcome import Element, Issue

GS = "\x1d"
MAX_INPUT = 7089  # the most any GS1 carrier holds (QR Code, numeric); anything longer was not scanned
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def describe_char(ch: str) -> str:
    """A character as a person can read it in a message, control characters by name."""
    if ch == GS:
        return "GS (0x1D)"
    if ord(ch) < 32 or 127 <= ord(ch) < 160:
        return f"control character U+{ord(ch):04X}"
    return repr(ch)


def parse_bracketed(text: str, start: int, table: AiTable, issues: list[Issue]) -> list[Element]:
    """``(01)09501101530003(10)AB\\(1`` -> elements; ``\\(`` is a literal bracket in the data."""
    elements: list[Element] = []
    pos, n = start, len(text)
    while pos < n:
        if text[pos] != "(":
            issues.append(Issue("syntax", f"expected '(' to open an AI, found {describe_char(text[pos])}",
                                position=pos))
            nxt = text.find("(", pos)
            pos = n if nxt < 0 else nxt
            continue
        close = text.find(")", pos)
        if close < 0:
            issues.append(Issue("syntax", "'(' opens an AI that is never closed with ')'", position=pos))
            break
        ai = text[pos + 1:close]
        dstart = end = close + 1
        while True:
            end = text.find("(", end)
            if end < 0:
                end = n
                break
            if text[end - 1] != "\\":
                break
            end += 1
        raw = text[dstart:end]
        value = raw.replace("\\(", "(")
        if not (ai.isascii() and ai.isdigit() and 2 <= len(ai) <= 4):
            issues.append(Issue("syntax", f"({ai}) is not an AI: an AI is 2 to 4 digits", position=pos + 1))
        elif table.get(ai) is None:
            issues.append(Issue("unknown-ai", f"({ai}) is not a GS1 Application Identifier", (ai,), pos + 1))
        else:
            elements.append(Element(ai, value, dstart, raw == value))
        pos = end
    return elements


def parse_unbracketed(text: str, start: int, table: AiTable, issues: list[Issue]) -> list[Element]:
    """AI-prefixed data: predefined-length AIs end by length, all others at a GS or the end."""
    elements: list[Element] = []
    pos, n = start, len(text)
    while pos < n:
        if text[pos] == GS:
            # An FNC1 with no element before it: not what an encoder writes (GS1's Syntax Engine refuses it).
            issues.append(Issue("separator", "empty element: two GS separators in a row or a GS with "
                                "nothing before it", position=pos))
            pos += 1
            continue
        entry = table.match_prefix(text, pos)
        if entry is None:
            nxt = text.find(GS, pos)
            stop = n if nxt < 0 else nxt
            shown = text[pos:min(stop, pos + 4)]
            skipped = f"skipped {stop - pos} character(s) up to the next separator"
            if not text[pos].isdigit():
                issues.append(Issue("charset", f"{describe_char(text[pos])} where an AI should start; {skipped}",
                                    position=pos))
            else:
                issues.append(Issue("unknown-ai", f"{shown!r} does not start with a GS1 Application Identifier; "
                                    f"{skipped}", position=pos))
            pos = stop + 1
            continue
        dstart = pos + len(entry.ai)
        if entry.predefined:
            end = min(dstart + entry.max_length, n)
            gs = text.find(GS, dstart, end)
            end = end if gs < 0 else gs
            elements.append(Element(entry.ai, text[dstart:end], dstart))
            pos = end + 1 if end < n and text[end] == GS else end
        else:
            end = text.find(GS, dstart)
            end = n if end < 0 else end
            elements.append(Element(entry.ai, text[dstart:end], dstart))
            pos = end + 1
    return elements


def looks_like_uri(text: str) -> bool:
    return bool(_URI.match(text))
