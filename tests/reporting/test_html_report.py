from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from reporting_data import HOSTILE_BODY, http_evidence, make_check

from conformance.model import RunInfo, RunResult, Status
from conformance.reporting.html import render_html, write_html


class Collector(HTMLParser):
    """Every element and attribute the browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.details = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((k, v or "") for k, v in attrs)
        if tag == "details":
            self.details += 1


def _parse(page: str) -> Collector:
    parser = Collector()
    parser.feed(page)
    parser.close()
    return parser


def test_page_is_self_contained(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(result, path)
    page = path.read_text(encoding="utf-8")
    parsed = _parse(page)
    assert not {"script", "link", "img", "iframe", "object", "embed", "svg", "base"} & set(parsed.tags)
    assert "<script" not in page.lower()
    for name, value in parsed.attrs:
        assert not name.startswith("on"), (name, value)
        assert name not in ("src", "srcset", "action", "formaction")
        if name == "href":
            assert value.startswith("#"), value  # in-page anchors only
    css = page[page.index("<style>") : page.index("</style>")]
    assert "url(" not in css and "@import" not in css and "//" not in css
    # The only http(s) URLs in the page are evidence text, never an asset or link.
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_hostile_body_is_escaped(result: RunResult) -> None:
    page = render_html(result)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "onerror=alert(2)>" not in page and "<img" not in page and "<svg" not in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "\x00" not in page and "\x1b" not in page and "\ud800" not in page
    assert "\\x1b[2J]]&gt;" in page  # control characters shown, not emitted
    assert "\\u202e" in page  # a bidi override cannot reorder what the reader sees
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "Trust EPR &lt;test&gt; é" in page


def test_every_check_is_there_with_its_evidence_one_click_away(result: RunResult) -> None:
    page = render_html(result)
    parsed = _parse(page)
    for check in result.results:
        assert f'id="check-{check.id}"' in page
        assert check.id in page
    assert parsed.details == sum(len(c.evidence) for c in result.results)
    assert "<b>GET</b> http://fhir.example.test/Patient/missing" in page  # method URL
    assert 'class="http-status ok">200<' in page and 'class="http-status bad">no response<' in page
    assert "sha256" in page and "12.5 ms" in page
    assert "FHIR-R4:http.html#read" in page and "UKCore:Patient" in page


def test_summary_comes_first_with_counts_and_required_failures(result: RunResult) -> None:
    page = render_html(result)
    first_check = page.index('id="check-')
    for fact in ("run-20240101-abc", "Example NHS Trust", "(ODS RXX)", "Vendor EPR 1.2", "5.5 s"):
        assert page.index(fact) < first_check, fact
    counts = dict(re.findall(r'b-(pass|fail|skip|error)">\1</span><b>(\d+)</b>', page))
    assert counts == {"pass": "2", "fail": "2", "skip": "1", "error": "1"}
    verdict = page[page.index('class="verdict') : first_check]
    assert "2 required checks failed or errored" in verdict
    assert 'href="#check-fhir-rest.read.not-found"' in verdict
    assert 'href="#check-fhir-rest.search.by-identifier"' in verdict
    assert "fhir-rest.search.big" not in verdict  # optional failure is not a required failure


def test_json_body_is_pretty_printed_and_truncation_noted(result: RunResult) -> None:
    page = render_html(result)
    assert "{\n  &quot;resourceType&quot;: &quot;Patient&quot;,\n  &quot;id&quot;: &quot;1&quot;\n}" in page
    assert "Body truncated in the evidence" in page
    assert "(JSON, pretty-printed)" in page


def test_grouped_by_suite_then_group(result: RunResult) -> None:
    page = render_html(result)
    order = [
        page.index(s)
        for s in (
            'id="suite-fhir-rest"',
            "<h3>fhir-rest.read</h3>",
            "<h3>fhir-rest.search</h3>",
            'id="suite-gs1"',
            "<h3>gs1.scan</h3>",
        )
    ]
    assert order == sorted(order)


def test_all_passing_run_says_so(tmp_path: Path) -> None:
    result = RunResult(
        run=RunInfo(id="r1", started="", target={}, harness_version="0.1"),
        results=[make_check("a.b.c", Status.PASS, evidence=[http_evidence(body=HOSTILE_BODY)])],
    )
    page = render_html(result)
    assert "Every required check passed." in page
    assert "&lt;script&gt;" in page
