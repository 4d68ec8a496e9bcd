"""Test barcodes: GS1 DataMatrix, GS1-128 and GS1 QR images (PNG, SVG) of validated GS1 data.

For scanner-emulator and manual testing of a system at the bedside. Symbology encoding is done by
zxing-cpp (its writer wraps zint, the reference open-source encoder), never by hand; the data is
validated by our own validator first, so an image of broken data cannot be made by mistake.
:func:`scan` decodes an image back to scanner data (symbology identifier plus GS-separated
element string), which is what a real scanner would deliver to the system under test.
"""

from __future__ import annotations

import io
import re
from typing import Literal

import zxingcpp
from PIL import Image

from conformance.gs1.convert import to_bracketed, to_unbracketed
from conformance.gs1.validate import validate

Symbology = Literal["datamatrix", "gs1-128", "qr"]
Format = Literal["png", "svg"]

GS1_128_MAX = 48

# symbology -> (zxing-cpp format, the identifier a scanner prefixes to GS1 data of that symbology)
SYMBOLOGIES: dict[str, tuple[zxingcpp.BarcodeFormat, str]] = {
    "datamatrix": (zxingcpp.BarcodeFormat.DataMatrix, "]d2"),
    "gs1-128": (zxingcpp.BarcodeFormat.Code128, "]C1"),
    "qr": (zxingcpp.BarcodeFormat.QRCode, "]Q3"),
}


def render(data: str, symbology: str, fmt: str = "png", scale: int = 4) -> bytes:
    """The image of ``data`` (any of the three GS1 input forms) in GS1 mode of ``symbology``.

    Raises ValueError with a one-line reason for invalid GS1 data, an unknown symbology or format,
    or data the symbology cannot hold (GS1-128 is limited to 48 data characters).
    """
    if symbology not in SYMBOLOGIES:
        raise ValueError(f"unknown symbology {symbology!r} (one of {', '.join(SYMBOLOGIES)})")
    if fmt not in ("png", "svg"):
        raise ValueError(f"unknown image format {fmt!r} (png or svg)")
    result = validate(data)
    if not result.valid:
        first = result.issues[0]
        raise ValueError(f"not valid GS1 data, so no barcode was made: {first.diagnostics}")
    if any("(" in e.value or ")" in e.value for e in result.elements):
        raise ValueError("values containing brackets cannot be passed to the encoder's bracketed input")
    barcode_format, _ = SYMBOLOGIES[symbology]
    length = len(to_unbracketed(result.elements))
    if symbology == "gs1-128" and length > GS1_128_MAX:
        # GS1 General Specifications 5.4.1: the encoder would draw it, but scanners may refuse it.
        raise ValueError(f"gs1-128 cannot hold {length} data characters (at most {GS1_128_MAX}): "
                         "use datamatrix or qr")
    # Square DataMatrix: the rectangular (DMRE) sizes are not read by every scanner in the field.
    # zxing-cpp reads a lone "gs1" options string as something else; the keyword is unambiguous.
    extra = {"options": "gs1,forceSquare"} if symbology == "datamatrix" else {}
    try:
        barcode = zxingcpp.create_barcode(to_bracketed(result.elements), barcode_format, gs1=True, **extra)
    except Exception as exc:  # noqa: BLE001 - the encoder raises plain errors for capacity limits
        raise ValueError(f"{symbology} cannot hold this data: {exc}") from None
    if fmt == "svg":
        return _scalable_svg(barcode.to_svg(), scale).encode("utf-8")
    image = barcode.to_image(scale=scale)
    height, width = image.shape[0], image.shape[1]
    out = io.BytesIO()
    pixels = bytes(memoryview(image))  # type: ignore[arg-type]  # zxing Image supports the buffer protocol
    Image.frombytes("L", (width, height), pixels).save(out, format="PNG")
    return out.getvalue()


def _scalable_svg(svg: str, scale: int) -> str:
    """zint's SVG in module units with a ``viewBox``, displayed at ``scale`` pixels a module like the PNG.

    zint writes only ``width``/``height`` (one unit a module), which browsers and printers show at
    a few pixels and cannot scale; the viewBox keeps the drawing exact at any size.
    """
    tag = re.search(r"<svg\b[^>]*>", svg)
    size = tag and re.search(r'\bwidth="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"', tag.group(0))
    if tag is None or not size or "viewBox" in tag.group(0):
        return svg
    width, height = size.group(1), size.group(2)
    scaled = f'width="{float(width) * scale:.12g}" height="{float(height) * scale:.12g}" viewBox="0 0 {width} {height}"'
    return svg[: tag.start()] + tag.group(0).replace(size.group(0), scaled, 1) + svg[tag.end():]


def scan(png: bytes, every_carrier: bool = False) -> list[str]:
    """Decode every GS1 barcode in a PNG to what a scanner sends: ``]d2`` + element string with GS.

    The symbology identifier is the one the reader reports for the symbol (``]d2``, ``]C1``, ``]Q3``
    only when the symbol really is in GS1/FNC1 mode), and the element string is the reader's raw
    output, not re-expressed by our parser. ``every_carrier``: also EAN/UPC (with add-ons, sent as
    one ``]E3`` packet), ITF and plain symbols (a Digital Link in ``]Q1``), as a scanner would.
    """
    image = Image.open(io.BytesIO(png))
    if not every_carrier:
        return [barcode.symbology_identifier + barcode.bytes.decode("latin-1")
                for barcode in zxingcpp.read_barcodes(image)
                if barcode.content_type == zxingcpp.ContentType.GS1]
    read = [barcode.symbology_identifier + barcode.bytes.decode("latin-1")
            for barcode in zxingcpp.read_barcodes(image, ean_add_on_symbol=zxingcpp.EanAddOnSymbol.Read)]
    # With add-ons read, the reader also reports the main symbol alone; a scanner sends the packet.
    packets = {r[3:] for r in read if r.startswith("]E3")}
    return [r for r in read if not (r.startswith("]E0") or r.startswith("]E4"))
            or not any(p.startswith(r[3:]) for p in packets)]
