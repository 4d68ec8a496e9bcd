"""Scanner strings per carrier, the declared form, and Digital Link URI syntax: each broken one names its defect."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.gs1 import DEFECT_SYSTEM, validate

GS = "\x1d"
DL = "https://id.gs1.org/01/09501101530003"

# (name, scan, GTIN-14, add-on)
SCANS = [
    # UPC-E expansions as zxing-cpp expands the same symbols (drawn by zint; zbar transmits the 8 digits).
    ("UPC-E unexpanded", "]E0" + "01234565", "00012345000065", ""),
    ("UPC-E ending 0", "]E0" + "01234505", "00012000003455", ""),
    ("UPC-E ending 2", "]E0" + "01234523", "00012200003453", ""),
    ("UPC-E ending 3", "]E0" + "01234531", "00012300000451", ""),
    ("UPC-E ending 4", "]E0" + "01234446", "00012340000046", ""),
    ("UPC-E ending 9", "]E0" + "01234596", "00012345000096", ""),
    ("UPC-E number system 1", "]E0" + "11234562", "00112345000062", ""),
    ("EAN-13", "]E0" + "5012345678900", "05012345678900", ""),
    ("UPC-A as 13 digits", "]E0" + "0614141000036", "00614141000036", ""),
    ("EAN-8", "]E4" + "95011011", "00000095011011", ""),
    ("EAN-13 + 2", "]E3" + "9501101530003" + "12", "09501101530003", "12"),
    ("EAN-13 + 5", "]E3" + "9501101530003" + "51234", "09501101530003", "51234"),
    ("UPC-E + 2 (expanded, as zxing-cpp sends it)", "]E3" + "0012345000065" + "07", "00012345000065", "07"),
    ("EAN-8 + 2 (as zxing-cpp sends it)", "]E3" + "95011011" + "12", "00000095011011", "12"),
    ("EAN-8 + 5", "]E3" + "95011011" + "51234", "00000095011011", "51234"),
    ("ITF-14", "]I1" + "19501101530000", "19501101530000", ""),
    ("DataBar", "]e0" + "0109501101530003", "09501101530003", ""),
    ("Digital Link in plain QR", "]Q1" + DL, "09501101530003", ""),
    ("Digital Link in plain Data Matrix", "]d1" + DL + "/10/AB", "09501101530003", ""),
]

# (name, input, declared form, defect)
BROKEN = [
    ("UPC-E wrong check digit", "]E0" + "01234564", "scanner", "check-digit"),
    ("UPC-E number system 2", "]E0" + "21234565", "scanner", "carrier"),
    ("add-on under ]E0", "]E0" + "9501101530003" + "12", "scanner", "carrier"),
    ("EAN-13 under ]E4", "]E4" + "9501101530003", "scanner", "carrier"),
    ("]E3 without an add-on", "]E3" + "95011015300031", "scanner", "carrier"),
    ("]E3 EAN-8 wrong check digit", "]E3" + "95011012" + "12", "scanner", "check-digit"),
    ("ITF-14 of 13 digits", "]I1" + "0950110153000", "scanner", "carrier"),
    ("ITF-14 wrong check digit", "]I1" + "09501101530004", "scanner", "check-digit"),
    ("EAN-13 wrong check digit", "]E0" + "5012345678901", "scanner", "check-digit"),
    ("letters after ]E0", "]E0" + "50123X5678900", "auto", "carrier"),
    ("nothing after ]E0", "]E0", "auto", "carrier"),
    ("Digital Link in GS1 QR", "]Q3" + DL, "auto", "symbology"),
    ("Digital Link in GS1 DataMatrix", "]d2" + DL, "scanner", "symbology"),
    ("element string in plain QR", "]Q1" + "0109501101530003", "auto", "symbology"),
    ("ITF without check digit", "]I0" + "09501101530003", "auto", "symbology"),
    ("brackets after a symbology identifier", "]C1" + "(01)09501101530003", "auto", "hri-as-scan"),
    ("caret after a symbology identifier", "]d2" + "^0109501101530003", "auto", "hri-as-scan"),
    ("GS before the first AI", "]d2" + GS + "0109501101530003", "auto", "separator"),
    ("HRI text sent as a scan", "(01)09501101530003(17)271130", "scanner", "hri-as-scan"),
    ("typed caret notation sent as a scan", "^0109501101530003", "scanner", "hri-as-scan"),
    ("no symbology identifier", "0109501101530003", "scanner", "symbology"),
    ("scan declared bracketed", "]d2" + "0109501101530003", "bracketed", "declared-form"),
    ("element string declared bracketed", "0109501101530003", "bracketed", "declared-form"),
    ("bracketed declared Digital Link", "(01)09501101530003", "digital-link", "declared-form"),
    ("unknown declared form", "(01)09501101530003", "qr", "declared-form"),
    ("DL trailing slash", DL + "/", "auto", "dl-syntax"),
    ("DL empty path segment", "https://id.gs1.org/01/09501101530003//10/A", "auto", "dl-syntax"),
    ("DL '<' not percent-encoded", DL + "/10/A<B", "auto", "dl-syntax"),
    ("DL space not percent-encoded", DL + "/10/A B", "digital-link", "dl-syntax"),
    ("DL non-ASCII not percent-encoded", DL + "/10/\u00e9", "auto", "dl-syntax"),
    ("DL '+' in a query value is a space", DL + "?99=A+B", "auto", "charset"),
    ("DL GTIN-13 in the path", "https://id.gs1.org/01/9501101530003", "auto", "length"),
    ("DL GTIN-12 in the path", "https://id.gs1.org/01/614141000036", "auto", "length"),
    ("DL GTIN-8 in the path", "https://id.gs1.org/01/95011011", "auto", "length"),
    ("DL key qualifier in the query", DL + "?10=AB", "auto", "dl-attribute"),
    ("DL qualifier that fits between path qualifiers", DL + "/10/AB?22=V", "auto", "dl-attribute"),
    ("DL same AI twice", DL + "?3103=000500&3103=000500", "auto", "duplicate-ai"),
    ("DL GTIN again in the query", DL + "?01=09501101530003", "auto", "duplicate-ai"),
    ("DL '+' in the domain", "https://id.+gs1.org/01/09501101530003", "auto", "dl-syntax"),
    ("DL credentials in the authority", "https://user@id.gs1.org/01/09501101530003", "auto", "dl-syntax"),
    ("DL query parameter without a name", DL + "?=3103=000500", "auto", "dl-syntax"),
    ("UPC-A as 12 digits", "]E0" + "614141000036", "scanner", "carrier"),
    ("two GS in a row", "]d2" + "0109501101530003" + "10AB" + GS + GS + "21X", "scanner", "separator"),
]

VALID_FORMS = [
    ("(01)09501101530003(17)271130", "bracketed", True),
    ("(01)09501101530003(17)271130", "auto", True),
    ("^0109501101530003^10AB", "auto", True),
    ("0109501101530003", "scanner", False),
    (DL, "digital-link", True),
    (DL, "scanner", False),
    ("]d2" + "0109501101530003" + "10AB" + GS + "21X", "scanner", True),
    (DL + "/10/A+B", "auto", True),  # in the path "+" is itself
    (DL + "?99=A%2BB", "auto", True),
    (DL + "?linkType=gs1:pip+x", "auto", True),  # not GS1 data: left to the resolver
    (DL + "?17", "auto", True),  # a bare flag without "=" is not GS1 data either
    ("https://example.com//scan/01/09501101530003", "auto", True),  # an empty segment in the stem is not GS1's
    (DL + "/10/AB?17=271130", "auto", True),
    ("https://example.com:8443/01/09501101530003", "auto", True),
]


def _defects(text: str, form: str) -> set[str]:
    out = set()
    for issue in validate(text, form=form).to_dict()["outcome"]["issue"]:
        if issue["severity"] in ("error", "fatal"):
            out |= {c["code"] for c in issue.get("details", {}).get("coding", []) if c["system"] == DEFECT_SYSTEM}
    return out


@pytest.mark.parametrize(("name", "scan", "gtin", "addon"), SCANS, ids=[s[0] for s in SCANS])
def test_scan_gives_gtin_and_add_on(name: str, scan: str, gtin: str, addon: str) -> None:
    for form in ("auto", "scanner"):
        result = validate(scan, form=form)
        assert result.valid, [i.line() for i in result.issues]
        assert result.ais["01"] == gtin
        carrier = result.to_dict()["carrier"]
        assert carrier["symbology"] == scan[:3]
        assert carrier.get("addon", "") == addon
        if scan[:3] in ("]E0", "]E3", "]E4", "]I1"):
            assert result.ais == {"01": gtin} and carrier["gtin"] == gtin  # the add-on is not AI data


@pytest.mark.parametrize(("name", "text", "form", "defect"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_names_the_defect(name: str, text: str, form: str, defect: str) -> None:
    result = validate(text, form=form)
    assert not result.valid
    assert defect in _defects(text, form), [i.line() for i in result.issues]
    if form != "qr":  # every defect is located in the input, except a bad argument
        assert all(i.position is not None for i in result.issues if i.defect == defect)


@pytest.mark.parametrize(("text", "form", "valid"), VALID_FORMS)
def test_declared_form(text: str, form: str, valid: bool) -> None:
    result = validate(text, form=form)
    assert result.valid is valid, [i.line() for i in result.issues]


def test_scanner_without_a_configured_symbology_identifier() -> None:
    assert validate("0109501101530003", form="scanner", symbology_required=False).valid
    assert validate(DL, form="scanner", symbology_required=False).valid
    # Still no brackets: a scanner never sends HRI text, configured or not.
    assert not validate("(01)09501101530003", form="scanner", symbology_required=False).valid


def test_gtin_padding_is_named_with_the_clause_and_the_padded_value() -> None:
    [issue] = [i for i in validate("https://id.gs1.org/01/9501101530003").issues if i.severity == "error"]
    assert "09501101530003" in issue.diagnostics and "gtin-value" in issue.diagnostics
    assert issue.position == len("https://id.gs1.org/01/")


def test_add_on_is_not_ai_data_and_carrier_only_for_scans() -> None:
    scanned = validate("]E3" + "9501101530003" + "12").to_dict()
    assert scanned["ais"] == {"01": "09501101530003"}
    assert scanned["carrier"] == {"symbology": "]E3", "name": "EAN-13+add-on", "gtin": "09501101530003",
                                  "addon": "12"}
    assert set(validate("(01)09501101530003").to_dict()) == {"valid", "ais", "outcome"}


def test_cli_form_option() -> None:
    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["validate", "gs1", *args])
        return result.exit_code, result.output

    code, out = run("--form", "scanner", "(01)09501101530003")
    assert code == 1 and "[hri-as-scan]" in out
    code, out = run("--form", "scanner", "--no-symbology-id", "0109501101530003")
    assert code == 0
    code, out = run("--form", "scanner", "--json", "]E0" + "01234565")
    assert code == 0 and json.loads(out)["carrier"]["gtin"] == "00012345000065"
    code, out = run("]E3" + "950110153000351234")
    assert code == 0 and "addon 51234" in out
