"""GS1's own test vectors (gs1-syntax-engine's unit tests, default options): an independent set of
Digital Link URIs and scanner strings that the validator must judge as GS1's reference engine does.

Each difference is listed in DIFFERENCES with the clause that decides it; a vector that starts to
disagree, or a listed difference that stops disagreeing, fails here (the list is not a blanket excuse).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.gs1 import validate

DATA = json.loads((Path(__file__).parent / "data" / "syntax_engine_vectors.json").read_text())
DL: list[dict[str, Any]] = DATA["digital_link"]
SCAN: list[dict[str, Any]] = DATA["scan_data"]

# input -> why our verdict differs from the engine's (the engine's is the opposite of ours)
DIFFERENCES = {
    # RFC 3986 section 3.1: "schemes are case-insensitive"; the GS1 Digital Link URI Syntax ABNF has
    # scheme = "https" / "http", and RFC 5234 section 2.3 makes quoted ABNF strings case-insensitive.
    # Refusing "HtTp" is the engine's own choice ("Mixed-case scheme forbidden").
    "HtTp://a/b/00/006141411234567890": "scheme is case-insensitive (RFC 3986 3.1, RFC 5234 2.3)",
    # Plain QR / Data Matrix / DotCode text that is no Digital Link: the engine reports a valid plain symbol;
    # `validate gs1` asks whether the data is GS1 data, and plain text is not (not-gs1 / symbology).
    "]Q1": "plain data is not GS1 data", "]Q1TESTING": "plain data is not GS1 data",
    "]Q1^TESTING": "plain data is not GS1 data", "]Q1\\^TESTING": "plain data is not GS1 data",
    "]d1": "plain data is not GS1 data", "]d1TESTING": "plain data is not GS1 data",
    "]d1^TESTING": "plain data is not GS1 data", "]d1\\^TESTING": "plain data is not GS1 data",
    "]J0": "plain data is not GS1 data", "]J0TESTING": "plain data is not GS1 data",
    "]J0^TESTING": "plain data is not GS1 data", "]J0\\^TESTING": "plain data is not GS1 data",
    # The engine itself notes "no active applications support this": DotCode is not a Digital Link carrier
    # in the GS1 General Specifications' list (QR Code, Data Matrix); refused as ]J0 without FNC1.
    "]J0https://example.com/01/12312312312333?99=TEST": "DotCode is not a listed Digital Link carrier",
    # '|' is the engine's notation joining a linear symbol and its composite component; ISO/IEC 15424
    # defines no '|' in transmitted data, so ours reports the linear symbol's data as not digits.
    "]E02112345678900|]e099COMPOSITE\x1d98XYZ": "'|' composite joiner is engine notation",
    "]E402345673|]e099COMPOSITE\x1d98XYZ": "'|' composite joiner is engine notation",
}


def _ais(text: str, form: str) -> tuple[bool, str]:
    result = validate(text, form=form)
    return result.valid, "".join(e.ai + e.value for e in result.elements)


def _engine_ais(vector: dict[str, Any]) -> str:
    """The engine's answer as AI digits: '^' dropped, a bare EAN/UPC number as the GTIN-14 in (01)."""
    expected = str(vector["engine_ais"])
    if expected.isdigit():
        return "01" + expected.zfill(14)
    if expected.lower().startswith(("http://", "https://")):
        return _ais(expected, "digital-link")[1]
    return expected.replace("^", "")


@pytest.mark.parametrize("vector", DL, ids=[v["source"] for v in DL])
def test_digital_link_vectors(vector: dict[str, Any]) -> None:
    valid, ais = _ais(vector["input"], "digital-link")
    if vector["input"] in DIFFERENCES:
        assert valid is not vector["engine_valid"], f"no longer differs: {DIFFERENCES[vector['input']]}"
        return
    assert valid is vector["engine_valid"], validate(vector["input"], form="digital-link").issues
    if valid:
        assert ais == _engine_ais(vector)


@pytest.mark.parametrize("vector", SCAN, ids=[v["source"] for v in SCAN])
def test_scan_data_vectors(vector: dict[str, Any]) -> None:
    valid, ais = _ais(vector["input"], "scanner")
    if vector["input"] in DIFFERENCES:
        assert valid is not vector["engine_valid"], f"no longer differs: {DIFFERENCES[vector['input']]}"
        return
    assert valid is vector["engine_valid"], validate(vector["input"], form="scanner").issues
    if valid:
        assert ais == _engine_ais(vector)


def test_the_set_is_the_engines_and_mostly_agreed() -> None:
    assert len(DL) >= 90 and len(SCAN) >= 50
    assert len(DIFFERENCES) <= 20  # each listed with its clause above
