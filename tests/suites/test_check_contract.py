"""The check contract (docs/check-contract.md), enforced over every suite: a check fails only when the
harness observed the system misbehave. Against the correct sandbox, a harness that lacks something
(a claimed profile's definition, its settings, room to read a body) may only end checks ``skip`` or
``error``, each with a sentence saying what is missing, never ``fail``, never a Python exception name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.maturity.compare import compare, load_requirements
from conformance.maturity.records import Outcome, RunOutcomes, SystemRef
from conformance.maturity.rules import Scoring
from conformance.model import RunResult, Status
from conformance.runner import load_suites
from conformance.targets import Target, from_url
from tests.integration.conftest import SANDBOX_URL, run_against_sandbox

PYTHON_EXCEPTION = re.compile(r"^[A-Z][A-Za-z]*(Error|Exception)\b|Traceback|\bobject has no attribute\b")


def unknown_profile(target: Target) -> None:
    target.profiles = ["https://example.org/fhir/StructureDefinition/NotLoaded"]


def no_settings(target: Target) -> None:
    """A bare FHIR URL's target: no [realtime], [api], [oauth], [hl7v2], no MLLP or OpenAPI endpoints."""
    blank = from_url(SANDBOX_URL, sandbox=True)
    target.realtime, target.api, target.oauth, target.hl7v2 = blank.realtime, blank.api, blank.oauth, blank.hl7v2
    for key in ("mllp", "openapi", "api"):
        target.endpoints.pop(key, None)


def tiny_body_limit(target: Target) -> None:
    target.http = target.http.model_copy(update={"max_body_bytes": 300})


def tiny_document_limit(target: Target) -> None:
    target.api = target.api.model_copy(update={"max_document_bytes": 100})


def unknown_topic_setting(target: Target) -> None:
    """A [realtime] topic the server does not declare: the target file's mistake, not the server's."""
    target.realtime.topic = "https://conformance.example/SubscriptionTopic/not-on-this-server"


def filter_the_topic_does_not_allow(target: Target) -> None:
    target.realtime.filter = "Patient?family={tag}"  # the sandbox's topic lets subscribers filter by _tag, identifier


LACKS: dict[str, Callable[[Target], None]] = {
    "unknown-profile": unknown_profile, "no-settings": no_settings, "tiny-body-limit": tiny_body_limit,
    "tiny-document-limit": tiny_document_limit, "unknown-topic-setting": unknown_topic_setting,
    "filter-the-topic-does-not-allow": filter_the_topic_does_not_allow}


def not_judged_never_counts(result: RunResult) -> None:
    """What a lack left skip/error counts against nobody: the shipped comparison and scoring leave it out."""
    outcomes = [Outcome(r.id, r.status.value, r.required) for r in result.results]
    run = RunOutcomes("lack", "RXX01", SystemRef("V", "P", "1"), "2026-11-01T00:00:00Z", True, outcomes)
    unjudged = {o.check_id for o in outcomes if o.status in ("skip", "error")}
    for cell in compare([run], load_requirements()).columns[0].cells.values():
        assert not unjudged & set(cell.failed), f"a skip/error counted as failed: {unjudged & set(cell.failed)}"
        if not cell.passed and not cell.failed:
            assert cell.verdict == "not tested", cell
    assert not {"skip", "error"} & Scoring().counted(), "the default scoring must not count skip/error as run"


@pytest.mark.parametrize("lack", list(LACKS))
async def test_a_harness_side_lack_never_fails_a_correct_system(
        lack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "empty-cache"))
    result = await run_against_sandbox(configure=LACKS[lack])
    registry = load_suites()
    assert {r.suite for r in result.results} == set(registry.suites), "every suite must be judged"
    missing = sorted({c.id for c in registry.all_checks()} - {r.id for r in result.results})
    assert not missing, f"{lack}: registered checks with no outcome, so the contract was not tested on them: {missing}"
    failed = {r.id: r.message for r in result.results if r.status is Status.FAIL}
    assert not failed, f"{lack}: a harness-side lack blamed the correct sandbox: {failed}"
    unexplained = [r.id for r in result.results if r.status in (Status.SKIP, Status.ERROR)
                   and (len(r.message.split()) < 4 or PYTHON_EXCEPTION.search(r.message))]
    assert not unexplained, f"{lack}: skips/errors without a sentence saying what is missing: {unexplained}"
    assert any(r.status is not Status.PASS for r in result.results), f"{lack}: the lack was never felt"
    not_judged_never_counts(result)


async def test_the_unknown_profile_is_named_with_how_to_add_it(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "empty-cache"))
    result = await run_against_sandbox(suites=["fhir-profiles"], configure=unknown_profile)
    claimed = next(r for r in result.results if r.id == "fhir-profiles.claimed.valid")
    assert claimed.status is Status.SKIP
    assert "NotLoaded" in claimed.message and "claims.packages" in claimed.message
