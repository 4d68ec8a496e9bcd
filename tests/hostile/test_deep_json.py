"""Deep nesting and huge integers, over HTTP and on disk: a sentence or a verdict, never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance import safejson
from conformance.cli import main
from conformance.evidence.capture import collecting
from conformance.fhirval.loaders import DefinitionLoadError, resources_from_json
from conformance.model import Evidence
from conformance.reporting.html_evidence import pretty_body, render_evidence
from conformance.transports.http import BodyBeyondLimit, HttpTransport
from tests.hostile.peer import make_app
from tests.servers import serve_app

DEEP = b"[" * 1200 + b"]" * 1200
DEEPER = b"[" * 100_000 + b"]" * 100_000  # past the C parser's own recursion guard
BIGINT = b'{"resourceType":"Patient","id":"p","count":' + b"9" * 5000 + b"}"


@pytest.fixture(scope="module")
def peer() -> Iterator[str]:
    served = {"/deep": (DEEP, "", "application/fhir+json"), "/deeper": (DEEPER, "", "application/json"),
              "/bigint": (BIGINT, "", "application/fhir+json")}
    with serve_app(make_app(served)) as url:
        yield url


@pytest.mark.parametrize(("path", "words"), [("/deep", "nested"), ("/deeper", "nested"), ("/bigint", "digits")])
async def test_hostile_json_body_is_a_value_error_and_renders(peer: str, path: str, words: str) -> None:
    transport = HttpTransport()
    try:
        with collecting() as evidence:
            response = await transport.request("GET", peer + path)
    finally:
        await transport.aclose()
    # Past the harness's limits: an error verdict's sentence, not a ValueError a check would turn into a fail.
    with pytest.raises(BodyBeyondLimit, match=words):
        response.json()
    with pytest.raises(BodyBeyondLimit, match=words):
        await response.ajson()
    html = render_evidence(evidence[0])  # the HTML printer must not recurse without end
    assert "<pre" in html


def test_printer_truncates_deep_values_it_did_not_parse() -> None:
    value: list[object] = []
    node = value
    for _ in range(5000):
        child: list[object] = []
        node.append(child)
        node = child
    node.append(10**5000)
    html = render_evidence(Evidence(kind="note", summary="deep", data={"v": value}))
    assert "nested too deeply; truncated" in html
    shown, was_json = pretty_body(DEEP.decode())
    assert (shown, was_json) == (DEEP.decode(), False)


def test_safejson_keeps_ordinary_documents() -> None:
    doc = {"resourceType": "Bundle", "total": 10**50, "entry": [{"resource": {"a": [1, 2.5, None]}}]}
    assert safejson.loads(json.dumps(doc)) == doc
    assert safejson.depth(doc) == 5


@pytest.mark.parametrize(("content", "words"), [(DEEP, "nested"), (BIGINT, "digits")])
def test_validate_fhir_exits_1_with_one_line(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["validate", "fhir", str(path)])
    assert result.exit_code == 1, result.output
    assert words in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("content", [DEEP, BIGINT])
def test_definition_loader_says_why(content: bytes) -> None:
    with pytest.raises(DefinitionLoadError, match="limit"):
        resources_from_json(content, "hostile.json")
