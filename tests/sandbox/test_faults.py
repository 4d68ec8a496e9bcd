"""Fault switches: parsing, and each fault changes exactly the behaviour it claims.

Every probe below answers "is the fault visible?"; it must say no on the clean sandbox and yes with
the fault on, so a fault that silently does nothing (or a probe that cannot tell) fails here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from conformance.gs1.fhir import GTIN_SYSTEM
from conformance.runner import load_suites
from conformance.sandbox.faults import FAULTS, TYPES, Fault, parse_faults
from suites.gs1 import context as gs1
from tests.sandbox.conftest import TAG_QUERY, create, ids, observation, patient, sandbox

Probe = Callable[[httpx.AsyncClient], Awaitable[bool]]


async def _metadata(client: httpx.AsyncClient) -> dict[str, object]:
    body: dict[str, object] = (await client.get("metadata")).json()
    return body


async def _created(client: httpx.AsyncClient) -> str:
    return str((await create(client, patient()))["id"])


async def _update(client: httpx.AsyncClient) -> httpx.Response:
    rid = await _created(client)
    return await client.put(f"Patient/{rid}", json={**patient(), "id": rid, "gender": "male"})


async def _search(client: httpx.AsyncClient, query: str) -> list[str]:
    return ids((await client.get(query)).json())


async def _includes(client: httpx.AsyncClient, rev: bool) -> list[str]:
    pid = await _created(client)
    obs = (await create(client, observation(f"Patient/{pid}")))["id"]
    query = f"Patient?_id={pid}&_revinclude=Observation:subject" if rev else \
        f"Observation?_id={obs}&_include=Observation:subject"
    return ids((await client.get(query)).json(), "include")


async def _next_page(client: httpx.AsyncClient) -> httpx.Response:
    for _ in range(3):
        await _created(client)
    first = (await client.get(f"Patient?{TAG_QUERY}&_count=2")).json()
    return await client.get({link["relation"]: link["url"] for link in first["link"]}["next"])


async def _post_status(client: httpx.AsyncClient, rtype: str = "Patient", **headers: str) -> int:
    body = patient() if rtype == "Patient" else observation("Patient/1")
    return (await client.post(rtype, json=body, headers=headers)).status_code


async def _conditional(client: httpx.AsyncClient) -> bool:
    await _created(client)
    await _post_status(client, **{"If-None-Exist": "identifier=urn:oid:1.2.3|p-1"})
    return len(await _search(client, "Patient?identifier=urn:oid:1.2.3|p-1")) > 1


async def _stale_if_match(client: httpx.AsyncClient) -> bool:
    rid = await _created(client)
    body = {**patient(), "id": rid, "gender": "male"}
    return (await client.put(f"Patient/{rid}", json=body, headers={"If-Match": 'W/"7"'})).status_code == 200


async def _delete(client: httpx.AsyncClient) -> bool:
    rid = await _created(client)
    await client.delete(f"Patient/{rid}")
    return (await client.get(f"Patient/{rid}")).status_code == 200


async def _history_order(client: httpx.AsyncClient) -> bool:
    rid = (await _update(client)).json()["id"]
    entries = (await client.get(f"Patient/{rid}/_history")).json()["entry"]
    return bool(entries[0]["resource"]["meta"]["versionId"] == "1")


async def _vread_unknown(client: httpx.AsyncClient) -> bool:
    rid = await _created(client)
    return (await client.get(f"Patient/{rid}/_history/42")).status_code == 200


async def _read_header(client: httpx.AsyncClient, name: str) -> str | None:
    rid = await _created(client)
    return (await client.get(f"Patient/{rid}")).headers.get(name)


async def _read_identifier(client: httpx.AsyncClient) -> bool:
    rid = await _created(client)
    return "identifier" not in (await client.get(f"Patient/{rid}")).json()


async def _unknown_id_not_outcome(client: httpx.AsyncClient) -> bool:
    response = await client.get("Patient/999")
    return "html" in response.headers["content-type"]


async def _gs1_changed(client: httpx.AsyncClient, build: Callable[[], dict[str, object]],
                       get: Callable[[dict[str, object]], object]) -> bool:
    """Write the gs1 suite's resource and read it back: did the GS1 datum ``get`` selects change?"""
    sent = build()
    rid = (await create(client, sent))["id"]
    back: dict[str, object] = (await client.get(f"{sent['resourceType']}/{rid}")).json()
    return get(back) != get(sent)


def _path(*keys: str | int) -> Callable[[dict[str, object]], object]:
    def get(resource: dict[str, object]) -> object:
        value: object = resource
        for key in keys:
            if isinstance(value, dict):
                value = value.get(key)
            elif isinstance(value, list) and isinstance(key, int) and key < len(value):
                value = value[key]
            else:
                return None
        return value
    return get


async def _gs1_rejected(client: httpx.AsyncClient) -> bool:
    return (await client.post("Medication", json=gs1.medication())).status_code == 422


async def _holds_gs1(client: httpx.AsyncClient) -> bool:
    return bool(await _search(client, f"Medication?code={GTIN_SYSTEM}|"))


# "<fault> (<what>)" probes must stay invisible with the fault on: a fault breaks only what it claims.
PROBES: dict[str, Probe] = {
    "metadata-not-capabilitystatement":
        lambda c: _eq(_metadata(c), "resourceType", "Conformance"),
    "metadata-fhir-version-3": lambda c: _eq(_metadata(c), "fhirVersion", "3.0.2"),
    "metadata-no-json-format": lambda c: _eq(_metadata(c), "format", ["xml"]),
    "metadata-client-mode": lambda c: _rest(c, lambda rest: rest["mode"] == "client"),
    "metadata-unknown-resource-type":
        lambda c: _rest(c, lambda rest: "Patients" in [r["type"] for r in rest["resource"]]),
    "create-no-location": lambda c: _posted_header(c, "location"),
    "create-headers-bare": lambda c: _bare_headers(c),
    "self-link-names-ignored": lambda c: _self_link_names(c, "zz-unknown=1"),
    "create-201-no-id": lambda c: _no_id(c, "Observation"),
    "create-201-no-id (directory)": lambda c: _no_id(c, "Patient"),
    "create-headers-bare (clinical)": lambda c: _bare_headers(c, "Observation"),
    "metadata-profile-reference":
        lambda c: _rest(c, lambda rest: rest["resource"][0]["profile"] == {
            "reference": "http://hl7.org/fhir/StructureDefinition/Patient"}),
    "create-200-not-201 (clinical)": lambda c: _is(_post_status(c, "Observation"), 200),
    "create-no-location (directory)": lambda c: _posted_header(c, "location", "Patient"),
    "create-200-not-201": lambda c: _is(_post_status(c), 200),
    "etag-missing": lambda c: _is(_read_header(c, "etag"), None),
    "read-drops-identifier": _read_identifier,
    "update-keeps-version": lambda c: _is(_update(c), 'W/"1"', lambda r: r.headers["etag"]),
    "vread-ignores-version": _vread_unknown,
    "history-oldest-first": _history_order,
    "delete-then-200": _delete,
    "conditional-create-duplicates": _conditional,
    "if-match-ignored": _stale_if_match,
    "search-string-ignored": lambda c: _found(c, "Patient?family=nomatch"),
    "search-token-ignores-system": lambda c: _found(c, "Patient?identifier=urn:wrong|p-1"),
    "search-date-prefix-ignored": lambda c: _found(c, "Patient?birthdate=gt1980-03-04"),
    "search-reference-ignored": lambda c: _found(c, "Patient?general-practitioner=Practitioner/7"),
    "search-ignores-count": lambda c: _count_ignored(c),
    "paging-broken-next-link": lambda c: _is(_next_page(c), 404, lambda r: r.status_code),
    "include-ignored": lambda c: _is(_includes(c, rev=False), []),
    "revinclude-ignored": lambda c: _is(_includes(c, rev=True), []),
    "unknown-param-500": lambda c: _is(c.get("Patient?not-a-param=1"), 500, lambda r: r.status_code),
    "content-type-json": lambda c: _is(_read_header(c, "content-type"), "application/json; charset=utf-8"),
    "format-param-ignored": lambda c: _is(
        c.get("metadata?_format=json", headers={"Accept": "application/fhir+xml"}), 406, lambda r: r.status_code),
    "xml-declared-not-served": lambda c: _rest_format_xml(c),
    "not-found-no-outcome": _unknown_id_not_outcome,
    "accepts-invalid-resource": lambda c: _is(c.post("Patient", json=patient(birthDate="1980-13-45")), 201,
                                              lambda r: r.status_code),
    "unknown-type-200": lambda c: _is(c.get("NotARealType/1"), 200, lambda r: r.status_code),
    "accepts-invalid-code": lambda c: _is(c.post("Patient", json=patient(gender="banana")), 201,
                                          lambda r: r.status_code),
    "searchset-no-self-link": lambda c: _is(c.get("Patient?_count=1"), [],
                                            lambda r: [k for k in r.json().get("link", []) if k["relation"] == "self"]),
    "accepts-wrong-type-body": lambda c: _is(c.post("Patient", json=observation("Patient/1")), 201,
                                             lambda r: r.status_code),
    "gs1-gtin-leading-zero-dropped": lambda c: _gs1_changed(c, gs1.medication, _path("code", "coding", 0, "code")),
    "gs1-gtin-leading-zero-dropped (fhir-rest patient)": lambda c: _gs1_changed(c, patient, _path("identifier")),
    "gs1-serial-truncated": lambda c: _gs1_changed(c, gs1.device, _path("serialNumber")),
    "gs1-expiry-shifted": lambda c: _gs1_changed(c, gs1.medication, _path("batch", "expirationDate")),
    "gs1-batch-dropped": lambda c: _gs1_changed(c, gs1.device, _path("lotNumber")),
    "gs1-hrf-brackets-stripped": lambda c: _gs1_changed(c, gs1.device, _path("udiCarrier", 0, "carrierHRF")),
    "gs1-gln-check-digit-recomputed-wrong": lambda c: _gs1_changed(c, gs1.location, _path("identifier")),
    "gs1-gsrn-float-precision": lambda c: _gs1_changed(c, gs1.patient, _path("identifier")),
    "gs1-system-rejected": _gs1_rejected,
    "gs1-system-rejected (fhir-rest patient)": lambda c: _is(_post_status(c), 422),
    "gs1-holds-invalid-gtin": _holds_gs1,
}


async def _eq(statement: Awaitable[dict[str, object]], key: str, value: object) -> bool:
    return (await statement)[key] == value


async def _rest(client: httpx.AsyncClient, test: Callable[[dict[str, object]], bool]) -> bool:
    rest = (await _metadata(client))["rest"]
    assert isinstance(rest, list)
    return test(rest[0])


async def _rest_format_xml(client: httpx.AsyncClient) -> bool:
    fmt = (await _metadata(client))["format"]
    served = (await client.get("metadata", headers={"Accept": "application/fhir+xml"})).status_code == 200
    return isinstance(fmt, list) and "xml" in fmt and not served


async def _posted_header(client: httpx.AsyncClient, name: str, rtype: str = "Observation") -> bool:
    body = patient() if rtype == "Patient" else observation("Patient/1")
    return name not in (await client.post(rtype, json=body)).headers


async def _bare_headers(client: httpx.AsyncClient, rtype: str = "Patient") -> bool:
    body = patient() if rtype == "Patient" else observation("Patient/1")
    headers = (await client.post(rtype, json=body)).headers
    return headers.get("location", "").startswith(f"fhir/{rtype}/") and not headers.get("etag", "").startswith("W/")


async def _self_link_names(client: httpx.AsyncClient, query: str) -> bool:
    """Whether the searchset's self link names the parameter of ``query``."""
    bundle = (await client.get(f"Patient?{query}")).json()
    selves = [x["url"] for x in bundle.get("link", []) if x.get("relation") == "self"]
    return any(query.split("=")[0] in u for u in selves)


async def _no_id(client: httpx.AsyncClient, rtype: str) -> bool:
    body = patient() if rtype == "Patient" else observation("Patient/1")
    answer = await client.post(rtype, json=body)
    return answer.status_code == 201 and "location" not in answer.headers and not answer.content.strip()


async def _found(client: httpx.AsyncClient, query: str) -> bool:
    await create(client, patient(generalPractitioner=[{"reference": "Practitioner/5"}]))
    return bool(await _search(client, query))


async def _count_ignored(client: httpx.AsyncClient) -> bool:
    for _ in range(3):
        await _created(client)
    return len(await _search(client, "Patient?_count=2")) == 3


async def _is(awaitable: Awaitable[object], expected: object,
              get: Callable[[httpx.Response], object] | None = None) -> bool:
    value = await awaitable
    if get is not None:
        assert isinstance(value, httpx.Response)
        value = get(value)
    return value == expected


def test_every_fault_has_a_probe() -> None:
    """The FHIR REST and GS1 faults are probed here; the others next to their own sandboxes
    (tests/sandbox/test_hl7v2_sandbox.py, test_profile_faults.py, tests/realtime/, tests/openapi/, tests/security/)."""
    probed_here = {n for n, f in FAULTS.items() if any(c.startswith(("fhir-rest.", "gs1.")) for c in f.checks)}
    assert sorted(n for n in PROBES if " " not in n) == sorted(probed_here)


@pytest.mark.parametrize("name", sorted(PROBES))
async def test_fault_changes_what_it_claims(name: str) -> None:
    fault, _, untouched = name.partition(" ")
    async with sandbox() as client:
        assert await PROBES[name](client) is False, f"{name}: visible on the clean sandbox"
    async with sandbox(fault) as client:
        assert await PROBES[name](client) is not bool(untouched), f"{name}: wrong with the fault on"


def test_faults_name_real_checks() -> None:
    crud = ("create", "create-headers", "read", "vread", "update", "history", "delete")
    per_type = {f"fhir-rest.{group}.{t.lower()}.{kind}" for t in TYPES
                for group, kinds in (("crud", crud),
                                     ("search", ("string", "token", "date", "reference")))
                for kind in kinds}
    fixed = {"fhir-rest.capability.metadata", "fhir-rest.capability.valid", "fhir-rest.capability.fhir-version",
             "fhir-rest.capability.formats",
             "fhir-rest.capability.rest-server", "fhir-rest.crud.conditional-create", "fhir-rest.crud.if-match",
             "fhir-rest.search.paging", "fhir-rest.search.include", "fhir-rest.search.revinclude",
             "fhir-rest.search.unknown-param", "fhir-rest.format.accept-json", "fhir-rest.format.param-json",
             "fhir-rest.format.xml", "fhir-rest.errors.not-found", "fhir-rest.errors.invalid-resource",
             "fhir-rest.errors.unknown-type", "fhir-rest.errors.wrong-type-body", "fhir-rest.errors.invalid-code",
             "fhir-rest.search.self-link"}
    suites = load_suites().suites
    other = {c for sid, spec in suites.items() if sid != "fhir-rest" for c in spec.checks}
    for fault in FAULTS.values():
        assert isinstance(fault, Fault) and fault.checks, fault.name
        assert set(fault.checks) <= per_type | fixed | other, fault.name
    assert fixed <= {c for f in FAULTS.values() for c in f.checks}


def test_parse_faults() -> None:
    faults = parse_faults(["etag-missing", " include-ignored "])
    assert faults.on("etag-missing") and faults.on("include-ignored") and not faults.on("create-no-location")
    assert faults.value("etag-missing") is None and faults.names() == ["etag-missing", "include-ignored"]
    with pytest.raises(ValueError, match="unknown fault 'nope' \\(known: accepts-invalid-code, "):
        parse_faults(["nope"])
    with pytest.raises(ValueError, match="takes no value"):
        parse_faults(["etag-missing=3"])
    with pytest.raises(KeyError):
        faults.on("not-a-fault")
