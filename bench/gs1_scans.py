"""Labelled scanner strings for bench/gs1_throughput.py: every carrier, drawn by zint, read by zxing-cpp.

Valid strings are what a real decoder transmits for symbols a real encoder drew from random GTINs
(EAN-13, UPC-A, UPC-E, EAN-8 with and without add-ons, ITF-14, DataBar, GS1-128, GS1 DataMatrix,
GS1 QR, a Digital Link in plain QR), each with the GTIN-14 it must give. Broken ones are the same
strings with one defect a scanning path really introduces (a typed HRI, a Digital Link in GS1 mode,
a stripped leading zero, a bad check digit, a Digital Link URI that is not a valid URI), each named.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import zint
import zxingcpp
from PIL import Image
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

from conformance.gs1.carriers import upce_to_upca
from conformance.gs1.linters import check_digit

GS = "\x1d"
S = zint.Symbology


def _draw(symbology: int, data: str, gs1: bool = False) -> Image.Image:
    symbol = zint.Symbol()
    symbol.symbology = symbology
    if gs1:
        symbol.input_mode = zint.InputMode.GS1
    symbol.scale = 2
    symbol.show_text = False
    symbol.encode(data)
    symbol.buffer()
    bitmap = symbol.bitmap
    img = Image.frombytes("RGB", (bitmap.shape[1], bitmap.shape[0]), bytes(bitmap)).convert("L")
    big = Image.new("L", (img.width + 120, img.height + 80), 255)
    big.paste(img, (60, 40))
    return big


def _read(image: Image.Image) -> str:
    """zxing-cpp's transmission (AIM identifier + data); with add-ons read, the ]E3 packet."""
    read = [b.symbology_identifier + b.bytes.decode("latin-1")
            for b in zxingcpp.read_barcodes(image, ean_add_on_symbol=zxingcpp.EanAddOnSymbol.Read)]
    packets = [r for r in read if r.startswith("]E3")]
    return (packets or read or [""])[0]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _with_check(payload: str) -> str:
    return payload + str(check_digit(payload))


def _addon(rng: random.Random) -> str:
    return rng.choice(["", "", _digits(rng, 2), _digits(rng, 5)])


# Each maker: rng -> (zint symbology, zint data, GS1 mode, GTIN-14 the scan must give)
Maker = Callable[[random.Random], tuple[int, str, bool, str]]


def _ean13(rng: random.Random) -> tuple[int, str, bool, str]:
    body = "9" + _digits(rng, 11)
    addon = _addon(rng)
    return S.EANX, body + ("+" + addon if addon else ""), False, "0" + _with_check(body)


def _upca(rng: random.Random) -> tuple[int, str, bool, str]:
    body = "0" + _digits(rng, 10)
    addon = _addon(rng)
    return S.UPCA, body + ("+" + addon if addon else ""), False, "00" + _with_check(body)


def _upce(rng: random.Random) -> tuple[int, str, bool, str]:
    six = _digits(rng, 6)
    upca = upce_to_upca("0" + six + "0") or ""
    gtin = "00" + _with_check(upca[:11])
    addon = _addon(rng)
    return S.UPCE, "0" + six + ("+" + addon if addon else ""), False, gtin


def _ean8(rng: random.Random) -> tuple[int, str, bool, str]:
    body = "9" + _digits(rng, 6)
    addon = _addon(rng)
    return S.EANX, body + ("+" + addon if addon else ""), False, "000000" + _with_check(body)


def _itf14(rng: random.Random) -> tuple[int, str, bool, str]:
    body = str(rng.randint(1, 8)) + "9" + _digits(rng, 11)
    return S.ITF14, body, False, _with_check(body)


def _databar(rng: random.Random) -> tuple[int, str, bool, str]:
    body = "0" + "9" + _digits(rng, 11)
    return S.DBAR_OMN, body, False, _with_check(body)


def _element_strings(symbology: int) -> Maker:
    def make(rng: random.Random) -> tuple[int, str, bool, str]:
        gtin = _with_check("09" + _digits(rng, 11))
        batch = "".join(rng.choice("ABCDEFGHJK0123456789-") for _ in range(rng.randint(1, 10)))
        return symbology, f"[01]{gtin}[17]{rng.randint(26, 35)}{rng.randint(1, 12):02d}15[10]{batch}", True, gtin
    return make


def _dl_qr(rng: random.Random) -> tuple[int, str, bool, str]:
    gtin = _with_check("09" + _digits(rng, 11))
    return S.QRCODE, f"https://id.gs1.org/01/{gtin}/10/{_digits(rng, 4)}?17=271130", False, gtin


MAKERS: dict[str, Maker] = {
    "EAN-13": _ean13, "UPC-A": _upca, "UPC-E": _upce, "EAN-8": _ean8, "ITF-14": _itf14, "DataBar": _databar,
    "GS1-128": _element_strings(S.GS1_128), "GS1 DataMatrix": _element_strings(S.DATAMATRIX),
    "GS1 QR": _element_strings(S.QRCODE), "Digital Link QR": _dl_qr,
}

# Each defect: (name, function from a valid scan to the broken string, or None when it does not apply)
DEFECTS: dict[str, Callable[[str], str | None]] = {
    "HRI typed after ]C1": lambda s: "]C1(01)" + s[5:19] if s[:3] in ("]C1", "]d2", "]Q3") else None,
    "GS before the first AI": lambda s: s[:3] + GS + s[3:] if s[:3] in ("]C1", "]d2", "]Q3", "]e0") else None,
    "Digital Link in ]Q3": lambda s: "]Q3" + s[3:] if s.startswith("]Q1") else None,
    "Digital Link trailing /": lambda s: s.split("?")[0] + "/" if s.startswith("]Q1") else None,
    "Digital Link space": lambda s: s.replace("/10/", "/10/A ") if s.startswith("]Q1") else None,
    "Digital Link GTIN-13": lambda s: s.replace("/01/0", "/01/") if s.startswith("]Q1") else None,
    "UPC-A sent as 12 digits": lambda s: "]E0" + s[4:] if s.startswith("]E00") and len(s) == 16 else None,
    "add-on under ]E0": lambda s: "]E0" + s[3:] if s.startswith("]E3") else None,
    "check digit": lambda s: s[:-1] + str((int(s[-1]) + 1) % 10) if s[:3] in ("]E0", "]E4", "]I1") else None,
}


def labelled(rng: random.Random, per_carrier: int = 20) -> list[tuple[str, bool, str, str]]:
    """(scan, valid?, case name, GTIN-14 expected or "") from real encoder and decoder output."""
    cases: list[tuple[str, bool, str, str]] = []
    for name, make in MAKERS.items():
        for _ in range(per_carrier):
            symbology, data, gs1, gtin = make(rng)
            try:
                image = _draw(symbology, data, gs1)
            except RuntimeError:
                continue  # zint refuses a few random UPC-E bodies; nothing was drawn
            scans = [_read(image)]
            if name == "UPC-E" and "+" not in data:
                # zbar with UPC-E enabled transmits the 8 digits, as a scanner set not to expand UPC-E
                scans += ["]E0" + d.data.decode() for d in pyzbar.decode(image, symbols=[ZBarSymbol.UPCE])]
            for scan in filter(None, scans):  # a symbol the reader missed is no verdict
                cases.append((scan, True, name, gtin))
                for defect, breaker in DEFECTS.items():
                    broken = breaker(scan)
                    if broken is not None and broken != scan:
                        cases.append((broken, False, defect, ""))
    return cases
