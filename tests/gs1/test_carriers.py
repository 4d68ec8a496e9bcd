"""Every carrier a scanner reports, drawn by real encoders and read back by real decoders.

Encoders: zint (``zint-bindings``, the reference open-source encoder) and BWIPP (``treepoem``, Barcode
Writer in Pure PostScript, run by Ghostscript). Decoders: zxing-cpp, which reports the AIM symbology
identifier itself (``]E0``, ``]E3`` with add-ons read, ``]E4``, ``]I1``, ``]e0``, ``]Q1``, ``]Q3``), and
zbar, an independent reader, which reports a UPC-E as its 8 digits when UPC-E is enabled (what a
scanner set to transmit UPC-E unexpanded sends after ``]E0``). The validator must find the GTIN and
add-on the symbol was made from, and reject what is not a GS1 carrier.
"""

from __future__ import annotations

import io
import shutil
from functools import cache

import pytest
import zint
import zxingcpp
from PIL import Image
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

from conformance.gs1 import to_bracketed, validate
from conformance.gs1.barcodes import scan

S = zint.Symbology
GTIN13 = "9501101530003"


def _pad(img: Image.Image) -> Image.Image:
    big = Image.new("L", (img.width + 120, img.height + 80), 255)
    big.paste(img, (60, 40))
    return big


def zint_image(symbology: int, data: str, gs1: bool = False) -> Image.Image:
    symbol = zint.Symbol()
    symbol.symbology = symbology
    if gs1:
        symbol.input_mode = zint.InputMode.GS1
    symbol.scale = 2
    symbol.show_text = False
    symbol.encode(data)
    symbol.buffer()
    bitmap = symbol.bitmap
    return _pad(Image.frombytes("RGB", (bitmap.shape[1], bitmap.shape[0]), bytes(bitmap)).convert("L"))


@cache
def bwipp_image(encoder: str, data: str) -> Image.Image:
    if shutil.which("gs") is None:
        pytest.skip("BWIPP needs Ghostscript (Debian package ghostscript; .ci/run installs it)")
    import treepoem

    return _pad(treepoem.generate_barcode(encoder, data, scale=3).convert("L"))


def zxing(image: Image.Image) -> list[str]:
    """What zxing-cpp transmits: AIM identifier + data; with add-ons read, the ]E3 packet wins."""
    read = [b.symbology_identifier + b.bytes.decode("latin-1")
            for b in zxingcpp.read_barcodes(image, ean_add_on_symbol=zxingcpp.EanAddOnSymbol.Read)]
    packets = [r for r in read if r.startswith("]E3")]
    return packets or read


# (name, image maker, what zxing-cpp must transmit, GTIN-14, add-on, carrier name)
CARRIERS = [
    ("zint EAN-13", lambda: zint_image(S.EANX, GTIN13[:-1]), "]E0" + GTIN13, "0" + GTIN13, "", "EAN-13"),
    ("zint UPC-A", lambda: zint_image(S.UPCA, "61414100003"), "]E00614141000036", "00614141000036", "", "UPC-A"),
    ("zint UPC-E", lambda: zint_image(S.UPCE, "0123456"), "]E00012345000065", "00012345000065", "", "UPC-A"),
    ("zint EAN-13+2", lambda: zint_image(S.EANX, GTIN13[:-1] + "+12"), "]E3" + GTIN13 + "12", "0" + GTIN13, "12",
     "EAN-13+add-on"),
    ("zint EAN-13+5", lambda: zint_image(S.EANX, GTIN13[:-1] + "+51234"), "]E3" + GTIN13 + "51234", "0" + GTIN13,
     "51234", "EAN-13+add-on"),
    ("zint UPC-E+2", lambda: zint_image(S.UPCE, "1123456+12"), "]E3011234500006212", "00112345000062", "12",
     "UPC-A+add-on"),
    ("zint EAN-8", lambda: zint_image(S.EANX, "9501101"), "]E495011011", "00000095011011", "", "EAN-8"),
    ("zint EAN-8+2", lambda: zint_image(S.EANX, "9501101+12"), "]E39501101112", "00000095011011", "12",
     "EAN-8+add-on"),
    ("zint ITF-14", lambda: zint_image(S.ITF14, "0950110153000"), "]I109501101530003", "09501101530003", "",
     "ITF-14"),
    ("zint DataBar", lambda: zint_image(S.DBAR_OMN, "0950110153000"), "]e00109501101530003", "", "", "GS1 DataBar"),
    ("BWIPP EAN-13", lambda: bwipp_image("ean13", GTIN13), "]E0" + GTIN13, "0" + GTIN13, "", "EAN-13"),
    ("BWIPP UPC-E", lambda: bwipp_image("upce", "01234565"), "]E00012345000065", "00012345000065", "", "UPC-A"),
    ("BWIPP EAN-8", lambda: bwipp_image("ean8", "95011011"), "]E495011011", "00000095011011", "", "EAN-8"),
    ("BWIPP ITF-14", lambda: bwipp_image("itf14", "09501101530003"), "]I109501101530003", "09501101530003", "",
     "ITF-14"),
    ("BWIPP DataBar", lambda: bwipp_image("databaromni", "(01)09501101530003"), "]e00109501101530003", "", "",
     "GS1 DataBar"),
]


@pytest.mark.parametrize(("name", "make", "sent", "gtin", "addon", "carrier"), CARRIERS, ids=[c[0] for c in CARRIERS])
def test_carrier_gives_the_gtin_and_add_on(name: str, make: object, sent: str, gtin: str, addon: str,
                                           carrier: str) -> None:
    assert callable(make)
    scanned = zxing(make())
    assert scanned == [sent]
    for form in ("auto", "scanner"):
        result = validate(scanned[0], form=form)
        assert result.valid, [i.line() for i in result.issues]
        assert result.ais == {"01": gtin or "09501101530003"}
        assert result.carrier is not None and result.carrier.name == carrier
        assert result.carrier.addon == addon
        assert result.to_dict()["carrier"]["symbology"] == sent[:3]
    # The add-on is reported, not read as AI data: the same packet without it gives the same GTIN.
    plain = {"]E3": "]E4" if len(sent) - len(addon) == 11 else "]E0"}.get(sent[:3], sent[:3])
    assert validate(plain + sent[3:len(sent) - len(addon)]).ais == result.ais
    # The same data declared as bracketed text is refused: it is scanner output.
    assert not validate(scanned[0], form="bracketed").valid


def test_zbar_reads_upc_e_unexpanded_and_it_expands_to_the_same_gtin() -> None:
    """zbar with UPC-E enabled transmits its 8 digits; ]E0 + 8 digits is UPC-E, expanded to the GTIN-12."""
    image = zint_image(S.UPCE, "0123456")
    [symbol] = pyzbar.decode(image, symbols=[ZBarSymbol.UPCE])
    assert symbol.data == b"01234565"
    result = validate("]E0" + symbol.data.decode())
    assert result.valid and result.carrier is not None and result.carrier.name == "UPC-E"
    assert result.ais == validate(zxing(image)[0]).ais == {"01": "00012345000065"}
    # Read as EAN-8 instead (]E4), the same 8 digits are another GTIN: the identifier decides.
    assert validate("]E4" + symbol.data.decode()).ais != result.ais


@pytest.mark.parametrize(("symbols", "make", "prefix"), [
    ([ZBarSymbol.EAN13], lambda: zint_image(S.EANX, GTIN13[:-1]), "]E0"),
    ([ZBarSymbol.EAN8], lambda: zint_image(S.EANX, "9501101"), "]E4"),
    ([ZBarSymbol.I25], lambda: zint_image(S.ITF14, "0950110153000"), "]I1"),
    ([ZBarSymbol.DATABAR], lambda: zint_image(S.DBAR_OMN, "0950110153000"), "]e0"),
])
def test_independent_reader_gives_the_same_gtin(symbols: list[ZBarSymbol], make: object, prefix: str) -> None:
    assert callable(make)
    image = make()
    [symbol] = pyzbar.decode(image, symbols=symbols)
    ours = validate(prefix + symbol.data.decode())
    assert ours.valid, [i.line() for i in ours.issues]
    assert ours.ais == validate(zxing(image)[0]).ais


def test_digital_link_in_plain_qr_and_element_strings_in_gs1_qr() -> None:
    uri = "https://id.gs1.org/01/09501101530003/10/AB12?17=271130"
    for image in (zint_image(S.QRCODE, uri), bwipp_image("qrcode", uri)):
        [scanned] = zxing(image)
        assert scanned == "]Q1" + uri
        result = validate(scanned, form="scanner")
        assert result.valid and result.ais == {"01": "09501101530003", "10": "AB12", "17": "271130"}
    gs1 = zint_image(S.QRCODE, "[01]09501101530003[10]AB12[17]271130", gs1=True)
    [scanned] = zxing(gs1)
    assert scanned.startswith("]Q3")
    assert validate(scanned, form="scanner").ais == validate(uri).ais
    # The same URI after ]Q3 (GS1 mode) is an error: a Digital Link is plain data.
    assert not validate("]Q3" + uri).valid
    # Declared as a Digital Link, the URI alone is one; the scan (with its identifier) is scanner output.
    assert validate(uri, form="digital-link").valid
    assert not validate("]Q1" + uri, form="digital-link").valid


def test_digital_link_in_plain_data_matrix() -> None:
    uri = "https://example.com/scan/01/09501101530003/21/S%2F1"
    [scanned] = zxing(zint_image(S.DATAMATRIX, uri))
    assert scanned == "]d1" + uri
    result = validate(scanned, form="scanner")
    assert result.valid and result.ais == {"01": "09501101530003", "21": "S/1"}
    [gs1] = zxing(zint_image(S.DATAMATRIX, "[01]09501101530003[21]S/1", gs1=True))
    assert gs1.startswith("]d2") and validate(gs1, form="scanner").ais == result.ais


def test_symbols_that_are_not_gs1_carriers_are_refused() -> None:
    """Controls: the same digits in symbols that carry no GS1 data must not validate."""
    plain_qr = zxing(zint_image(S.QRCODE, "0109501101530003"))
    assert plain_qr == ["]Q10109501101530003"]
    # Interleaved 2 of 5 with a wrong ITF-14 check digit: zxing-cpp reports ]I0 (no check digit).
    bad_itf = zxing(zint_image(S.C25INTER, "09501101530004"))
    assert bad_itf == ["]I009501101530004"]
    for scanned in (plain_qr[0], bad_itf[0]):
        result = validate(scanned)
        assert not result.valid
        assert any(i.defect == "symbology" for i in result.issues)


def test_hri_text_of_a_scan_is_not_scanner_output() -> None:
    [scanned] = zxing(zint_image(S.GS1_128, "[01]09501101530003[10]AB12", gs1=True))
    assert scanned == "]C1010950110153000310AB12"
    hri = to_bracketed(validate(scanned).elements)
    assert validate(hri, form="bracketed").valid
    for typed in (hri, "]C1" + hri):
        result = validate(typed, form="scanner")
        assert not result.valid and any(i.defect == "hri-as-scan" for i in result.issues)


def test_scan_reports_every_carrier_as_a_scanner_would() -> None:
    """barcodes.scan(every_carrier=True): the ]E3 packet, not its main symbol again; plain QR too."""
    def png(image: Image.Image) -> bytes:
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()

    assert scan(png(zint_image(S.EANX, GTIN13[:-1] + "+12")), every_carrier=True) == ["]E3" + GTIN13 + "12"]
    assert scan(png(zint_image(S.EANX, GTIN13[:-1])), every_carrier=True) == ["]E0" + GTIN13]
    assert scan(png(zint_image(S.EANX, GTIN13[:-1]))) == []  # not GS1 element strings
    uri = "https://id.gs1.org/01/09501101530003"
    assert scan(png(zint_image(S.QRCODE, uri)), every_carrier=True) == ["]Q1" + uri]
