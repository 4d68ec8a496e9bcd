"""Search: every parameter type, modifiers, prefixes, paging, includes, unknown parameters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import TAG_QUERY, create, ids, observation, patient, sandbox


async def _bundle(client: httpx.AsyncClient, query: str, **kw: Any) -> dict[str, Any]:
    response = await client.get(query, **kw)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "Bundle" and body["type"] == "searchset"
    return body


@pytest.mark.parametrize(("query", "found"), [
    ("Patient?family=zoe", True),            # case and accent insensitive
    ("Patient?family=ZO", True),             # starts with
    ("Patient?family=oe", False),
    ("Patient?family:contains=OË", True),
    ("Patient?family:exact=Zoë", True),
    ("Patient?family:exact=zoë", False),
    ("Patient?name=maria", True),
    ("Patient?address-city=leeds", True),
    ("Patient?given=bob,ann", True),         # comma is OR
    ("Patient?identifier=p-1", True),
    ("Patient?identifier=urn:oid:1.2.3|p-1", True),
    ("Patient?identifier=urn:oid:9.9|p-1", False),
    ("Patient?identifier=urn:oid:1.2.3|", True),
    ("Patient?identifier=|p-1", False),      # |code means: no system
    ("Patient?gender=|female", True),
    ("Patient?gender:not=female", False),
    ("Patient?birthdate=1980-03-04", True),
    ("Patient?birthdate=1980", True),        # eq: the resource's range lies inside the value's
    ("Patient?birthdate=1980-03-04T10:00:00Z", False),
    ("Patient?birthdate=ge1980-03-04", True),
    ("Patient?birthdate=le1980-03-04", True),
    ("Patient?birthdate=gt1980-03-04", False),
    ("Patient?birthdate=lt1980-03-04", False),
    ("Patient?birthdate=gt1980-03-03", True),
    ("Patient?birthdate=sa1979", True),
    ("Patient?birthdate=eb1979", False),
    ("Patient?birthdate=ne1980-03-04", False),
    ("Patient?family=zoe&gender=male", False),  # AND across parameters
])
async def test_patient_search(query: str, found: bool) -> None:
    async with sandbox() as client:
        rid = (await create(client, patient()))["id"]
        await create(client, patient(name=[{"family": "Other"}], identifier=[{"value": "x"}], gender="male",
                                     birthDate="1950", address=[{"city": "York"}]))
        bundle = await _bundle(client, query)
        assert (f"Patient/{rid}" in ids(bundle)) is found
        assert all(e["fullUrl"].startswith("http://sandbox.test/fhir/Patient/") for e in bundle.get("entry", []))


async def test_reference_date_and_common_params() -> None:
    async with sandbox() as client:
        pid = (await create(client, patient()))["id"]
        other = (await create(client, patient()))["id"]
        obs = (await create(client, observation(f"Patient/{pid}")))["id"]
        expected = [f"Observation/{obs}"]
        for query in (f"Observation?subject=Patient/{pid}", f"Observation?patient={pid}",
                      f"Observation?subject=http://sandbox.test/fhir/Patient/{pid}",
                      f"Observation?subject:Patient={pid}", "Observation?date=2021-05-06",
                      "Observation?date=ge2021-05-06T10:30:00Z&date=le2021-05-06T10:30:00Z",
                      "Observation?code=http://loinc.org|8867-4", f"Observation?_id={obs}", f"Observation?{TAG_QUERY}",
                      "Observation?_lastUpdated=gt2000-01-01"):
            assert ids(await _bundle(client, query)) == expected, query
        for query in (f"Observation?subject=Patient/{other}", f"Observation?patient={other}",
                      "Observation?date=gt2021-05-06", "Observation?code=http://snomed.info/sct|8867-4",
                      "Observation?_lastUpdated=lt2000-01-01", "Observation?_tag=other|run-test"):
            assert ids(await _bundle(client, query)) == [], query
        bad = await client.get("Observation?date=yesterday")
        assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"


async def test_paging_reaches_all_without_repeats() -> None:
    async with sandbox() as client:
        created = [(await create(client, patient()))["id"] for _ in range(5)]
        bundle = await _bundle(client, f"Patient?{TAG_QUERY}&_count=2")
        seen: list[str] = []
        pages = 0
        while True:
            pages += 1
            assert bundle["total"] == 5 and len(bundle.get("entry", [])) <= 2
            seen += ids(bundle)
            links = {link["relation"]: link["url"] for link in bundle["link"]}
            if pages > 1:
                assert "previous" in links
            if "next" not in links:
                break
            bundle = await _bundle(client, links["next"])
        assert seen == [f"Patient/{i}" for i in created] and pages == 3
        again = await _bundle(client, links["self"])
        assert ids(again) == seen[-1:]


async def test_include_and_revinclude() -> None:
    async with sandbox() as client:
        pid = (await create(client, patient()))["id"]
        obs = (await create(client, observation(f"Patient/{pid}")))["id"]
        included = await _bundle(client, f"Observation?_id={obs}&_include=Observation:subject")
        assert ids(included) == [f"Observation/{obs}"] and ids(included, "include") == [f"Patient/{pid}"]
        assert included["total"] == 1
        rev = await _bundle(client, f"Patient?_id={pid}&_revinclude=Observation:subject")
        assert ids(rev) == [f"Patient/{pid}"] and ids(rev, "include") == [f"Observation/{obs}"]
        plain = await _bundle(client, f"Patient?_id={pid}")
        assert ids(plain, "include") == []


async def test_unknown_parameter_lenient_or_strict() -> None:
    async with sandbox() as client:
        await create(client, patient())
        plain = await _bundle(client, f"Patient?{TAG_QUERY}")
        lenient = await _bundle(client, f"Patient?{TAG_QUERY}&not-a-param=1")
        assert ids(lenient) == ids(plain) and len(ids(plain)) == 1
        assert "not-a-param" not in lenient["link"][0]["url"]
        strict = await client.get(f"Patient?{TAG_QUERY}&not-a-param=1", headers={"Prefer": "handling=strict"})
        assert strict.status_code == 400 and strict.json()["resourceType"] == "OperationOutcome"


async def test_post_search_and_format_negotiation() -> None:
    async with sandbox() as client:
        rid = (await create(client, patient()))["id"]
        posted = await client.post("Patient/_search", data={"family": "zoe"})
        assert posted.status_code == 200 and ids(posted.json()) == [f"Patient/{rid}"]
        for fmt in ("json", "application/fhir+json"):
            response = await client.get(f"Patient/{rid}?_format={fmt}", headers={"Accept": "application/fhir+xml"})
            assert response.status_code == 200 and response.json()["id"] == rid
            assert response.headers["content-type"].startswith("application/fhir+json")
        xml = await client.get(f"Patient/{rid}", headers={"Accept": "application/fhir+xml"})
        assert xml.status_code == 406
