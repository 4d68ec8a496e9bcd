"""Test barcodes decode back to exactly the data they were made from, by independent readers too."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from pylibdmtx import pylibdmtx
from pyzbar import pyzbar

from conformance.gs1 import validate
from conformance.gs1.barcodes import render, scan

GS = "\x1d"
DATA = {
    "pack": "(01)09506000134352(17)261231(10)AB-123(21)XYZ0042",
    "sscc": "(00)095060001343528105",
    "gln": "(414)9506000134369",
    "gsrn": "(8018)950110153000012345",
    "expiry-day-00": "(01)09506000134352(17)271100(10)0417B",
}
SYMBOLOGIES = ("datamatrix", "gs1-128", "qr")


@pytest.mark.parametrize("symbology", SYMBOLOGIES)
@pytest.mark.parametrize("name", sorted(DATA))
def test_png_round_trip_is_exact(name: str, symbology: str) -> None:
    data = DATA[name]
    png = render(data, symbology)
    scanned = scan(png)
    assert len(scanned) == 1
    assert scanned[0].startswith({"datamatrix": "]d2", "gs1-128": "]C1", "qr": "]Q3"}[symbology])
    assert validate(scanned[0]).ais == validate(data).ais


def _element_string(data: str) -> str:
    """What a GS1 reader outputs: AI+value, GS after every variable-length element but the last."""
    scanner = scan(render(data, "qr"))[0]
    return scanner[3:]


@pytest.mark.parametrize("name", sorted(DATA))
def test_independent_readers_agree(name: str) -> None:
    """zbar reads the QR and GS1-128 symbols, libdmtx the DataMatrix: not the library that drew them."""
    data = DATA[name]
    expected = _element_string(data)
    for symbology in ("qr", "gs1-128"):
        decoded = pyzbar.decode(Image.open(io.BytesIO(render(data, symbology))))
        assert [d.data.decode("latin-1") for d in decoded] == [expected], symbology
    # libdmtx drops the FNC1 separators of GS1 DataMatrix (it outputs no GS), so compare without them.
    decoded_dm = pylibdmtx.decode(Image.open(io.BytesIO(render(data, "datamatrix"))), timeout=5000)
    assert [d.data.decode("latin-1") for d in decoded_dm] == [expected.replace(GS, "")]


@pytest.mark.parametrize("symbology", SYMBOLOGIES)
def test_svg_is_well_formed_with_a_viewbox_or_size(symbology: str) -> None:
    root = ET.fromstring(render(DATA["pack"], symbology, "svg"))
    assert root.tag.endswith("svg")
    assert root.get("viewBox") or (root.get("width") and root.get("height"))
    assert len(list(root.iter())) > 2


def test_refuses_what_it_must_not_draw() -> None:
    with pytest.raises(ValueError, match="check digit"):
        render("(01)09506000134353", "qr")
    with pytest.raises(ValueError, match="unknown symbology"):
        render(DATA["pack"], "aztec")
    with pytest.raises(ValueError, match="unknown image format"):
        render(DATA["pack"], "qr", "gif")
    with pytest.raises(ValueError, match="gs1-128 cannot hold"):
        render("(01)09506000134352(21)" + "A" * 20 + "(10)" + "B" * 20 + "(240)" + "C" * 30, "gs1-128")


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
