"""Conversions between the three written forms of the same GS1 data.

Only valid data is converted: writing broken data in another form would hide the defect that
the caller most needs to see. ``ConversionError`` names the problems instead.
"""

from __future__ import annotations

from conformance.gs1.dictionary import AiTable, default_table
from conformance.gs1.digital_link import DEFAULT_DOMAIN, ConversionError, build_digital_link
from conformance.gs1.outcome import Element
from conformance.gs1.parse import GS

FORMS = ("bracketed", "unbracketed", "digital-link")


def to_bracketed(elements: list[Element]) -> str:
    """``(01)...(10)...``; a ``(`` inside data is written ``\\(`` so it cannot open an AI."""
    return "".join(f"({e.ai}){e.value.replace('(', chr(92) + '(')}" for e in elements)


def to_unbracketed(elements: list[Element], table: AiTable | None = None, symbology: str = "",
                   separator: str = GS) -> str:
    """AI-prefixed data with a separator after each element that is not of predefined length."""
    table = table or default_table()
    out = [symbology]
    for i, e in enumerate(elements):
        out.append(e.ai + e.value)
        entry = table.get(e.ai)
        if i < len(elements) - 1 and (entry is None or not entry.predefined):
            out.append(separator)
    return "".join(out)


def to_digital_link(elements: list[Element], table: AiTable | None = None, domain: str = DEFAULT_DOMAIN) -> str:
    return build_digital_link(elements, table or default_table(), domain)


def convert(text: str, form: str, *, table: AiTable | None = None, domain: str = DEFAULT_DOMAIN,
            symbology: str = "") -> str:
    """Validate ``text`` (any form) and write it as ``form``: bracketed, unbracketed or digital-link."""
    from conformance.gs1.validate import validate

    if form not in FORMS:
        raise ConversionError(f"unknown form {form!r}; choose one of {', '.join(FORMS)}")
    result = validate(text, table)
    if not result.valid:
        problems = "; ".join(i.diagnostics for i in result.issues if i.severity in ("error", "fatal"))
        raise ConversionError(f"not converted, the input is not valid GS1 data: {problems}")
    if form == "bracketed":
        return to_bracketed(result.elements)
    if form == "unbracketed":
        return to_unbracketed(result.elements, table, symbology)
    return to_digital_link(result.elements, table, domain)
