"""Vendor comparison (weights, must failures) and the outputs: well-formed, escaped HTML/SVG; CSV round trip."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from conformance.maturity import views
from conformance.maturity.compare import compare, load_requirements
from conformance.maturity.model import load_model
from conformance.maturity.records import Footprint, Organisation, Outcome, RunOutcomes, SystemRef
from conformance.maturity.score import footprint_record, org_record, roadmap_view

EXAMPLE = Path(__file__).resolve().parents[2] / "conformance" / "maturity" / "data" / "example-requirements.toml"
MODEL = load_model()


def run(run_id: str, vendor: str, outcomes: dict[str, str]) -> RunOutcomes:
    return RunOutcomes(run_id, "RXX01", SystemRef(vendor, "EPR", "1"), "2026-11-01T00:00:00Z", True,
                       [Outcome(c, s, True) for c, s in outcomes.items()])


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_pages_are_self_contained_escaped_and_their_svg_is_well_formed() -> None:
    hostile = Organisation("RXX01", "<script>alert(1)</script> Trust", "provider")
    record = org_record(hostile, [run("r<1>", "Acme", {"gs1.a": "pass"})], [], MODEL, date(2026, 11, 23))
    roadmap = roadmap_view({c.capability.id: c.status for c in record.capabilities}, MODEL, date(2026, 11, 23))
    for page in (views.org_html(record, roadmap),
                 views.footprint_html(footprint_record(Footprint("F", "F & co", ("RXX01",)), [record], MODEL),
                                      roadmap),
                 views.compare_html(compare([run("r<1>", "A<b>", {})], load_requirements(EXAMPLE)))):
        parser = _Collect()
        parser.feed(page)
        assert parser.scripts == 0 and "http" not in page.split("<svg")[0].replace("http://www.w3.org", "")
        for svg in page.split("<svg")[1:]:
            ET.fromstring("<svg" + svg.split("</svg>")[0] + "</svg>")  # parses: well-formed
    assert "&lt;script&gt;" in views.org_html(record, roadmap)


def test_csv_round_trip() -> None:
    record = org_record(Organisation("RXX01", "Trust, \"NHS\"", "provider"), [], [], MODEL, date(2026, 11, 23))
    rows = views.org_rows(record)
    back = list(csv.DictReader(io.StringIO(views.to_csv(rows))))
    assert back == rows and len(back) == len(MODEL.capabilities)
