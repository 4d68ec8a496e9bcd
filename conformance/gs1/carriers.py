"""The carrier behind scanned data: the AIM symbology identifier a scanner prefixes, and what it implies.

A scanner reports ``]`` + symbology letter + modifier (ISO/IEC 15424) before the data; the GS1
General Specifications (section 5, data carriers: the symbology identifiers of GS1 carriers) name
those that carry GS1 data. What follows the identifier is read differently per carrier:

- element strings (``]C1`` GS1-128, ``]e0`` GS1 DataBar, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR Code,
  ``]J1`` GS1 DotCode): AI digits with GS separators, never brackets, never a GS before the first AI
  (the FNC1 in first position *is* the identifier's modifier);
- a bare GTIN (``]E0`` EAN-13/UPC-A as 13 digits or UPC-E as 8, ``]E4`` EAN-8, ``]I1`` ITF-14): the
  number is AI (01) padded to 14 digits; UPC-E is first expanded to its UPC-A (GTIN-12);
- ``]E3``: an EAN-13/UPC-A/UPC-E (13 digits) or EAN-8 (8) packet followed by its 2- or 5-digit
  add-on, which is reported as the add-on, not parsed as AI data;
- plain data (``]Q1`` QR Code, ``]d1`` Data Matrix): where a GS1 Digital Link URI belongs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from conformance.gs1.outcome import Element, Issue

# identifier -> (carrier name, how its data is read)
AI_MODE = "element strings"
PLAIN = "plain data"
EAN = "EAN/UPC"
ITF = "ITF-14"
SYMBOLOGIES: dict[str, tuple[str, str]] = {
    "]C1": ("GS1-128", AI_MODE), "]e0": ("GS1 DataBar", AI_MODE), "]d2": ("GS1 DataMatrix", AI_MODE),
    "]Q3": ("GS1 QR Code", AI_MODE), "]J1": ("GS1 DotCode", AI_MODE),
    "]E0": ("EAN-13/UPC-A/UPC-E", EAN), "]E3": ("EAN/UPC with add-on", EAN), "]E4": ("EAN-8", EAN),
    "]I1": ("ITF-14", ITF),
    "]Q1": ("QR Code", PLAIN), "]d1": ("Data Matrix", PLAIN),
}
# Identifiers of symbols that are not GS1 carriers in the form sent (no FNC1, no GTIN).
NOT_GS1 = {"]C0": "Code 128 without FNC1", "]J0": "DotCode without FNC1", "]I0": "Interleaved 2 of 5 without "
           "a check digit", "]E1": "a 2-digit add-on alone", "]E2": "a 5-digit add-on alone", "]Q0": "QR Code model 1"}
_IDENTIFIER = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


@dataclass(frozen=True)
class Carrier:
    """What the symbology identifier says about the symbol, and the GTIN a linear symbol carries."""

    symbology: str  # "]E0"
    name: str  # "UPC-E"
    gtin: str = ""  # GTIN-14 of an EAN/UPC/ITF-14 symbol (UPC-E expanded), else ""
    addon: str = ""  # the 2- or 5-digit add-on of a ]E3 packet

    @property
    def reads(self) -> str:
        return SYMBOLOGIES.get(self.symbology, ("", ""))[1]

    def to_dict(self) -> dict[str, str]:
        out = {"symbology": self.symbology, "name": self.name}
        out.update({k: v for k, v in (("gtin", self.gtin), ("addon", self.addon)) if v})
        return out


def read_identifier(text: str, issues: list[Issue]) -> Carrier | None:
    """The symbology identifier at the start of ``text``, or None when there is none."""
    if not _IDENTIFIER.match(text):
        return None
    sid = text[:3]
    if sid in SYMBOLOGIES:
        return Carrier(sid, SYMBOLOGIES[sid][0])
    name = NOT_GS1.get(sid, "a symbology that is not a GS1 data carrier")
    issues.append(Issue("symbology", f"symbology identifier {sid} means {name}: the data cannot be read as GS1 "
                        "element strings", position=0))
    return Carrier(sid, name)


def upce_to_upca(upce: str) -> str | None:
    """The 12-digit UPC-A (GTIN-12) a UPC-E symbol stands for, or None for a number system other than 0, 1.

    UPC-E zero suppression (ISO/IEC 15420): the sixth data digit says where the suppressed zeros
    go. The check digit is the UPC-A's, carried unchanged.
    """
    ns, d, check = upce[0], upce[1:7], upce[7]
    if ns not in "01":
        return None
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def _gtin_of(digits: str, start: int, issues: list[Issue], sid: str) -> tuple[str, str] | None:
    """(carrier name, GTIN-14) of an EAN/UPC primary packet of 13 digits, or 8 (UPC-E; EAN-8 under ]E3)."""
    if len(digits) == 13:
        return ("UPC-A" if digits[0] == "0" else "EAN-13"), "0" + digits
    if sid == "]E3":
        # 8 digits before an add-on are an EAN-8: ISO/IEC 15424's ]E3 packet has UPC-E expanded to 13
        # digits, as zxing-cpp sends it, and zxing-cpp sends EAN-8+add-on as 8 digits. (A UPC-E and an
        # EAN-8 reading of the same 8 digits often both pass their check digit, so no guessing.)
        return "EAN-8", "000000" + digits
    upca = upce_to_upca(digits)
    if upca is None:
        issues.append(Issue("carrier", f"UPC-E {digits!r} has number system {digits[0]}: only 0 and 1 exist, so "
                            "it expands to no GTIN-12", ("01",), start))
        return None
    return "UPC-E", "00" + upca


def read_primary(text: str, start: int, carrier: Carrier, issues: list[Issue]) -> tuple[list[Element], Carrier]:
    """The GTIN (as AI 01) and add-on of an EAN/UPC or ITF-14 symbol's data."""
    sid, digits = carrier.symbology, text[start:]
    if not (digits.isascii() and digits.isdigit()):
        bad = next(i for i, ch in enumerate(digits) if not (ch.isascii() and ch.isdigit())) if digits else 0
        issues.append(Issue("carrier", f"{carrier.name} carries digits only, got {digits!r}" if digits
                            else f"{sid} with no data", position=start + bad))
        return [], carrier
    addon = ""
    if sid == "]E4":
        allowed = {8: "EAN-8"}
    elif sid == "]I1":
        allowed = {14: "ITF-14"}
    elif sid == "]E3":
        split = {15: 13, 18: 13, 10: 8, 13: 8}.get(len(digits))
        if split is None:
            issues.append(Issue("carrier", f"]E3 is an EAN-13/UPC-A/UPC-E (13 digits) or EAN-8 (8) packet then a "
                                f"2- or 5-digit add-on; {len(digits)} digits is neither", position=start))
            return [], carrier
        digits, addon = digits[:split], digits[split:]
        allowed = {13: "", 8: ""}
    else:
        # 13 digits (EAN-13, or UPC-A with its leading 0) or 8 (UPC-E): a UPC-A is transmitted as 13 digits
        # (ISO/IEC 15420), so 12 digits after ]E0 is a scanner set to drop the 0 -- refused, as GS1's
        # Syntax Engine does, since the same 12 digits typed are not told from a truncated EAN-13.
        allowed = {13: "", 8: ""}
    if len(digits) not in allowed:
        hint = {15: " (an add-on is sent under ]E3)", 18: " (an add-on is sent under ]E3)",
                12: " (a UPC-A is sent as 13 digits, with a leading 0)"}.get(len(digits), "") if sid == "]E0" else ""
        want = " or ".join(str(n) for n in allowed)
        issues.append(Issue("carrier", f"{sid} {carrier.name} carries {want} digits, got {len(digits)}{hint}",
                            ("01",), start))
        return [], carrier
    if sid in ("]E4", "]I1"):
        name, gtin = allowed[len(digits)], digits.zfill(14)
    else:
        found = _gtin_of(digits, start, issues, sid)
        if found is None:
            return [], carrier
        name, gtin = found
        name = name + ("+add-on" if addon else "")
    return [Element("01", gtin, start, gtin == digits)], Carrier(sid, name, gtin, addon)
