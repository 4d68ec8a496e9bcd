"""The sandbox's profile faults (conformance/sandbox/profile_faults.py) change what it stores and returns,
and its CapabilityStatement claims its own profiles.

Each probe looks at what the sandbox returns, not at the validator: it must see nothing wrong on the
clean sandbox and the fault's change with the fault on. The fault matrix then proves the fhir-profiles
checks fail on each.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from conformance.sandbox.faults import FAULTS
from conformance.sandbox.fhir.profiles import NHS_NUMBER, SUPPORTED
from tests.sandbox.conftest import create, observation, patient, sandbox

Probe = Callable[[httpx.AsyncClient], Awaitable[bool]]


def nhs_patient() -> dict[str, Any]:
    return patient(identifier=[{"system": NHS_NUMBER, "value": "9000000009"}])


async def _read_back(client: httpx.AsyncClient, resource: dict[str, Any]) -> dict[str, Any]:
    created = await create(client, resource)
    body: dict[str, Any] = (await client.get(f"{resource['resourceType']}/{created['id']}")).json()
    return body


async def _patient(client: httpx.AsyncClient) -> dict[str, Any]:
    return await _read_back(client, nhs_patient())


async def _observation(client: httpx.AsyncClient) -> dict[str, Any]:
    quantity = {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}
    return await _read_back(client, observation("Patient/1", valueQuantity=quantity))


async def _searched(client: httpx.AsyncClient) -> bool:
    await create(client, nhs_patient())
    return (await client.get("Patient")).json().get("entry", []) == []


PROBES: dict[str, Probe] = {
    "profiles-gender-internal-code": lambda c: _changed(_patient(c), lambda r: r.get("gender") == "F"),
    "profiles-birthdate-local-format": lambda c: _changed(_patient(c), lambda r: r.get("birthDate") == "04/03/1980"),
    "profiles-vendor-element": lambda c: _changed(_observation(c), lambda r: "legacyId" in r),
    "profiles-nhs-number-local-system": lambda c: _changed(
        _patient(c), lambda r: all(i.get("system") != NHS_NUMBER for i in r.get("identifier", []))),
    "profiles-birthdate-not-stored": lambda c: _changed(_patient(c), lambda r: "birthDate" not in r),
    "profiles-unit-code-without-system": lambda c: _changed(
        _observation(c), lambda r: "system" not in r["valueQuantity"] and r["valueQuantity"]["code"] == "/min"),
    "profiles-attachment-size-stale": lambda c: _changed(
        _patient(c), lambda r: any(p.get("size") == 2048 for p in r.get("photo", []))),
    "profiles-search-empty": _searched,
}


async def _changed(read: Awaitable[dict[str, Any]], test: Callable[[dict[str, Any]], bool]) -> bool:
    return test(await read)


def test_every_profile_fault_is_probed() -> None:
    assert sorted(PROBES) == sorted(n for n in FAULTS if n.startswith("profiles-"))


@pytest.mark.parametrize("name", sorted(PROBES))
async def test_profile_fault_changes_what_it_claims(name: str) -> None:
    async with sandbox() as client:
        assert await PROBES[name](client) is False, f"{name}: visible on the clean sandbox"
    async with sandbox(name) as client:
        assert await PROBES[name](client) is True, f"{name}: not visible with the fault on"


async def test_capability_statement_claims_the_sandbox_profiles() -> None:
    async with sandbox() as client:
        statement = (await client.get("metadata")).json()
    claimed = {r["type"]: r.get("supportedProfile") for r in statement["rest"][0]["resource"]}
    assert {t: claimed[t] for t in SUPPORTED} == SUPPORTED
    assert claimed["Practitioner"] is None
