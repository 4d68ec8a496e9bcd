"""The outputs: pages are self-contained, balanced and escaped; their SVG is well-formed XML whose squares
say what the record says; CSV and JSON exports read back to the same content."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser

import pytest

from conformance.maturity import csvout, html, jsonout, svg
from conformance.maturity.compare import BuyerRequirement, compare
from conformance.maturity.model import load_model
from conformance.maturity.records import Footprint, Organisation, Outcome, RunOutcomes, SelfAssessment, SystemRef
from conformance.maturity.roadmap import roadmap
from conformance.maturity.score import OrgRecord, footprint_record, org_record

MODEL = load_model()
TODAY = date(2026, 11, 23)
HOSTILE = "<script>alert('x')</script> & \"quoted\""
FORMULA = "=HYPERLINK(\"http://evil.example\",\"x\")"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
SVG = "{http://www.w3.org/2000/svg}"


def run(run_id: str, day: str, outcomes: dict[str, str], ods: str = "RXX01", vendor: str = "Acme") -> RunOutcomes:
    return RunOutcomes(run_id, ods, SystemRef(vendor, "EPR", "1"), f"{day}T09:00:00Z", True,
                       [Outcome(c, s, True, message=FORMULA if s == "fail" else HOSTILE) for c, s in outcomes.items()])


@pytest.fixture(scope="module")
def record() -> OrgRecord:
    runs = [run("r<1>", "2026-09-01", {"gs1.a": "fail"}), run("r2", "2026-10-01", {"gs1.a": "pass", "gs1.b": "fail"}),
            run("r3", "2026-11-01", {"gs1.a": "pass", "gs1.b": "pass", "fhir-rest.crud.patient.read": "fail"})]
    claims = [SelfAssessment("RXX01", "uc-medicines-devices-gs1", "not met", "2026-06-01", HOSTILE),
              SelfAssessment("RXX01", "uc-gp-record-access", "met", "2026-06-01", FORMULA)]
    return org_record(Organisation("RXX01", HOSTILE, "provider"), runs, claims, MODEL, TODAY)


class Page(HTMLParser):
    """Collects tags, checks nesting, and records anything that would load from outside the file."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.outside: list[str] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "xlink:href") or (name == "style" and "url(" in (value or "")):
                self.outside.append(f"{tag}.{name}={value}")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_page(text: str) -> Page:
    parsed = Page(text)
    assert parsed.stack == [] and parsed.tags[0] == "html"
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parsed.tags)
    assert parsed.outside == []
    assert "<script>" not in text  # every test page shows HOSTILE somewhere: only ever escaped
    for chunk in text.split("<svg")[1:]:
        root = ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")
        assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title") is not None
    return parsed


def test_org_page(record: OrgRecord) -> None:
    page = html.org_page(record, roadmap(record, MODEL, TODAY))
    parsed = check_page(page)
    assert HOSTILE in "".join(parsed.text) and "&lt;script&gt;" in page  # shown to the reader as text, exactly
    assert "under-claim" in page and "over-claim" in page and "2 claim(s) flagged for audit" in page


def test_footprint_roadmap_and_compare_pages(record: OrgRecord) -> None:
    rolled = footprint_record(Footprint("F&1", HOSTILE, ("RXX01", "X<9>")), [record], MODEL)
    for page in (html.footprint_page(rolled, roadmap(rolled, MODEL, TODAY)), html.roadmap_page(roadmap(rolled, MODEL,
                                                                                                       TODAY))):
        parsed = check_page(page)
        assert "X<9>" in "".join(parsed.text) and "X&lt;9&gt;" in page
    matrix = compare([run("r<1>", "2026-11-01", {"gs1.a": "pass", "gs1.b": "fail"}, vendor=HOSTILE)],
                     [BuyerRequirement("gs1", HOSTILE, "must", ("gs1.*",))])
    parsed = check_page(html.compare_page(matrix))
    assert "fails a must: gs1" in "".join(parsed.text)


def _squares(chart: str) -> dict[str, str]:
    root = ET.fromstring(chart)
    out = {}
    for rect in root.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title")
        if title is not None and title.text:
            out[title.text.rsplit(": ", 1)[0]] = rect.get("fill", "")
    return out


def test_status_over_time_squares_match_the_history(record: OrgRecord) -> None:
    chart = svg.over_time(record.history)
    squares = _squares(chart)
    assert len(squares) == len(MODEL.capabilities) * 3  # three run dates
    gs1 = "uc-medicines-devices-gs1"
    assert [squares[f"{gs1} / {d}"] for d in ("2026-09-01", "2026-10-01", "2026-11-01")] == [
        svg.COLOURS["not met"], svg.COLOURS["partly met"], svg.COLOURS["met"]]
    bars = ET.fromstring(svg.progress(record.history))
    counts = [int(str(t.text).split(": ")[1].split()[0]) for t in bars.iter(f"{SVG}title") if t.text and
              t.text.startswith("2026-11-01")]
    assert sum(counts) == len(MODEL.capabilities)


def test_footprint_mosaic_has_a_square_per_member_and_capability(record: OrgRecord) -> None:
    other = org_record(Organisation("XB1", "B", "provider"), [run("b", "2026-11-01", {"gs1.a": "pass"}, ods="XB1")],
                       [], MODEL, TODAY)
    rolled = footprint_record(Footprint("F", "F", ("RXX01", "XB1", "XZ9")), [record, other], MODEL)
    page = html.footprint_page(rolled)
    chart = "<svg" + page.split("<svg")[1].split("</svg>")[0] + "</svg>"
    squares = _squares(chart)
    assert len(squares) == 3 * len(MODEL.capabilities)
    assert squares["uc-medicines-devices-gs1 / XB1"] == svg.COLOURS["met"]
    assert squares["uc-medicines-devices-gs1 / XZ9"] == svg.COLOURS["no evidence"]  # no record at all


def test_csv_exports_read_back_unchanged(record: OrgRecord) -> None:
    rolled = footprint_record(Footprint("F", "F", ("RXX01",)), [record], MODEL)
    matrix = compare([run("a", "2026-11-01", {"gs1.a": "pass"})], [BuyerRequirement("g", "G", "must", ("gs1.*",))])
    for rows in (csvout.org_rows(record), csvout.evidence_rows(record), csvout.history_rows(record),
                 csvout.footprint_rows(rolled), csvout.roadmap_rows(roadmap(rolled, MODEL, TODAY)),
                 csvout.compare_rows(matrix), csvout.compare_detail_rows(matrix)):
        text = csvout.to_csv(rows)
        assert csvout.from_csv(text) == rows
    evidence = csvout.to_csv(csvout.evidence_rows(record))
    assert f",'{FORMULA[:5]}" in evidence.replace('"', "") and f",{FORMULA[:5]}" not in evidence.replace('"', "")
    assert csvout.to_csv([]) == ""


def test_json_exports(record: OrgRecord) -> None:
    data = json.loads(jsonout.dumps(jsonout.org_json(record, roadmap(record, MODEL, TODAY))))
    assert sum(data["summary"][s] for s in svg.ORDER) == len(MODEL.capabilities) and data["summary"][
        "flagged_for_audit"] == 2
    gs1 = next(c for c in data["capabilities"] if c["id"] == "uc-medicines-devices-gs1")
    assert gs1["flag"] == "under-claim" and gs1["claim"]["note"] == HOSTILE
    assert {c["check"] for r in gs1["requirements"] for c in r["checks"]} == {"gs1.a", "gs1.b"}
    assert [p["status"] for p in data["history"]["uc-medicines-devices-gs1"]] == ["not met", "partly met", "met"]
    assert {m["id"] for m in data["roadmap"]} == set(MODEL.milestones)
    rolled = footprint_record(Footprint("F", "F", ("RXX01", "XZ9")), [record], MODEL)
    fp = json.loads(jsonout.dumps(jsonout.footprint_json(rolled)))
    assert fp["footprint"]["missing"] == ["XZ9"] and fp["members"][0]["organisation"]["ods_code"] == "RXX01"
    matrix = compare([run("a", "2026-11-01", {"gs1.a": "fail"}), run("b", "2026-11-01", {"gs1.a": "pass"})],
                     [BuyerRequirement("g", "G", "must", ("gs1.*",))])
    cmp = json.loads(jsonout.dumps(jsonout.compare_json(matrix)))
    assert cmp["ranking"] == ["b", "a"] and cmp["systems"][0]["cells"]["g"]["failed"] == ["gs1.a"]
