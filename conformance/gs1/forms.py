"""The declared form: whether data claims to be what a scanner sent, HRI text, or a Digital Link URI.

The same GTIN reaches a system as scanner output (``]d2`` + AI digits with GS), as the bracketed
human-readable text printed under the symbol, or as a Digital Link URI. A scan that arrives as HRI
text was typed, or re-keyed by middleware, not scanned; that is a defect of the scanning path even
when every AI is valid. ``auto`` infers the form as before, and holds to scanner rules only data
that carries a symbology identifier (which only a scanner adds).
"""

from __future__ import annotations

from conformance.gs1.carriers import AI_MODE, Carrier
from conformance.gs1.outcome import Issue
from conformance.gs1.parse import GS

DECLARED_FORMS = ("auto", "scanner", "bracketed", "digital-link")
_SHOWN = {"bracketed": "bracketed HRI text", "unbracketed": "scanner data (AI digits)",
          "digital-link": "a Digital Link URI", "": "not GS1 data"}


def check_scanned_prefix(body: str, at: int, carrier: Carrier | None, issues: list[Issue]) -> None:
    """What must not follow a symbology identifier (or start declared scanner data)."""
    sid = carrier.symbology if carrier else ""
    if body.startswith("("):
        where = f"after the symbology identifier {sid}" if sid else "in data declared as scanner output"
        issues.append(Issue("hri-as-scan", f"brackets {where}: '(01)...' is the human-readable text printed under "
                            "a symbol; a scanner sends the AI digits with GS separators, so this was typed or "
                            "re-keyed, not scanned", position=at))
    elif body.startswith(GS):
        issues.append(Issue("separator", f"GS before the first AI{' after ' + sid if sid else ''}: the FNC1 in "
                            "first position is reported by the symbology identifier (]d2, ]C1, ]Q3...), not "
                            "sent as a GS", position=at))
    elif body.startswith("^"):
        issues.append(Issue("hri-as-scan", "'^' is the typing notation for FNC1; a scanner sends GS (0x1D)",
                            position=at))
    elif carrier is not None and carrier.reads == AI_MODE and body.lower().startswith(("http://", "https://")):
        plain = {"]Q3": "]Q1", "]d2": "]d1"}.get(carrier.symbology, "]Q1 or ]d1")
        issues.append(Issue("symbology", f"a Digital Link URI in {carrier.name} ({carrier.symbology}, GS1 mode, "
                            f"which carries element strings): a Digital Link is encoded as plain data ({plain})",
                            position=0))


def check_declared(detected: str, form: str, carrier: Carrier | None, symbology_required: bool,
                   issues: list[Issue]) -> None:
    """The data is in the form the caller declared it to be in."""
    if form == "auto":
        return
    if form == "scanner":
        if carrier is None and symbology_required:
            issues.append(Issue("symbology", "no symbology identifier (such as ]d2, ]C1, ]Q3, ]E0): a scanner "
                                "configured to send one prefixes every scan with it; without one this data "
                                "cannot be told from typed text", position=0))
        return
    if carrier is not None:
        issues.append(Issue("declared-form", f"declared {_SHOWN[form]}, but it starts with the symbology "
                            f"identifier {carrier.symbology}: this is scanner output", position=0))
    elif detected and detected != form:
        issues.append(Issue("declared-form", f"declared {_SHOWN[form]}, but this is {_SHOWN[detected]}",
                            position=0))
