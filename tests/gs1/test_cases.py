"""A table of valid and deliberately broken GS1 inputs; each broken one names the defect it must report."""

from __future__ import annotations

import pytest

from conformance.gs1 import DEFECT_SYSTEM, validate

GS = "\x1d"

VALID = [
    ("gtin-expiry-batch bracketed", "(01)09501101530003(17)250100(10)AB12"),
    ("expiry day 00", "(01)09501101530003(17)251200"),
    ("GTIN-8 in GTIN-14", "(01)00000095011011"),
    ("GTIN-12 in GTIN-14", "(01)00614141000036"),
    ("serial and batch", "(01)09501101530003(10)LOT-1(21)SER/9"),
    ("datamatrix scan", "]d2" + "0109501101530003" + "17251231" + "10AB12" + GS + "21XYZ"),
    ("gs1-128 scan", "]C1" + "00095011015000000013"),
    ("typed with a leading FNC1 and no symbology identifier", GS + "00095011015000000013"),
    ("qr scan", "]Q3" + "0109501101530003" + "3103000123"),
    ("databar", "]e0" + "0109501101530003"),
    ("caret notation", "^0109501101530003^10ABC^21123"),
    ("plain unbracketed", "0109501101530003" + "10ABC"),
    ("gsrn recipient", "(8018)950110153000000007"),
    ("gln location", "(414)9501101020917(254)A1"),
    ("gmn alphanumeric check pair", "(8013)1987654Ad4X4bL5ttr2310c2K"),
    ("gdti with serial", "(253)9501101020009ABC"),
    ("sscc", "(00)095011015000000013"),
    ("ean-13 symbol", "]E05012345678900"),
    ("escaped bracket in data", "(01)09501101530003(10)AB\\(C"),
    ("digital link", "https://id.gs1.org/01/09501101530003/10/AB12/21/XYZ?17=250100"),
    ("digital link custom domain and prefix", "https://example.nhs.uk/scan/01/09501101530003?3103=000500"),
    ("digital link percent-encoding", "https://example.com/01/09501101530003/21/A%2FB%25"),
    ("digital link other query parameter", "https://example.com/01/09501101530003?linkType=gs1:epil"),
    ("digital link in plain QR", "]Q1https://id.gs1.org/414/9501101020917/254/1"),
    ("leap day", "(01)09501101530003(17)240229"),
    ("dob yyyymmdd", "(8018)950110153000000007(7250)20000229"),
]

BROKEN = [
    ("check digit GTIN", "(01)09501101530004", "check-digit", "(01)"),
    ("check digit SSCC", "(00)095011015000000014", "check-digit", "(00)"),
    ("check digit GLN", "(414)9501101020918", "check-digit", "(414)"),
    ("check digit GSRN", "(8017)950110153000000008", "check-digit", "(8017)"),
    ("check digit GDTI", "(253)9501101020008ABC", "check-digit", "(253)"),
    ("check pair GMN", "(8013)1987654Ad4X4bL5ttr2310cXK", "check-pair", "(8013)"),
    ("month 13", "(01)09501101530003(17)251301", "date", "(17)"),
    ("Feb 30", "(01)09501101530003(17)250230", "date", "(17)"),
    ("Feb 29 in a non-leap year", "(01)09501101530003(17)250229", "date", "(17)"),
    ("day 00 not allowed for yymmdd", "(01)09501101530003(7006)250100", "date", "(7006)"),
    ("GTIN too short", "(01)0950110153000", "length", "(01)"),
    ("batch too long", "(01)09501101530003(10)123456789012345678901", "length", "(10)"),
    ("empty batch", "(01)09501101530003(10)", "length", "(10)"),
    ("letter in GTIN", "(01)0950110153000A", "charset", "(01)"),
    ("space in serial", "(01)09501101530003(21)AB 12", "charset", "(21)"),
    ("control char in batch", "(01)09501101530003(10)AB\x07", "charset", "(10)"),
    ("missing GS after batch", "0109501101530003" + "10ABCDEFGHIJKLMNOPQRSTUVWX" + "17250100", "length", "(10)"),
    ("unknown AI bracketed", "(01)09501101530003(23)ABC", "unknown-ai", "(23)"),
    ("unknown AI unbracketed", "0109501101530003" + "2312345", "unknown-ai", None),
    ("non-AI in brackets", "(1A)ABC", "syntax", None),
    ("invalid pairing 01+02", "(01)09501101530003(02)09501101530003", "invalid-pairing", "(01)"),
    ("invalid pairing serial+TPX", "(01)09501101530003(21)A(235)B", "invalid-pairing", "(21)"),
    ("two net weights", "(01)09501101530003(3100)000100(3101)000100", "invalid-pairing", "(3100)"),
    ("batch alone", "(10)ABC", "missing-association", "(10)"),
    ("serial without GTIN", "(21)ABC", "missing-association", "(21)"),
    ("expiry alone", "(17)250101", "missing-association", "(17)"),
    ("duplicate AI", "(01)09501101530003(10)A(10)B", "duplicate-ai", "(10)"),
    ("empty input", "", "empty", None),
    ("10 kB input", "1" * 10240, "too-long", None),
    ("not GS1 at all", "hello world", "not-gs1", None),
    ("EPC URN", "urn:epc:id:sgtin:0614141.812345.6789", "not-gs1", None),
    ("ftp URI", "ftp://example.com/01/09501101530003", "not-gs1", None),
    ("DL without primary key", "https://example.com/products/12345", "dl-primary-key", None),
    ("DL compressed", "https://id.gs1.org/ARHKVAdpQgTSUrA", "dl-compressed", None),
    ("DL qualifiers out of order", "https://id.gs1.org/01/09501101530003/21/X/10/A", "dl-qualifier-order", "(01)"),
    ("DL mixed qualifier sequences", "https://id.gs1.org/01/09501101530003/22/A/235/B", "dl-qualifier-order",
     "(01)"),
    ("DL serial in query", "https://id.gs1.org/01/09501101530003?21=ABC", "dl-attribute", "(21)"),
    ("DL bad percent", "https://id.gs1.org/01/09501101530003/10/A%G1", "dl-encoding", "(10)"),
    ("DL bad GTIN", "https://id.gs1.org/01/09501101530004", "check-digit", "(01)"),
    ("DL bad expiry in query", "https://id.gs1.org/01/09501101530003?17=251301", "date", "(17)"),
    ("non-GS1 symbology", "]d1" + "0109501101530003", "symbology", None),
    ("GS before the first AI after a symbology identifier", "]C1" + GS + "00095011015000000013", "separator", None),
    ("bad ISO country", "(01)09501101530003(422)999", "code", "(422)"),
    ("bad piece of total", "(8006)095011015300030302", "content", "(8006)"),
]


def _defects(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for issue in validate(text).to_dict()["outcome"]["issue"]:
        codes = [c["code"] for c in issue.get("details", {}).get("coding", []) if c["system"] == DEFECT_SYSTEM]
        for code in codes:
            out.setdefault(code, []).extend(issue.get("expression", []))
    return out


@pytest.mark.parametrize(("name", "text"), VALID, ids=[v[0] for v in VALID])
def test_valid(name: str, text: str) -> None:
    result = validate(text)
    assert result.valid, [i.line() for i in result.issues]
    assert result.ais


@pytest.mark.parametrize(("name", "text", "defect", "where"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_names_the_defect(name: str, text: str, defect: str, where: str | None) -> None:
    result = validate(text)
    assert not result.valid
    found = _defects(text)
    assert defect in found, found
    if where is not None:
        assert where in found[defect]


def test_every_problem_is_reported() -> None:
    found = _defects("(01)09501101530004(17)251301(10)" + "A" * 21)
    assert set(found) >= {"check-digit", "date", "length"}


def test_location_points_at_the_bad_character() -> None:
    issue = validate("(01)09501101530004").to_dict()["outcome"]["issue"][0]
    assert issue["expression"] == ["(01)"]
    assert issue["location"] == ["char 18"]  # the check digit itself
    issue = validate("(01)09501101530003(17)251301").to_dict()["outcome"]["issue"][0]
    assert issue["location"] == ["char 25"]  # the month


def test_output_contract_shape() -> None:
    out = validate("(01)09501101530003(17)250100").to_dict()
    assert set(out) == {"valid", "ais", "outcome"}
    assert out["ais"] == {"01": "09501101530003", "17": "250100"}
    assert out["outcome"]["resourceType"] == "OperationOutcome"
    for issue in validate("(01)1(99)").to_dict()["outcome"]["issue"]:
        assert {"severity", "code", "diagnostics"} <= set(issue)


def test_leading_zeros_and_slashes_kept() -> None:
    result = validate("https://x.org/01/00000095011011/10/%2F00A")
    assert result.ais == {"01": "00000095011011", "10": "/00A"}
