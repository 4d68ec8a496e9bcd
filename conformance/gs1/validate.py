"""Validating GS1 input: every element against the AI table, then the elements against each other.

Every problem is reported, not just the first: an element with a bad check digit still has its date
checked, and an unknown AI in unbracketed data only skips to the next separator. The one entry point
``validate`` never raises; whatever the input, the answer is a ``Gs1Result``.
"""

from __future__ import annotations

import re

from conformance.gs1.carriers import EAN, ITF, PLAIN, Carrier, read_identifier, read_primary
from conformance.gs1.dictionary import AiEntry, AiTable, Component, default_table
from conformance.gs1.digital_link import parse_digital_link
from conformance.gs1.forms import DECLARED_FORMS, check_declared, check_scanned_prefix
from conformance.gs1.linters import CSET39, CSET64, CSET82, LINTERS
from conformance.gs1.outcome import Element, Gs1Result, Issue
from conformance.gs1.parse import GS, MAX_INPUT, describe_char, looks_like_uri, parse_bracketed, parse_unbracketed

_CSET_NAMES = {"N": "digits (0-9)", "X": "GS1 CSET 82", "Y": "GS1 CSET 39", "Z": "GS1 CSET 64 (base64url)"}
_CSET_RE = {
    "N": re.compile(r"[0-9]*"),
    "X": re.compile("[" + re.escape(CSET82) + "]*"),
    "Y": re.compile("[" + re.escape(CSET39) + "]*"),
    "Z": re.compile("[" + re.escape(CSET64) + "]*={0,2}"),
}


def _length_issue(entry: AiEntry, element: Element, form: str) -> Issue | None:
    n = len(element.value)
    if entry.min_length <= n <= entry.max_length:
        return None
    want = (f"{entry.max_length}" if entry.fixed_length
            else f"{entry.min_length} to {entry.max_length}")
    if form == "digital-link" and entry.ai == "01" and n in (8, 12, 13) and element.value.isdigit():
        # GS1 Digital Link URI Syntax 1.2, ABNF gtin-value = 14DIGIT: "GTIN-8, GTIN-12 and GTIN-13 SHALL
        # be expressed as 14 digits, with leading zeroes serving as filler digits". Refused, not padded:
        # the Syntax Engine too accepts them only with its legacy "zero-suppressed GTIN" option.
        return Issue("length", f"(01) GTIN-{n} in a Digital Link URI: a GTIN SHALL be written as 14 digits with "
                     f"leading zeros (GS1 Digital Link URI Syntax, gtin-value), here {element.value.zfill(14)}",
                     (entry.ai,), element.start)
    if n == 0:
        text = f"({entry.ai}) {entry.title} has no data; it needs {want} characters"
    else:
        text = f"({entry.ai}) {entry.title} is {n} character{'s' if n > 1 else ''} long; it must be {want}"
    if n > entry.max_length and form == "unbracketed" and not entry.predefined:
        text += " (is the GS separator missing after it?)"
    return Issue("length", text, (entry.ai,), element.start)


def _check_component(entry: AiEntry, comp: Component, piece: str, at: int, element: Element,
                     issues: list[Issue]) -> None:
    m = _CSET_RE[comp.cset].match(piece)
    good = m.end() if m else 0
    if good < len(piece):
        bad = piece[good]
        count = sum(1 for ch in piece if _CSET_RE[comp.cset].fullmatch(ch) is None)
        more = f" ({count} such characters)" if count > 1 else ""
        issues.append(Issue("charset", f"({entry.ai}) {describe_char(bad)} is not allowed here: only "
                            f"{_CSET_NAMES[comp.cset]}{more}", (entry.ai,), _pos(element, at + good)))
        return
    if not comp.min <= len(piece) <= comp.max:
        return  # the element's length issue already says so; content checks need the right length
    for name in comp.linters:
        linter = LINTERS.get(name)
        if linter is None:
            issues.append(Issue("not-checked", f"({entry.ai}) content rule {name!r} is not implemented here; "
                                "that part was not checked", (entry.ai,), severity="information"))
            continue
        defect = linter(piece)
        if defect is not None:
            issues.append(Issue(defect.code, f"({entry.ai}) {entry.title}: {defect.message}", (entry.ai,),
                                _pos(element, at + defect.offset)))


def _pos(element: Element, offset: int) -> int:
    return element.start + offset if element.exact else element.start


def check_element(entry: AiEntry, element: Element, form: str, issues: list[Issue]) -> None:
    """Length, character set and content rules of one element string."""
    length = _length_issue(entry, element, form)
    if length is not None:
        issues.append(length)
    value, at = element.value, 0
    last = len(entry.components) - 1
    for i, comp in enumerate(entry.components):
        if at >= len(value) and (comp.optional or length is not None):
            break
        piece = value[at:] if i == last else value[at:at + comp.max]
        _check_component(entry, comp, piece, at, element, issues)
        at += len(piece)


def _matches(pattern: str, ai: str) -> bool:
    if len(pattern) != len(ai):
        return False
    return all(p == a or (p == "n" and a.isdigit()) for p, a in zip(pattern, ai, strict=True))


def check_relations(elements: list[Element], table: AiTable, issues: list[Issue]) -> None:
    """Duplicates with different values, invalid pairings (ex=) and mandatory associations (req=)."""
    seen: dict[str, str] = {}
    for element in elements:
        if element.ai in seen and seen[element.ai] != element.value:
            issues.append(Issue("duplicate-ai", f"({element.ai}) appears twice with different values "
                                f"{seen[element.ai]!r} and {element.value!r}", (element.ai,), element.start))
        seen.setdefault(element.ai, element.value)
    present = list(seen)
    reported: set[frozenset[str]] = set()
    for ai in present:
        entry = table.get(ai)
        if entry is None:
            continue
        for pattern in entry.ex:
            for other in present:
                pair = frozenset((ai, other))
                if other != ai and _matches(pattern, other) and pair not in reported:
                    reported.add(pair)
                    issues.append(Issue("invalid-pairing", f"({ai}) {entry.title} must not appear together "
                                        f"with ({other})", (ai, other)))
        for alternatives in entry.req:
            if not any(all(any(_matches(p, o) for o in present) for p in group) for group in alternatives):
                options = " or ".join("+".join(f"({p})" for p in group) for group in alternatives)
                issues.append(Issue("missing-association", f"({ai}) {entry.title} requires {options} in the "
                                    "same data", (ai,)))


def _read(text: str, table: AiTable, form: str, issues: list[Issue]) -> tuple[str, list[Element], Carrier | None]:
    """Detect the written form (after any symbology identifier) and parse the elements."""
    carrier = read_identifier(text, issues)
    start = 3 if carrier is not None else 0
    body = text[start:]
    if carrier is not None or form == "scanner":
        check_scanned_prefix(body, start, carrier, issues)
    if body.startswith("^"):
        text = text[:start] + body.replace("^", GS)
        body = text[start:]
    if carrier is not None and carrier.reads in (EAN, ITF):
        elements, carrier = read_primary(text, start, carrier, issues)
        return "unbracketed", elements, carrier
    if carrier is not None and carrier.reads == PLAIN and not body.lower().startswith(("http://", "https://")):
        issues.append(Issue("symbology", f"symbology identifier {carrier.symbology} means {carrier.name} without "
                            "FNC1 (plain data): it carries a Digital Link URI or no GS1 data, not element strings",
                            position=0))
    if body.startswith("("):
        return "bracketed", parse_bracketed(text, start, table, issues), carrier
    if body.lower().startswith(("http://", "https://")):
        return "digital-link", parse_digital_link(text, start, table, issues), carrier
    if looks_like_uri(body):
        scheme = body.split(":", 1)[0]
        issues.append(Issue("not-gs1", f"a {scheme}: URI is not GS1 data; a GS1 Digital Link URI is http(s)://"
                            "domain/01/<GTIN>... (EPC URNs and other schemes are not supported)", position=start))
        return "", [], carrier
    if body and (body[0].isdigit() or body[0] == GS):
        return "unbracketed", parse_unbracketed(text, start + (body[0] == GS), table, issues), carrier
    shown = describe_char(body[0]) if body else "nothing"
    issues.append(Issue("not-gs1", f"not GS1 data: it starts with {shown}, not an AI, '(' or a GS1 Digital "
                        "Link URI", position=start))
    return "", [], carrier


def _validate(text: str, table: AiTable, form: str, symbology_required: bool) -> Gs1Result:
    if text == "":
        return Gs1Result(text, "", issues=[Issue("empty", "the input is empty")])
    if len(text) > MAX_INPUT:
        return Gs1Result(text, "", issues=[Issue("too-long", f"the input is {len(text)} characters; no GS1 "
                                                 f"barcode holds more than {MAX_INPUT}, so this was not scanned "
                                                 "GS1 data", severity="fatal")])
    issues: list[Issue] = []
    detected, elements, carrier = _read(text, table, form, issues)
    check_declared(detected, form, carrier, symbology_required, issues)
    symbology = carrier.symbology if carrier else ""
    if not detected:
        return Gs1Result(text, "", issues=issues, symbology=symbology, carrier=carrier)
    for element in elements:
        entry = table.get(element.ai)
        if entry is not None:
            check_element(entry, element, detected, issues)
    check_relations(elements, table, issues)
    if not elements and not any(i.severity in ("error", "fatal") for i in issues):
        issues.append(Issue("empty", "no element strings found in the input"))
    return Gs1Result(text, detected, elements, issues, symbology, carrier)


def validate(text: str, table: AiTable | None = None, *, form: str = "auto",
             symbology_required: bool = True) -> Gs1Result:
    """Parse and validate GS1 input in the declared ``form``; never raises, whatever ``text`` is.

    ``form``: ``auto`` (infer), ``scanner``, ``bracketed`` or ``digital-link`` (see forms.py).
    ``symbology_required``: for ``scanner``, whether the system's scanners are configured to send an
    AIM symbology identifier (most are: it is what tells a scan from typed text).
    """
    if form not in DECLARED_FORMS:
        return Gs1Result(text, "", issues=[Issue("declared-form", f"unknown declared form {form!r}; one of "
                                                 f"{', '.join(DECLARED_FORMS)}", severity="fatal")])
    try:
        return _validate(text, table or default_table(), form, symbology_required)
    except Exception as exc:  # noqa: BLE001 - a validator answers; a crash here is our bug, reported as such
        return Gs1Result(text, "", issues=[Issue("internal", f"the validator failed on this input "
                                                 f"({type(exc).__name__}: {exc}); please report it", severity="fatal")])
