"""Test barcodes decode back to exactly the data they were made from, by independent readers too.

The FNC1 (GS1) mode is proven, not just the text: zxing-cpp reports the symbology identifier
(]d2, ]C1, ]Q3 only for GS1 mode), zbar flags the symbol with its GS1 modifier, and libdmtx, told to
output FNC1 as GS, shows the leading FNC1 that makes a DataMatrix GS1 DataMatrix.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from ctypes import POINTER, c_uint
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pylibdmtx import pylibdmtx
from pylibdmtx import wrapper as dmtx_wrapper
from pyzbar import pyzbar
from pyzbar import wrapper as zbar_wrapper

from conformance.gs1 import to_unbracketed, validate
from conformance.gs1.barcodes import render, scan

GS = "\x1d"
DATA = {
    "pack": "(01)09506000134352(17)261231(10)AB-123(21)XYZ0042",
    "sscc": "(00)095060001343528105",
    "gln": "(414)9506000134369",
    "gsrn": "(8018)950110153000012345",
    "expiry-day-00": "(01)09506000134352(17)271100(10)0417B",
    "two-variable": "(01)09506000134352(10)AB12(21)7",
}
SYMBOLOGIES = ("datamatrix", "gs1-128", "qr")
IDENTIFIER = {"datamatrix": "]d2", "gs1-128": "]C1", "qr": "]Q3"}


def _element_string(data: str) -> str:
    """What a GS1 reader outputs: AI+value, GS after every variable-length element but the last."""
    return to_unbracketed(validate(data).elements)


@pytest.mark.parametrize("symbology", SYMBOLOGIES)
@pytest.mark.parametrize("name", sorted(DATA))
def test_png_round_trip_is_exact(name: str, symbology: str) -> None:
    data = DATA[name]
    scanned = scan(render(data, symbology))
    assert scanned == [IDENTIFIER[symbology] + _element_string(data)]
    result = validate(scanned[0])
    assert result.valid, result.to_dict()
    assert result.ais == validate(data).ais


# zbar's GS1 modifier (ZBAR_MOD_GS1 = 0, a bit in zbar_symbol_get_modifiers), which pyzbar does not expose.
_zbar_modifiers = zbar_wrapper.zbar_function("zbar_symbol_get_modifiers", c_uint, POINTER(zbar_wrapper.zbar_symbol))


def _zbar(png: bytes, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """(data, GS1 mode) of each symbol zbar finds."""
    gs1: list[bool] = []
    symbols: Callable[[Any], Iterator[Any]] = pyzbar._symbols_for_image

    def spy(image: Any) -> Iterator[Any]:
        for symbol in symbols(image):
            gs1.append(bool(_zbar_modifiers(symbol) & 1))
            yield symbol

    monkeypatch.setattr(pyzbar, "_symbols_for_image", spy)
    decoded = pyzbar.decode(Image.open(io.BytesIO(png)))
    return [(d.data.decode("latin-1"), mode) for d, mode in zip(decoded, gs1, strict=True)]


def _libdmtx(png: bytes, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """libdmtx's output with FNC1 written as GS (by default libdmtx drops FNC1 from its output)."""
    create: Callable[[Any, int], Any] = pylibdmtx.dmtxDecodeCreate

    def create_with_fnc1(image: Any, shrink: int) -> Any:
        decoder = create(image, shrink)
        if decoder:
            dmtx_wrapper.dmtxDecodeSetProp(decoder, dmtx_wrapper.DmtxProperty.DmtxPropFnc1, 0x1D)
        return decoder

    monkeypatch.setattr(pylibdmtx, "dmtxDecodeCreate", create_with_fnc1)
    return [d.data.decode("latin-1") for d in pylibdmtx.decode(Image.open(io.BytesIO(png)), timeout=5000)]


@pytest.mark.parametrize("name", sorted(DATA))
def test_independent_readers_agree(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """zbar reads the QR and GS1-128 symbols, libdmtx the DataMatrix: not the library that drew them."""
    expected = _element_string(DATA[name])
    for symbology in ("qr", "gs1-128"):
        assert _zbar(render(DATA[name], symbology), monkeypatch) == [(expected, True)], symbology
    # A GS1 DataMatrix starts with FNC1: with FNC1 output as GS, libdmtx shows it before the data.
    assert _libdmtx(render(DATA[name], "datamatrix"), monkeypatch) == [GS + expected]


def _plain(data: str, barcode_format: zxingcpp.BarcodeFormat) -> bytes:
    """The same characters drawn without GS1 mode (no FNC1): the control the GS1 checks must fail."""
    image = zxingcpp.create_barcode(data, barcode_format).to_image(scale=4)
    out = io.BytesIO()
    pixels = bytes(memoryview(image))  # type: ignore[arg-type]
    Image.frombytes("L", (image.shape[1], image.shape[0]), pixels).save(out, format="PNG")
    return out.getvalue()


def test_the_gs1_mode_checks_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain symbols holding the same digits are not taken for GS1 by any of the readers."""
    digits = _element_string(DATA["sscc"])
    assert scan(_plain(digits, zxingcpp.BarcodeFormat.QRCode)) == []
    assert _zbar(_plain(digits, zxingcpp.BarcodeFormat.QRCode), monkeypatch) == [(digits, False)]
    assert _zbar(_plain(digits, zxingcpp.BarcodeFormat.Code128), monkeypatch) == [(digits, False)]
    assert _libdmtx(_plain(digits, zxingcpp.BarcodeFormat.DataMatrix), monkeypatch) == [digits]


@pytest.mark.parametrize("symbology", SYMBOLOGIES)
@pytest.mark.parametrize("name", sorted(DATA))
def test_svg_is_well_formed_with_a_viewbox(name: str, symbology: str) -> None:
    root = ET.fromstring(render(DATA[name], symbology, "svg", scale=3))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, width, height = (float(n) for n in root.get("viewBox", "").split())
    assert (float(root.get("width", "")), float(root.get("height", ""))) == (width * 3, height * 3)
    assert any(e.tag.endswith(("rect", "path")) for e in root.iter())


def test_refuses_what_it_must_not_draw() -> None:
    with pytest.raises(ValueError, match="check digit"):
        render("(01)09506000134353", "qr")
    with pytest.raises(ValueError, match="unknown symbology"):
        render(DATA["pack"], "aztec")
    with pytest.raises(ValueError, match="unknown image format"):
        render(DATA["pack"], "qr", "gif")
    with pytest.raises(ValueError, match="gs1-128 cannot hold"):
        render("(01)09506000134352(21)" + "A" * 20 + "(10)" + "B" * 20 + "(240)" + "C" * 30, "gs1-128")


def test_encoder_refusal_is_a_value_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("Input too long")

    monkeypatch.setattr(zxingcpp, "create_barcode", refuse)
    with pytest.raises(ValueError, match="qr cannot hold this data: Input too long"):
        render(DATA["pack"], "qr")


def test_cli_draws_a_barcode_that_scans_back(tmp_path: object) -> None:
    from pathlib import Path

    from click.testing import CliRunner

    from conformance.cli import main

    out = Path(str(tmp_path)) / "pack.png"
    result = CliRunner().invoke(main, ["barcode", DATA["pack"], "-s", "gs1-128", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert validate(scan(out.read_bytes())[0]).ais == validate(DATA["pack"]).ais
    bad = CliRunner().invoke(main, ["barcode", "(01)09506000134353", "-o", str(out.with_suffix(".svg"))])
    assert bad.exit_code == 1 and "check digit" in bad.stderr
