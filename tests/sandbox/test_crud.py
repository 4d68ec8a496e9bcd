"""The sandbox's instance interactions behave as R4 http.html says (the reference the suite trusts)."""

from __future__ import annotations

from conformance.sandbox.fhir.responses import FHIR_JSON
from tests.sandbox.conftest import create, observation, patient, sandbox


async def test_create_read_vread_update_history_delete() -> None:
    async with sandbox() as client:
        response = await client.post("Patient", json=patient())
        assert response.status_code == 201
        body = response.json()
        rid = body["id"]
        assert response.headers["location"] == f"http://sandbox.test/fhir/Patient/{rid}/_history/1"
        assert response.headers["etag"] == 'W/"1"'
        assert body["meta"]["versionId"] == "1" and body["meta"]["lastUpdated"].endswith("Z")
        assert "last-modified" in response.headers

        read = await client.get(f"Patient/{rid}")
        assert read.status_code == 200
        assert read.headers["content-type"] == "application/fhir+json; charset=utf-8"
        assert read.json()["identifier"] == patient()["identifier"]

        changed = {**read.json(), "gender": "other"}
        update = await client.put(f"Patient/{rid}", json=changed)
        assert update.status_code == 200
        assert update.json()["meta"]["versionId"] == "2" and update.headers["etag"] == 'W/"2"'
        assert (await client.get(f"Patient/{rid}")).json()["gender"] == "other"

        v1 = await client.get(f"Patient/{rid}/_history/1")
        assert v1.status_code == 200 and v1.json()["gender"] == "female" and v1.headers["etag"] == 'W/"1"'
        missing = await client.get(f"Patient/{rid}/_history/9")
        assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"

        history = (await client.get(f"Patient/{rid}/_history")).json()
        assert history["type"] == "history"
        assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]

        deleted = await client.delete(f"Patient/{rid}")
        assert deleted.status_code in (200, 204)
        gone = await client.get(f"Patient/{rid}")
        assert gone.status_code == 410 and gone.json()["resourceType"] == "OperationOutcome"
        after = (await client.get(f"Patient/{rid}/_history")).json()
        assert [e["request"]["method"] for e in after["entry"]] == ["DELETE", "PUT", "POST"]
        assert after == (await client.get(f"Patient/{rid}/_history")).json()  # stable across calls


async def test_ids_are_sequential_so_runs_are_reproducible() -> None:
    async with sandbox() as client:
        first = await create(client, patient())
        second = await create(client, observation(f"Patient/{first['id']}"))
        assert (first["id"], second["id"]) == ("1", "2")


async def test_prefer_return_minimal_has_no_body() -> None:
    async with sandbox() as client:
        response = await client.post("Patient", json=patient(), headers={"Prefer": "return=minimal"})
        assert response.status_code == 201 and response.content == b""
        assert response.headers["location"].endswith("/_history/1")


async def test_conditional_create() -> None:
    async with sandbox() as client:
        existing = await create(client, patient())
        header = {"If-None-Exist": "identifier=urn:oid:1.2.3|p-1"}
        again = await client.post("Patient", json=patient(), headers=header)
        assert again.status_code == 200 and again.json()["id"] == existing["id"]
        fresh = await client.post("Patient", json=patient(), headers={"If-None-Exist": "identifier=urn:x|none"})
        assert fresh.status_code == 201
        await create(client, patient())
        await create(client, patient())
        ambiguous = await client.post("Patient", json=patient(), headers=header)
        assert ambiguous.status_code == 412


async def test_if_match_and_id_mismatch() -> None:
    async with sandbox() as client:
        rid = (await create(client, patient()))["id"]
        body = {**patient(), "id": rid, "gender": "male"}
        stale = await client.put(f"Patient/{rid}", json=body, headers={"If-Match": 'W/"0"'})
        assert stale.status_code == 412 and stale.json()["resourceType"] == "OperationOutcome"
        assert (await client.get(f"Patient/{rid}")).json()["gender"] == "female"
        current = await client.put(f"Patient/{rid}", json=body, headers={"If-Match": 'W/"1"'})
        assert current.status_code == 200
        wrong = await client.put(f"Patient/{rid}", json={**body, "id": "other"})
        assert wrong.status_code == 400


async def test_errors_are_operation_outcomes() -> None:
    async with sandbox() as client:
        cases = [
            (await client.get("Patient/12345"), 404),
            (await client.get("NotARealType/1"), 404),
            (await client.get("NotARealType"), 404),
            (await client.post("Patient", content=b"{not json", headers={"Content-Type": FHIR_JSON}), 400),
            (await client.post("Patient", json=observation("Patient/1")), 400),
            (await client.post("Patient", json=patient(birthDate="1980-02-30")), 400),
            (await client.post("Patient", json=patient(favouriteColour="blue")), 400),
            (await client.post("Patient", json=patient(name={"family": "x"})), 400),
            (await client.post("Patient", json=patient(active="yes")), 400),
            (await client.get("metadata", headers={"Accept": "application/fhir+xml"}), 406),
        ]
        for response, status in cases:
            assert response.status_code == status, (response.request.url, response.text)
            assert response.json()["resourceType"] == "OperationOutcome"
        search = await client.get("Patient?identifier=urn:oid:1.2.3|p-1")
        assert search.json()["total"] == 0  # nothing invalid was stored


async def test_valid_fixtures_of_other_types_are_accepted() -> None:
    async with sandbox() as client:
        condition = {"resourceType": "Condition", "subject": {"reference": "Patient/1"},
                     "onsetDateTime": "2020-01-02", "recordedDate": "2020-01-03T04:05:06+01:00",
                     "clinicalStatus": {"coding": [{"code": "active"}]}, "_recordedDate": {"extension": []}}
        response = await client.post("Condition", json=condition)
        assert response.status_code == 201, response.text
