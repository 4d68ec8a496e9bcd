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

from conformance.model import Status
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


LACKS: dict[str, Callable[[Target], None]] = {
    "unknown-profile": unknown_profile, "no-settings": no_settings, "tiny-body-limit": tiny_body_limit,
    "tiny-document-limit": tiny_document_limit}


@pytest.mark.parametrize("lack", list(LACKS))
async def test_a_harness_side_lack_never_fails_a_correct_system(
        lack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "empty-cache"))
    result = await run_against_sandbox(configure=LACKS[lack])
    assert {r.suite for r in result.results} == set(load_suites().suites), "every suite must be judged"
    failed = {r.id: r.message for r in result.results if r.status is Status.FAIL}
    assert not failed, f"{lack}: a harness-side lack blamed the correct sandbox: {failed}"
    unexplained = [r.id for r in result.results if r.status in (Status.SKIP, Status.ERROR)
                   and (len(r.message.split()) < 4 or PYTHON_EXCEPTION.search(r.message))]
    assert not unexplained, f"{lack}: skips/errors without a sentence saying what is missing: {unexplained}"
    assert any(r.status is not Status.PASS for r in result.results), f"{lack}: the lack was never felt"


async def test_the_unknown_profile_is_named_with_how_to_add_it(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "empty-cache"))
    result = await run_against_sandbox(suites=["fhir-profiles"], configure=unknown_profile)
    claimed = next(r for r in result.results if r.id == "fhir-profiles.claimed.valid")
    assert claimed.status is Status.SKIP
    assert "NotLoaded" in claimed.message and "claims.packages" in claimed.message
