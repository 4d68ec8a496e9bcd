"""The clean-up library against a small fake FHIR server (httpx.MockTransport): what it deletes, in
which order, what it refuses to touch, and what it reports when a server will not let go."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.cleanup import NotSandboxError, clean
from conformance.cleanup.fhir import delete_order
from conformance.cleanup.ledger import Ledger
from conformance.fhir.tags import TAG_SYSTEM, run_tag, with_tags
from conformance.targets import from_url

BASE = "http://fake.test/fhir"
OURS = run_tag("20260101T000000Z-abcdef")
OTHER_RUN = run_tag("20260102T000000Z-123456")


class FakeFhir:
    """A FHIR server in a dict; switches for the ways real ones make clean-up hard."""

    def __init__(self, ignore_tag: bool = False, integrity: bool = False, refuse: str = "",
                 pretend: bool = False) -> None:
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.deletes: list[str] = []
        self.ignore_tag, self.integrity, self.refuse, self.pretend = ignore_tag, integrity, refuse, pretend

    def add(self, kind: str, rid: str, *tags: dict[str, str], **fields: Any) -> None:
        self.resources[(kind, rid)] = with_tags({"resourceType": kind, "id": rid, **fields}, *tags)

    def statement(self) -> dict[str, Any]:
        types = ["Subscription", "Patient", "Observation"]
        return {"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "resource": [
            {"type": t, "interaction": [{"code": c} for c in ("create", "delete", "search-type")]} for t in types]
            + [{"type": "Basic", "interaction": [{"code": "create"}]}]}]}

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.removeprefix("/fhir/").split("/")
        if parts == ["metadata"]:
            return httpx.Response(200, json=self.statement())
        if request.method == "GET" and len(parts) == 1:
            wanted = request.url.params.get("_tag", "")
            system, _, code = wanted.partition("|")
            hits = [r for (k, _), r in self.resources.items() if k == parts[0] and (self.ignore_tag or any(
                t["system"] == system and (not code or t["code"] == code) for t in r["meta"]["tag"]))]
            return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset",
                                             "entry": [{"resource": r} for r in hits]})
        if request.method == "DELETE" and len(parts) == 2:
            key = (parts[0], parts[1])
            referred = any(f"{parts[0]}/{parts[1]}" in json.dumps(r) for k, r in self.resources.items() if k != key)
            if parts[0] == self.refuse or (self.integrity and referred):
                return httpx.Response(409, json={"resourceType": "OperationOutcome"})
            if not self.pretend:
                self.resources.pop(key, None)
            self.deletes.append("/".join(parts))
            return httpx.Response(204)
        return httpx.Response(400)


def sandbox() -> Any:
    return from_url(BASE, sandbox=True)


def fill(fake: FakeFhir) -> None:
    fake.add("Patient", "p1", OURS, name=[{"family": "Synthetic"}])
    fake.add("Observation", "o1", OURS, subject={"reference": "Patient/p1"})
    fake.add("Subscription", "s1", OURS)
    fake.add("Patient", "p2", OTHER_RUN)
    fake.add("Patient", "real", {"system": "http://trust.example/tags", "code": "clinical"})


async def test_deletes_subscriptions_first_then_referrers_before_what_they_refer_to(tmp_path: Path) -> None:
    fake = FakeFhir(integrity=True)
    fill(fake)
    report = await clean(sandbox(), transport=httpx.MockTransport(fake.handle), ledger_dir=tmp_path)
    assert fake.deletes.index("Subscription/s1") == 0
    assert fake.deletes.index("Observation/o1") < fake.deletes.index("Patient/p1")
    assert set(fake.resources) == {("Patient", "real")}  # both runs' things gone, the trust's own kept
    assert report.tag == f"{TAG_SYSTEM}|"
    # Basic can be created but not searched: said, and so the outcome is not "nothing remains"
    assert not report.ok and any("Basic can be written but not searched" in p for p in report.problems)


async def test_run_narrows_to_that_runs_tag(tmp_path: Path) -> None:
    fake = FakeFhir()
    fill(fake)
    await clean(sandbox(), run_id="20260102T000000Z-123456", transport=httpx.MockTransport(fake.handle),
                ledger_dir=tmp_path)
    assert fake.deletes == ["Patient/p2"]


async def test_dry_run_deletes_nothing_and_reports_what_it_found(tmp_path: Path) -> None:
    fake = FakeFhir()
    fill(fake)
    report = await clean(sandbox(), dry_run=True, transport=httpx.MockTransport(fake.handle), ledger_dir=tmp_path)
    assert fake.deletes == [] and len(fake.resources) == 5
    found = {r.type: (r.found, r.remaining) for r in report.rows if r.found}
    assert found == {"Subscription": (1, 1), "Patient": (2, 2), "Observation": (1, 1)}
    assert "would delete" in "\n".join(report.lines())


async def test_a_server_that_ignores_tag_loses_nothing_of_its_own(tmp_path: Path) -> None:
    fake = FakeFhir(ignore_tag=True)
    fill(fake)
    report = await clean(sandbox(), transport=httpx.MockTransport(fake.handle), ledger_dir=tmp_path)
    assert ("Patient", "real") in fake.resources and "Patient/real" not in fake.deletes
    assert not report.ok
    assert any("without the tag" in p for r in report.rows for p in r.problems)


async def test_what_cannot_be_deleted_is_named_with_the_reason(tmp_path: Path) -> None:
    fake = FakeFhir(refuse="Observation")
    fill(fake)
    report = await clean(sandbox(), transport=httpx.MockTransport(fake.handle), ledger_dir=tmp_path)
    row = next(r for r in report.rows if r.type == "Observation")
    assert row.remaining == 1 and "409" in row.refused["Observation/o1"] and not report.ok
    assert any("not deleted Observation/o1: DELETE answered 409" in line for line in report.lines())


async def test_a_delete_that_answers_success_but_keeps_the_resource_is_caught(tmp_path: Path) -> None:
    fake = FakeFhir(pretend=True)
    fake.add("Patient", "p1", OURS)
    report = await clean(sandbox(), transport=httpx.MockTransport(fake.handle), ledger_dir=tmp_path)
    row = next(r for r in report.rows if r.type == "Patient")
    assert fake.deletes == ["Patient/p1"] * 3  # bounded: three rounds, then it says so
    assert row.remaining == 1 and not report.ok and any("still finds them" in p for p in row.problems)


async def test_refuses_a_target_not_marked_sandbox() -> None:
    with pytest.raises(NotSandboxError, match="deletes data"):
        await clean(from_url(BASE))


def test_delete_order_breaks_reference_cycles() -> None:
    found = {("A", "1"): {"x": {"reference": "B/2"}}, ("B", "2"): {"x": {"reference": "A/1"}},
             ("Subscription", "9"): {}}
    order = delete_order(found)
    assert order[0] == ("Subscription", "9") and sorted(order[1:]) == [("A", "1"), ("B", "2")]


def test_ledger_keeps_what_a_killed_run_created_until_deleted(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "created")
    ledger.created("r1", "http://api.test/api/appointments/apt-5", "POST /appointments", True)
    ledger.created("r1", "http://api.test/api/appointments/apt-6", "POST /appointments", True)
    ledger.deleted("r1", "http://api.test/api/appointments/apt-5")
    with open(tmp_path / "created" / "r1.jsonl", "a") as out:
        out.write('{"op": "created", "url": ')  # a line cut short by SIGKILL
    assert [e["url"] for e in ledger.pending()["r1"]] == ["http://api.test/api/appointments/apt-6"]
    ledger.settle("r1")
    assert (tmp_path / "created" / "r1.jsonl").exists()
    ledger.deleted("r1", "http://api.test/api/appointments/apt-6")
    ledger.settle("r1")
    assert not (tmp_path / "created" / "r1.jsonl").exists()
