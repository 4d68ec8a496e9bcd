"""Splitting GS1 input into element strings: bracketed, and unbracketed as scanners deliver it.

Scanners hand over the symbol's data with FNC1 separators as GS (0x1D), often after an AIM
symbology identifier (``]d2`` GS1 DataMatrix, ``]C1`` GS1-128, ``]e0`` GS1 DataBar, ``]Q3`` GS1 QR,
``]J1`` GS1 DotCode) and sometimes with a leading GS for the FNC1 in first position. GS1's Syntax
Engine writes FNC1 as ``^``; since ``^`` is not in any GS1 character set we accept that too, which
also lets people type unbracketed data on a command line.
"""

from __future__ import annotations

import re

from conformance.gs1.dictionary import AiTable
from conformance.gs1.outcome import Element, Issue

GS = "\x1d"
MAX_INPUT = 7089  # the most any GS1 carrier holds (QR Code, numeric); anything longer was not scanned
GS1_SYMBOLOGIES = {"]C1": "GS1-128", "]e0": "GS1 DataBar", "]d2": "GS1 DataMatrix", "]Q3": "GS1 QR Code",
                   "]J1": "GS1 DotCode"}
PLAIN_SYMBOLOGIES = {"]Q1": "QR Code", "]d1": "Data Matrix", "]C0": "Code 128", "]J0": "DotCode"}
EAN_SYMBOLOGIES = {"]E0": "EAN-13/UPC-A", "]E4": "EAN-8"}
_SYMBOLOGY = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def describe_char(ch: str) -> str:
    """A character as a person can read it in a message, control characters by name."""
    if ch == GS:
        return "GS (0x1D)"
    if ord(ch) < 32 or 127 <= ord(ch) < 160:
        return f"control character U+{ord(ch):04X}"
    return repr(ch)


def split_symbology(text: str, issues: list[Issue]) -> tuple[str, int, str]:
    """Strip an AIM symbology identifier; return (identifier, where the data starts, kind)."""
    if not _SYMBOLOGY.match(text):
        return "", 0, "gs1"
    sid = text[:3]
    if sid in GS1_SYMBOLOGIES:
        return sid, 3, "gs1"
    if sid in EAN_SYMBOLOGIES:
        return sid, 3, "ean"
    rest = text[3:]
    if sid in PLAIN_SYMBOLOGIES and rest.lower().startswith(("http://", "https://")):
        return sid, 3, "gs1"  # a Digital Link URI rides in a plain QR / Data Matrix symbol
    name = PLAIN_SYMBOLOGIES.get(sid, "a symbology that is not a GS1 carrier")
    issues.append(Issue("symbology", f"symbology identifier {sid} means {name}, not GS1 mode: the data "
                        "carries no FNC1 and cannot be read as GS1 element strings", position=0))
    return sid, 3, "gs1"


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
            issues.append(Issue("separator", "empty element: two GS separators in a row or a GS with "
                                "nothing before it", position=pos, severity="warning"))
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


def parse_ean(text: str, start: int, issues: list[Issue]) -> list[Element]:
    """EAN-13 / UPC-A / EAN-8 symbols carry a bare GTIN; it is AI (01) padded to 14 digits."""
    digits = text[start:]
    if not (digits.isascii() and digits.isdigit() and len(digits) in (8, 12, 13)):
        issues.append(Issue("length", f"an EAN/UPC symbol carries 8, 12 or 13 digits, got {digits!r}",
                            position=start))
        return []
    return [Element("01", digits.zfill(14), start, False)]


def looks_like_uri(text: str) -> bool:
    return bool(_URI.match(text))
