"""Nothing is left on a sandbox after a run, and everything a suite writes carries the run's tag.

The sandbox's own state is read directly (its FHIR store, endpoint B's Subscriptions, the booking API's
appointments and the run marker each booking arrived with), never through the harness.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhir.tags import harness_tags
from conformance.model import Status
from conformance.sandbox.api.app import SEED
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from tests.integration.conftest import run_against_sandbox

RUN_TAG = "run-test-run"  # run_against_sandbox's run id is "test-run"


def written(app: Any, before: set[tuple[str, str]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every resource the run created in the FHIR store: its versions' bodies (deletes left out)."""
    store = app.state.sandbox.store
    return {key: [v.resource for v in history if v.resource is not None]
            for key, history in store.versions.items() if key not in before}


def live_harness_resources(app: Any) -> list[str]:
    store = app.state.sandbox.store
    live = [f"{k[0]}/{k[1]}" for k, h in store.versions.items() if h[-1].resource is not None
            and harness_tags(h[-1].resource)]
    subs = [f"Subscription/{sid}" for sid in app.state.realtime.subs]
    return live + subs


def harness_bookings(app: Any) -> list[str]:
    return sorted(app.state.api.marks)


@pytest.mark.parametrize(("suite", "faults"), [
    ("fhir-rest", []), ("fhir-profiles", []), ("gs1", []), ("realtime", []), ("openapi", []),
    # security writes only when the target wrongly lets a read-only token write: then it must clean up too
    ("security", ["oauth-scopes-ignored"]),
])
async def test_each_suite_tags_what_it_writes_and_leaves_nothing(suite: str, faults: list[str]) -> None:
    app = create_app(parse_faults(faults))
    before = set(app.state.sandbox.store.versions)
    seen_subs: list[dict[str, Any]] = []
    original_add = app.state.realtime.add

    def spy(resource: dict[str, Any], base: str) -> Any:
        sub = original_add(resource, base)
        seen_subs.append(sub.resource)
        return sub

    app.state.realtime.add = spy
    result = await run_against_sandbox(faults=faults, suites=[suite], app=app)
    assert not [r.id for r in result.results if r.status is Status.ERROR]
    made = written(app, before)
    if suite == "openapi":
        assert app.state.api.booked > len(SEED), "the generated cases booked nothing: nothing was tested"
    else:
        assert made or seen_subs, f"{suite} wrote nothing to the sandbox: nothing was tested"
    untagged = [f"{k[0]}/{k[1]}" for k, bodies in made.items() if any(RUN_TAG not in harness_tags(b) for b in bodies)]
    untagged += [f"Subscription/{s['id']}" for s in seen_subs if RUN_TAG not in harness_tags(s)]
    assert not untagged, f"{suite} wrote without the run tag: {untagged[:5]}"
    assert live_harness_resources(app) == [], f"{suite} left {live_harness_resources(app)[:5]}"
    assert [k for k, h in app.state.sandbox.store.versions.items() if k not in before and h[-1].resource] == []
    assert harness_bookings(app) == [] and sorted(app.state.api.appointments) == sorted(a["id"] for a in SEED)


async def test_a_full_run_of_every_suite_leaves_nothing() -> None:
    from conformance.runner import load_suites

    app = create_app(parse_faults([]))
    before = set(app.state.sandbox.store.versions)
    result = await run_against_sandbox(suites=sorted(load_suites().suites), app=app)
    assert {r.suite for r in result.results if r.status is Status.PASS} >= {
        "fhir-rest", "fhir-profiles", "gs1", "realtime", "openapi", "security", "hl7v2-receiver", "hl7v2-sender"}
    assert len(written(app, before)) > 20  # the run wrote plenty...
    assert live_harness_resources(app) == []  # ...and nothing of it is left
    assert [k for k, h in app.state.sandbox.store.versions.items() if k not in before and h[-1].resource] == []
    assert app.state.api.booked > len(SEED) and harness_bookings(app) == []
    cases = next(r for r in result.results if r.id == "openapi.cases.server-errors")
    note = [e for e in cases.evidence if "generated cases created" in e.summary]
    assert note and note[0].kind == "derived" and "deleted again" in note[0].summary
