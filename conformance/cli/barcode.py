"""``conformance barcode``: draw a GS1 test barcode (validated first) for scanner or manual testing."""

from __future__ import annotations

from pathlib import Path

import click

from conformance.cli.common import guard, main
from conformance.session import EXIT_USAGE


@main.command()
@click.argument("text")
@click.option("-s", "--symbology", type=click.Choice(["datamatrix", "gs1-128", "qr"]), default="datamatrix",
              show_default=True, help="GS1 symbology to draw.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Image file to write; .png or .svg.")
@click.option("--scale", default=4, show_default=True, type=click.IntRange(1, 40), help="Pixels per module (PNG).")
def barcode(text: str, symbology: str, output: Path, scale: int) -> None:
    """Draw a GS1 test barcode of TEXT (validated first) for scanner or manual testing."""

    def body() -> int:
        from conformance.gs1.barcodes import render

        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("png", "svg"):
            click.echo(f"conformance: barcode: {output}: name a .png or .svg file", err=True)
            return EXIT_USAGE
        try:
            image = render(text, symbology, fmt, scale=scale)
        except ValueError as exc:
            click.echo(f"conformance: barcode: {exc}", err=True)
            return 1
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(image)
        click.echo(str(output))
        return 0

    guard(body)
