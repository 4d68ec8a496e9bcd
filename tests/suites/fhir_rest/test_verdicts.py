"""Tricky verdicts against a mocked server: bad bodies fail (never error), undeclared things skip."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from conformance.model import Status
from tests.suites.fhir_rest.helpers import BASE, capability, run

FHIR_JSON = {"content-type": "application/fhir+json"}
OUTCOME = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]}


@pytest.fixture
def server() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def metadata(router: respx.MockRouter, body: object, status: int = 200, content_type: str = "application/fhir+json",
             ) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    router.get("/metadata").respond(status, content=content, headers={"content-type": content_type})


async def test_html_error_page_on_metadata_fails_with_status_and_snippet(server: respx.MockRouter) -> None:
    metadata(server, b"<html><body><h1>502 Bad Gateway</h1></body></html>", 502, "text/html")
    verdict = (await run(["fhir-rest.capability.metadata"]))["fhir-rest.capability.metadata"]
    assert verdict.status is Status.FAIL
    assert "expected 200, got 502 (text/html)" in verdict.message and "Bad Gateway" in verdict.message
    assert verdict.evidence


async def test_truncated_json_metadata_fails_not_errors(server: respx.MockRouter) -> None:
    metadata(server, b'{"resourceType": "CapabilityStatement", "rest": [')
    verdict = (await run(["fhir-rest.capability.metadata"]))["fhir-rest.capability.metadata"]
    assert verdict.status is Status.FAIL
    assert "not JSON" in verdict.message and "200" in verdict.message


async def test_html_200_page_on_metadata_fails(server: respx.MockRouter) -> None:
    metadata(server, b"<!doctype html><title>Welcome</title>", 200, "text/html")
    verdict = (await run(["fhir-rest.capability.metadata"]))["fhir-rest.capability.metadata"]
    assert verdict.status is Status.FAIL and "text/html" in verdict.message


async def test_dstu2_conformance_resource_fails(server: respx.MockRouter) -> None:
    metadata(server, {"resourceType": "Conformance", "fhirVersion": "1.0.2"})
    verdict = (await run(["fhir-rest.capability.metadata"]))["fhir-rest.capability.metadata"]
    assert verdict.status is Status.FAIL
    assert "expected resourceType CapabilityStatement, got 'Conformance'" in verdict.message


async def test_structure_errors_are_listed_by_path(server: respx.MockRouter) -> None:
    bad = capability()
    del bad["date"]
    bad["rest"][0]["resource"][0]["bogus"] = 1
    metadata(server, bad)
    verdicts = await run(["fhir-rest.capability.valid"])
    # Neither error is in what the suites read: the statement is still used, and judged invalid apart.
    assert verdicts["fhir-rest.capability.metadata"].status is Status.PASS
    verdict = verdicts["fhir-rest.capability.valid"]
    assert verdict.status is Status.FAIL
    assert "rest.0.resource.0.bogus" in verdict.message and "date: required element missing" in verdict.message


async def test_a_malformed_declaration_fails_metadata(server: respx.MockRouter) -> None:
    bad = capability()
    bad["rest"][0]["resource"][0]["interaction"] = {"code": "read"}  # 0..*: a list
    metadata(server, bad)
    verdict = (await run(["fhir-rest.capability.metadata"]))["fhir-rest.capability.metadata"]
    assert verdict.status is Status.FAIL
    assert "declarations do not parse" in verdict.message and "rest.0.resource.0.interaction" in verdict.message


async def test_capability_details(server: respx.MockRouter) -> None:
    body = capability(fhirVersion="3.0.2", format=["xml"])
    body["rest"][0]["resource"].append({"type": "Patients"})
    metadata(server, body)
    verdicts = await run(["fhir-rest.capability"])
    assert verdicts["fhir-rest.capability.metadata"].status is Status.PASS
    assert "got '3.0.2'" in verdicts["fhir-rest.capability.fhir-version"].message
    assert verdicts["fhir-rest.capability.formats"].status is Status.FAIL
    assert "['Patients']" in verdicts["fhir-rest.capability.rest-server"].message


async def test_undeclared_type_skips_and_its_dependents_skip(server: respx.MockRouter) -> None:
    body = capability()
    body["rest"][0]["resource"][0]["type"] = "Practitioner"
    metadata(server, body)
    verdicts = await run(["fhir-rest.crud.patient.read"])
    create = verdicts["fhir-rest.crud.patient.create"]
    assert create.status is Status.SKIP and create.message == "Patient not declared in CapabilityStatement"
    assert verdicts["fhir-rest.crud.patient.read"].status is Status.SKIP
    assert not server.calls.last.request.url.path.endswith("/Patient")


async def test_undeclared_xml_and_conditional_create_skip(server: respx.MockRouter) -> None:
    body = capability()
    body["rest"][0]["resource"][0]["conditionalCreate"] = False
    metadata(server, body)
    verdicts = await run(["fhir-rest.format.xml", "fhir-rest.crud.conditional-create"])
    assert verdicts["fhir-rest.format.xml"].message == "XML format not declared in CapabilityStatement"
    assert "not declared" in verdicts["fhir-rest.crud.conditional-create"].message


async def test_html_404_page_fails_not_found(server: respx.MockRouter) -> None:
    metadata(server, capability())
    server.get(url__regex=r"/Patient/cf[0-9a-f]+$").respond(404, text="<html>Not Found</html>",
                                                           headers={"content-type": "text/html"})
    verdict = (await run(["fhir-rest.errors.not-found"]))["fhir-rest.errors.not-found"]
    assert verdict.status is Status.FAIL
    assert "404 (text/html)" in verdict.message and "not JSON" in verdict.message


async def test_unknown_type_search_answered_200_fails(server: respx.MockRouter) -> None:
    server.get("/NotARealType/1").respond(404, json=OUTCOME, headers=FHIR_JSON)
    server.get("/NotARealType").respond(200, json={"resourceType": "Bundle", "type": "searchset", "total": 0})
    verdict = (await run(["fhir-rest.errors.unknown-type"]))["fhir-rest.errors.unknown-type"]
    assert verdict.status is Status.FAIL
    assert verdict.message.startswith("GET NotARealType: expected 400 or 404") and "got 200" in verdict.message


async def test_wrong_content_type_fails_accept_json(server: respx.MockRouter) -> None:
    metadata(server, capability(), content_type="text/plain")
    verdict = (await run(["fhir-rest.format.accept-json"]))["fhir-rest.format.accept-json"]
    assert verdict.status is Status.FAIL and "got text/plain" in verdict.message


async def test_create_200_fails_with_words(server: respx.MockRouter) -> None:
    metadata(server, capability())
    server.post("/Patient").respond(200, json={"resourceType": "Patient", "id": "p1", "meta": {"versionId": "1"}},
                                    headers={**FHIR_JSON, "ETag": 'W/"1"'})
    server.delete("/Patient/p1").respond(204)
    verdict = (await run(["fhir-rest.crud.patient.create"]))["fhir-rest.crud.patient.create"]
    assert verdict.status is Status.FAIL and "expected 201 Created, got 200" in verdict.message
    # what it created is still deleted at the end
    assert any(c.request.method == "DELETE" for c in server.calls)


async def test_connection_reset_is_an_error_not_a_fail(server: respx.MockRouter) -> None:
    server.get("/metadata").mock(side_effect=httpx.RemoteProtocolError("peer closed connection"))
    verdict = (await run(["fhir-rest.capability.metadata"]))["fhir-rest.capability.metadata"]
    assert verdict.status is Status.ERROR and "reset" in verdict.message


async def test_read_only_target_skips_writes(server: respx.MockRouter) -> None:
    metadata(server, capability())
    verdicts = await run(["fhir-rest.crud.patient.create"], sandbox=False)
    assert verdicts["fhir-rest.crud.patient.create"].status is Status.SKIP
    assert not any(c.request.method == "POST" for c in server.calls)


async def test_target_without_fhir_endpoint_is_a_clear_skip() -> None:
    from conformance.checks import CheckSkipped, SuiteRuntime
    from conformance.targets import Target
    from suites.fhir_rest.context import make_context

    with pytest.raises(CheckSkipped, match=r"names no FHIR endpoint \(endpoints.fhir"):
        await make_context(SuiteRuntime(target=Target(name="x", source="x", endpoints={"mllp": "h:1"})))


async def test_next_link_to_another_server_is_not_followed(server: respx.MockRouter) -> None:
    metadata(server, capability())
    created = iter(range(1, 10))

    def create(request: httpx.Request) -> httpx.Response:
        n = next(created)
        return httpx.Response(201, headers={"Location": f"{BASE}/Patient/p{n}/_history/1", "ETag": 'W/"1"'})

    server.post("/Patient").mock(side_effect=create)
    server.delete(url__regex=r"/Patient/p\d$").respond(204)
    page = {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}, "search": {"mode": "match"}}],
            "link": [{"relation": "next", "url": "https://elsewhere.test/fhir/Patient?page=2"}]}
    server.get("/Patient").respond(200, json=page, headers=FHIR_JSON)
    verdict = (await run(["fhir-rest.search.paging"]))["fhir-rest.search.paging"]
    assert verdict.status is Status.FAIL
    assert "next link 'https://elsewhere.test/fhir/Patient?page=2' points to another server" in verdict.message
    assert all(c.request.url.host == "fhir.test" for c in server.calls)
