"""The receiver's bounds (oversized, flood, unknown paths) and the sandbox's endpoint B, in memory."""

from __future__ import annotations

import json

import httpx
import pytest

from conformance.realtime import receiver as receiver_module
from conformance.realtime.notifications import TOPIC_CANONICAL_EXT, problems, read
from conformance.realtime.receiver import Receiver
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from conformance.sandbox.realtime.subscriptions import TOPIC


async def post(receiver: Receiver, path: str, body: bytes) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app), base_url="http://r") as c:
        return (await c.post(path, content=body)).status_code


async def test_receiver_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    receiver = Receiver()
    inbox = receiver.inbox()
    assert await post(receiver, "/notify/nobody", b"{}") == 404 and receiver.unknown == 1
    assert await post(receiver, f"/notify/{inbox.token}", b"x" * (receiver_module.MAX_BODY + 1)) == 413
    monkeypatch.setattr(receiver_module, "MAX_KEPT", 3)
    codes = [await post(receiver, f"/notify/{inbox.token}", b"{not json") for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert len(inbox.notes) == 3 and inbox.refused == 3
    assert problems(inbox.notes[0])[0].startswith("not JSON")
    assert await post(receiver, f"/fail/{inbox.token}", b"{}") == 500 and inbox.failed_attempts == 1


def test_lenient_read_strict_problems() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Parameters", "parameter": [
            {"name": "type", "valueCode": "event-notification"},
            {"name": "notification-event", "part": [{"name": "event-number", "valueString": "x"}]}]}}]}
    note = read(json.dumps(bundle).encode(), 0.0, "")
    assert note.type == "event-notification" and note.events[0].number == "x"
    found = " | ".join(problems(note))
    for text in ("not 'history'", "'subscription' parameter", "'x', not a whole number", "lacks request"):
        assert text in found


async def b_client(faults: list[str]) -> httpx.AsyncClient:
    app = create_app(parse_faults(faults))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test/fhir-b/")


def subscription(endpoint: str = "http://127.0.0.1:9/notify/x", topic: str = TOPIC) -> dict[str, object]:
    return {"resourceType": "Subscription", "status": "requested", "criteria": topic,
            "channel": {"type": "rest-hook", "endpoint": endpoint, "payload": "application/fhir+json"}}


async def test_endpoint_b_declares_and_guards_subscriptions() -> None:
    async with await b_client([]) as b:
        cap = (await b.get("metadata")).json()
        sub = next(r for r in cap["rest"][0]["resource"] if r["type"] == "Subscription")
        assert sub["extension"] == [{"url": TOPIC_CANONICAL_EXT, "valueCanonical": TOPIC}]
        assert (await b.post("Subscription", json=subscription("http://example.org/hook"))).status_code == 400
        assert (await b.post("Subscription", json=subscription(topic="https://x.test/t"))).status_code == 400
        assert (await b.post("Subscription", content=b"not json")).status_code == 400
        created = await b.post("Subscription", json=subscription())
        assert created.status_code == 201 and created.json()["status"] == "requested"
        sid = created.json()["id"]
        status = (await b.get(f"Subscription/{sid}/$status")).json()
        assert status["entry"][0]["resource"]["parameter"][3] == {"name": "type", "valueCode": "query-status"}
        off = await b.put(f"Subscription/{sid}", json={**created.json(), "status": "off"})
        assert off.status_code == 200 and off.json()["status"] == "off"
        assert (await b.delete(f"Subscription/{sid}")).status_code == 204
        assert (await b.get(f"Subscription/{sid}")).status_code == 404
        # Everything else on B is the FHIR server over A's store.
        assert (await b.get("Patient")).json()["resourceType"] == "Bundle"


async def test_endpoint_b_finds_subscriptions_by_tag() -> None:
    """How `conformance cleanup` finds a killed run's Subscriptions: Subscription?_tag=system|[code]."""
    ours = {"system": "https://conformance.example/tag", "code": "run-r1"}
    async with await b_client([]) as b:
        cap = (await b.get("metadata")).json()
        sub = next(r for r in cap["rest"][0]["resource"] if r["type"] == "Subscription")
        assert {"code": "search-type"} in sub["interaction"]
        tagged = (await b.post("Subscription", json={**subscription(), "meta": {"tag": [ours]}})).json()["id"]
        other = (await b.post("Subscription", json=subscription())).json()["id"]

        async def ids(value: str) -> list[str]:
            found = (await b.get("Subscription", params={"_tag": value})).json()
            return [e["resource"]["id"] for e in found["entry"]]

        assert await ids("https://conformance.example/tag|") == [tagged]
        assert await ids("https://conformance.example/tag|run-r1") == [tagged]
        assert await ids("https://conformance.example/tag|run-r2") == []
        assert await ids("run-r1") == [tagged]
        assert sorted([e["resource"]["id"] for e in (await b.get("Subscription")).json()["entry"]]) == sorted(
            [tagged, other])
        assert (await b.get("Subscription", params={"status": "active"})).status_code == 400
        for sid in (tagged, other):
            await b.delete(f"Subscription/{sid}")


async def test_notification_text_is_kept_up_to_the_evidence_limit_and_a_switched_inbox_fails(
        monkeypatch: pytest.MonkeyPatch) -> None:
    big = json.dumps({"resourceType": "Bundle", "type": "history", "x": "p" * 20_000}).encode()
    receiver = Receiver(keep=64_000)  # [http] evidence_body_bytes' default
    inbox = receiver.inbox()
    assert await post(receiver, f"/notify/{inbox.token}", big) == 200
    whole = inbox.notes[0]
    assert len(whole.text) == len(big) and not whole.cut and whole.bundle is not None
    monkeypatch.setattr(receiver_module, "WHOLE_KEPT", 1)  # past the first ones (a flood): a short text
    assert await post(receiver, f"/notify/{inbox.token}", big) == 200
    assert len(inbox.notes[1].text) == receiver_module.SHORT_KEEP and inbox.notes[1].cut
    small = Receiver(keep=100)
    box = small.inbox()
    await post(small, f"/notify/{box.token}", big)
    assert len(box.notes[0].text) == 100 and box.notes[0].cut and box.notes[0].size == len(big)
    # An endpoint that worked, then breaks (the error-state check): 500, counted, nothing kept.
    box.failing = True
    assert await post(small, f"/notify/{box.token}", big) == 500
    assert box.failed_attempts == 1 and len(box.notes) == 1
