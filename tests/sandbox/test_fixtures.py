"""The suite's own fixtures (fixtures/fhir/) against the clean sandbox: each is accepted, and every
declared search parameter that selects a value in it finds it, built the way the suite builds queries.

Also keeps the fault registry in step with the fixtures: a per-type search fault names exactly the
types whose fixture gives that kind of parameter something to match.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.fhir import searchparams as sp
from conformance.sandbox.faults import DATE_TYPES, DIRECTORY_TYPES, FAULTS, REFERENCE_TYPES, STRING_TYPES, TYPES
from conformance.sandbox.fhir.capability import params
from tests.sandbox.conftest import TAG, TAG_QUERY, ids, sandbox

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="fixtures/fhir not present")


def _fixture(rtype: str, refs: dict[str, str]) -> dict[str, Any]:
    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        match = re.fullmatch(r"\{([A-Z][A-Za-z]+)\}", value) if isinstance(value, str) else None
        return f"{match.group(1)}/{refs.get(match.group(1), '1')}" if match else value

    body: dict[str, Any] = fill(json.loads((FIXTURES / f"{rtype.lower()}.json").read_text()))
    body.setdefault("meta", {})["tag"] = [TAG]
    return body


def _kinds(rtype: str) -> set[str]:
    resource = _fixture(rtype, {})
    return {p.type for p in params(rtype) if not p.code.startswith("_") and sp.select(resource, p)}


def _query(param: sp.SearchParam, resource: dict[str, Any]) -> str | None:
    if param.type == "string":
        return sp.strings(resource, param)[0][:3]
    if param.type == "token":
        system, code = sp.tokens(resource, param)[0]
        return f"{system}|{code}" if system else code
    if param.type == "reference":
        return sp.references(resource, param)[0]
    value = sp.select(resource, param)[0]
    return f"ge{value['start']}" if isinstance(value, dict) else str(value)


def test_fault_type_lists_match_the_fixtures() -> None:
    assert STRING_TYPES == tuple(t for t in TYPES if "string" in _kinds(t))
    assert DATE_TYPES == tuple(t for t in TYPES if "date" in _kinds(t))
    assert REFERENCE_TYPES == tuple(t for t in TYPES if "reference" in _kinds(t))
    assert all("token" in _kinds(t) for t in TYPES)
    assert all(any(i.get("system") for i in _fixture(t, {}).get("identifier", [])) for t in TYPES)
    # (the fault also names gs1-bedside's identify checks, whose decoys share digits under another system)
    assert len([c for c in FAULTS["search-token-ignores-system"].checks if c.startswith("fhir-rest.")]) == len(TYPES)


async def test_every_fixture_is_stored_and_found_by_every_declared_param() -> None:
    async with sandbox() as client:
        refs: dict[str, str] = {}
        for rtype in ("Patient", "Practitioner", "Organization", "Location", "Encounter", *TYPES):
            if rtype in refs:
                continue
            created = await client.post(rtype, json=_fixture(rtype, refs))
            assert created.status_code == 201, (rtype, created.text)
            refs[rtype] = created.json()["id"]
        searched = 0
        for rtype in TYPES:
            stored = (await client.get(f"{rtype}/{refs[rtype]}")).json()
            for param in params(rtype):
                if not sp.select(stored, param):
                    continue
                value = _query(param, stored)
                response = await client.get(rtype, params={param.code: value, "_tag": TAG_QUERY[5:]})
                assert f"{rtype}/{refs[rtype]}" in ids(response.json()), (rtype, param.code, value)
                searched += 1
        assert searched >= 80  # every type's _id, _lastUpdated and _tag, plus the fixture's own values


async def test_fixture_search_misses_with_a_wrong_value() -> None:
    async with sandbox() as client:
        created = (await client.post("Patient", json=_fixture("Patient", {}))).json()
        for query in ({"family": "Nobody"}, {"identifier": "urn:wrong|" + created["identifier"][0]["value"]},
                      {"birthdate": "gt" + created["birthDate"]}):
            response = await client.get("Patient", params={**query, "_tag": TAG_QUERY[5:]})
            assert response.json()["total"] == 0, (query, response.json())


def test_fixtures_refer_only_to_directory_types() -> None:
    """The create faults split on this: a clinical create can fail without skipping anything else."""
    referenced = set(re.findall(r'"\{([A-Z][A-Za-z]+)\}"', "".join(
        (FIXTURES / f"{t.lower()}.json").read_text() for t in TYPES)))
    assert referenced and referenced <= set(DIRECTORY_TYPES)
