"""Helpers for sandbox tests: an in-memory client (ASGI transport, no sockets) and fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app

TAG = {"system": "https://conformance.example/tag", "code": "run-test"}
TAG_QUERY = "_tag=https://conformance.example/tag|run-test"


@asynccontextmanager
async def sandbox(*faults: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(parse_faults(list(faults)))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test/fhir/") as client:
        yield client


def patient(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "meta": {"tag": [TAG]},
        "identifier": [{"system": "urn:oid:1.2.3", "value": "p-1"}],
        "name": [{"family": "Zoë", "given": ["Anna", "Maria"]}],
        "gender": "female",
        "birthDate": "1980-03-04",
        "address": [{"city": "Leeds", "postalCode": "LS1 4AP"}],
        **extra,
    }


def observation(subject: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "meta": {"tag": [TAG]},
        "identifier": [{"system": "urn:oid:1.2.4", "value": "o-1"}],
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": subject},
        "effectiveDateTime": "2021-05-06T10:30:00Z",
        "valueQuantity": {"value": 72, "unit": "/min"},
        **extra,
    }


async def create(client: httpx.AsyncClient, resource: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(resource["resourceType"], json=resource)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", [])
            if e["search"]["mode"] == mode]
