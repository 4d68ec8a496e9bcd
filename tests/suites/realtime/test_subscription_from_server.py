"""Subscriptions built from what the server publishes, and a server's own reason for not notifying in
the verdict: a correct server that refuses our filter is never reported as "never notified"."""

from __future__ import annotations

import json

import httpx

from conformance.model import Status
from conformance.targets import Target
from tests.integration.conftest import run_against_sandbox
from tests.suites.malformed.test_bent_answers import Rewrite

TOPIC = "https://conformance.example/SubscriptionTopic/patient-write"


def _topic_filters_by_identifier(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                                 body: bytes) -> httpx.Response | None:
    if request.method == "GET" and request.url.path.endswith("/SubscriptionTopic"):
        topic = {"resourceType": "SubscriptionTopic", "url": request.url.params.get("url"),
                 "resourceTrigger": [{"resource": "Patient"}],
                 "canFilterBy": [{"resource": "Patient", "filterParameter": "identifier"}]}
        bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": topic}]}
        return httpx.Response(200, headers=[("content-type", "application/fhir+json")],
                              content=json.dumps(bundle).encode())
    return None


def _refuses_after_create(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                          body: bytes) -> httpx.Response | None:
    path = request.url.path
    if request.method == "GET" and "/Subscription/" in path and "$" not in path:
        data = json.loads(body)
        if data.get("reason") == "conformance realtime check" and "-sub" in json.dumps(data):
            data.update(status="error", error="filter on _tag is not supported by this topic")
            return httpx.Response(200, headers=headers, content=json.dumps(data).encode())
    return None


def _family_filter(target: Target) -> None:
    target.realtime.filter = "Patient?family={tag}"


async def test_a_configured_filter_the_published_topic_does_not_allow_is_not_judged() -> None:
    result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.create"],
                                       configure=_family_filter,
                                       wrap_http=lambda inner: Rewrite(inner, _topic_filters_by_identifier))
    create = next(r for r in result.results if r.id == "realtime.subscription.create")
    assert create.status is Status.SKIP, create.message
    assert "filter by Patient.identifier" in create.message and "realtime.filter" in create.message


async def test_a_configured_filter_the_topic_allows_is_used() -> None:
    def configure(target: Target) -> None:
        target.realtime.filter = "Patient?identifier={tag}"

    result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.create"],
                                       configure=configure,
                                       wrap_http=lambda inner: Rewrite(inner, _topic_filters_by_identifier))
    create = next(r for r in result.results if r.id == "realtime.subscription.create")
    assert create.status is not Status.SKIP, create.message
    sent = [e.data for e in create.evidence if e.kind == "http" and e.data.get("request", {}).get("method") == "POST"]
    assert sent and "Patient?identifier=" in json.dumps(sent[0]), sent


async def test_the_servers_reason_for_not_notifying_is_the_verdict() -> None:
    result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.handshake"],
                                       wrap_http=lambda inner: Rewrite(inner, _refuses_after_create))
    got = {r.id: r for r in result.results}
    create = got["realtime.subscription.create"]
    assert create.status is Status.SKIP, create.message
    assert "filter on _tag is not supported by this topic" in create.message
    handshake = got["realtime.subscription.handshake"]
    assert handshake.status is Status.SKIP and "never notified" not in handshake.message


def _no_topic_extension(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                        body: bytes) -> httpx.Response | None:
    """B's CapabilityStatement without the topic-canonical extension: only its Basic-wrapped topics remain."""
    if request.url.path.endswith("/fhir-b/metadata"):
        data = json.loads(body)
        for resource in data["rest"][0]["resource"]:
            resource.pop("extension", None)
        return httpx.Response(status, headers=headers, content=json.dumps(data).encode())
    return None


def _basic_topic_filters_by_identifier(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                                       body: bytes) -> httpx.Response | None:
    if request.method == "GET" and request.url.path.endswith("/fhir-b/Basic"):
        data = json.loads(body)
        for entry in data["entry"]:
            entry["resource"]["extension"] = [e for e in entry["resource"]["extension"]
                                              if "_tag" not in json.dumps(e)]
        return httpx.Response(status, headers=headers, content=json.dumps(data).encode())
    return None


async def test_the_sandbox_publishes_its_topic_as_basic_and_create_reads_it() -> None:
    result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.create"])
    create = next(r for r in result.results if r.id == "realtime.subscription.create")
    assert create.status is Status.PASS, create.message
    read = [e.data for e in create.evidence if e.kind == "derived" and e.data.get("source")]
    assert read and read[0]["source"] == "Basic" and read[0]["triggers"] == ["Patient"]
    assert ["Patient", "_tag"] in read[0]["can_filter_by"]


async def test_topics_discovered_as_basic_when_the_capability_statement_names_none() -> None:
    result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.declared"],
                                       wrap_http=lambda inner: Rewrite(inner, _no_topic_extension))
    declared = next(r for r in result.results if r.id == "realtime.subscription.declared")
    assert declared.status is Status.PASS, declared.message
    assert any("Basic-wrapped" in e.summary for e in declared.evidence)


async def test_a_basic_topic_that_does_not_allow_the_filter_is_not_judged() -> None:
    result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.create"],
                                       configure=_family_filter,
                                       wrap_http=lambda inner: Rewrite(inner, _basic_topic_filters_by_identifier))
    create = next(r for r in result.results if r.id == "realtime.subscription.create")
    assert create.status is Status.SKIP, create.message
    assert "Patient.identifier" in create.message and "family" in create.message


async def test_the_default_filter_follows_what_the_topic_allows_and_events_arrive() -> None:
    """A topic (SubscriptionTopic or Basic-wrapped) that allows identifier but not _tag: the harness subscribes
    with ``Patient?identifier=`` (its patients carry the tag as an identifier too) and is notified."""
    for change in (_topic_filters_by_identifier, _basic_topic_filters_by_identifier):
        result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.event"],
                                           wrap_http=lambda inner, c=change: Rewrite(inner, c))
        got = {r.id: r for r in result.results}
        create = got["realtime.subscription.create"]
        assert create.status is Status.PASS, create.message
        sent = [e.data for e in create.evidence if e.kind == "http" and e.data["request"]["method"] == "POST"]
        assert sent and "Patient?identifier=" in json.dumps(sent[0]) and "_tag=" not in json.dumps(sent[0])
        assert got["realtime.subscription.event"].status is Status.PASS, got["realtime.subscription.event"].message


def _advertises_no_topic(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                         body: bytes) -> httpx.Response | None:
    """B declares Subscription but advertises no topic anywhere (the IG lets R4 servers agree them out-of-band)."""
    if request.url.path.endswith("/fhir-b/Basic"):
        return httpx.Response(404, headers=[("content-type", "application/fhir+json")],
                              content=b'{"resourceType": "OperationOutcome", "issue": []}')
    return _no_topic_extension(request, status, headers, body)


async def test_a_topic_agreed_out_of_band_is_used_and_only_the_should_fails() -> None:
    result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.*"],
                                       wrap_http=lambda inner: Rewrite(inner, _advertises_no_topic))
    got = {r.id: r for r in result.results}
    declared = got["realtime.subscription.declared"]
    assert declared.status is Status.PASS and any("out-of-band" in e.summary for e in declared.evidence)
    assert got["realtime.subscription.event"].status is Status.PASS, got["realtime.subscription.event"].message
    discoverable = got["realtime.subscription.topics-discoverable"]
    assert discoverable.status is Status.FAIL and not discoverable.required, discoverable.message


async def test_no_topic_advertised_nor_set_is_not_judged_naming_the_setting() -> None:
    def no_topic(target: Target) -> None:
        target.realtime.topic = ""

    result = await run_against_sandbox(suites=["realtime"], select=["realtime.subscription.declared"],
                                       configure=no_topic, wrap_http=lambda inner: Rewrite(inner, _advertises_no_topic))
    declared = next(r for r in result.results if r.id == "realtime.subscription.declared")
    assert declared.status is Status.SKIP and "set realtime.topic" in declared.message, declared.message
