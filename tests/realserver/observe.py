#!/usr/bin/env python3
"""Re-checks the behaviour listed in NOTES.md against a fresh server.

Starts `node tests/realserver/server.js --port 0`, runs one request per fact,
prints PASS/FAIL per fact, stops the server, exits 1 if any fact no longer
holds (e.g. after a version bump). Standard library only.

    bash tests/realserver/install.sh && python3 tests/realserver/observe.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
FHIR_JSON = "application/fhir+json"
failures: list[str] = []
passes: list[str] = []


def start_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        ["node", str(HERE / "server.js"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"ready at (http://127\.0\.0\.1:\d+)", line)
    if not m:
        proc.kill()
        sys.exit(f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, m.group(1)


def call(base, method, path, body=None, headers=None, raw=None, content_type=FHIR_JSON):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None and content_type:
        req.add_header("Content-Type", content_type)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            status, hdrs, text = r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, dict(e.headers), e.read().decode()
    return status, hdrs, (json.loads(text) if text else None)


def fact(name: str, ok: bool, detail: object = "") -> None:
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + ("" if ok else f"  -- got {detail!r}"))
    (passes if ok else failures).append(name)


def main() -> int:
    proc, B = start_server()
    try:
        run(B)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"\n{len(passes)} passed, {len(failures)} failed")
    return 1 if failures else 0


def run(B: str) -> None:
    # --- metadata
    s, h, cs = call(B, "GET", "/metadata")
    fact("metadata 200 CapabilityStatement", s == 200 and cs["resourceType"] == "CapabilityStatement", s)
    fact("metadata content-type application/fhir+json", h.get("Content-Type", "").startswith(FHIR_JSON), h)
    fact("metadata fhirVersion 4.0.1, format [json]", cs["fhirVersion"] == "4.0.1" and cs["format"] == ["json"])
    rest = cs["rest"][0]
    fact("metadata 146 resource types", len(rest["resource"]) == 146, len(rest["resource"]))
    fact("metadata system interactions [batch]", rest["interaction"] == [{"code": "batch"}], rest["interaction"])
    pat = next(r for r in rest["resource"] if r["type"] == "Patient")
    fact(
        "metadata Patient interactions",
        [i["code"] for i in pat["interaction"]]
        == ["read", "vread", "update", "patch", "delete", "history-instance", "create", "search-type"],
        pat["interaction"],
    )
    fact("metadata Patient declares family/identifier", {"family", "identifier"} <= {p["name"] for p in pat["searchParam"]})
    obs = next(r for r in rest["resource"] if r["type"] == "Observation")
    fact("metadata omits quantity params", "value-quantity" not in {p["name"] for p in obs["searchParam"]})

    # --- create / read / vread / update
    p1 = {"resourceType": "Patient", "name": [{"family": "Smith", "given": ["Ann"]}], "gender": "female"}
    s, h, r = call(B, "POST", "/Patient", p1)
    pid, v1 = r["id"], r["meta"]["versionId"]
    fact("create 201", s == 201, s)
    fact("create Location [base]/Patient/id/_history/vid", h.get("Location") == f"{B}/Patient/{pid}/_history/{v1}", h)
    fact("create ETag W/\"versionId\"", h.get("ETag") == f'W/"{v1}"', h)
    fact("create body has meta.lastUpdated + Last-Modified header", "lastUpdated" in r["meta"] and "Last-Modified" in h)
    fact("versionId is a UUID, not 1", re.fullmatch(r"[0-9a-f-]{36}", v1) is not None, v1)
    s, h, r = call(B, "GET", f"/Patient/{pid}")
    fact("read 200 + ETag", s == 200 and h.get("ETag") == f'W/"{v1}"', (s, h))
    s, h, r = call(B, "PUT", f"/Patient/{pid}", {**p1, "id": pid, "gender": "other"})
    v2 = r["meta"]["versionId"]
    fact("update 200, new versionId", s == 200 and v2 != v1, (s, v2))
    s, h, r = call(B, "GET", f"/Patient/{pid}/_history/{v1}")
    fact("vread old version 200 with old content", s == 200 and r["gender"] == "female" and h["ETag"] == f'W/"{v1}"')
    s, _, r = call(B, "GET", f"/Patient/{pid}/_history/nope")
    fact("vread unknown version 404", s == 404, s)

    # --- If-Match
    s, _, r = call(B, "PUT", f"/Patient/{pid}", {**p1, "id": pid}, {"If-Match": f'W/"{v1}"'})
    fact("update If-Match stale -> 412 precondition-failed", s == 412 and r["id"] == "precondition-failed", (s, r))
    s, _, r = call(B, "PUT", f"/Patient/{pid}", {**p1, "id": pid}, {"If-Match": v1})
    fact("update If-Match unquoted stale value is ignored -> 200", s == 200, s)
    s, _, r = call(B, "PUT", "/Patient/new-by-put", {"resourceType": "Patient", "id": "new-by-put"})
    fact("update-as-create -> 200 (not 201), no Location", s == 200, s)
    s, _, r = call(B, "PUT", f"/Patient/{pid}", {"resourceType": "Patient", "id": "other"})
    fact("update id mismatch -> 400", s == 400, s)

    # --- history (Medplum MemoryRepository reverses its stored array in place)
    s, _, h1 = call(B, "GET", f"/Patient/{pid}/_history")
    s2, _, h2 = call(B, "GET", f"/Patient/{pid}/_history")
    first = [e["resource"]["meta"]["versionId"] for e in h1["entry"]]
    second = [e["resource"]["meta"]["versionId"] for e in h2["entry"]]
    fact("history 200 type=history, 3 entries, no total/link", s == 200 and h1["type"] == "history"
         and len(first) == 3 and "total" not in h1 and "link" not in h1, h1.keys())
    fact("history entries have no fullUrl/request/response", set(h1["entry"][0]) == {"resource"}, h1["entry"][0].keys())
    fact("history order flips on every call", second == list(reversed(first)), (first, second))

    # --- delete
    s, _, r = call(B, "DELETE", f"/Patient/{pid}", headers={"If-Match": 'W/"wrong"'})
    fact("delete If-Match wrong -> 412", s == 412, s)
    s, _, r = call(B, "DELETE", f"/Patient/{pid}")
    fact("delete 200 with OperationOutcome id=ok", s == 200 and r["resourceType"] == "OperationOutcome" and r["id"] == "ok", (s, r))
    s, _, r = call(B, "GET", f"/Patient/{pid}")
    fact("read after delete -> 404 (not 410), OperationOutcome not-found", s == 404 and r["issue"][0]["code"] == "not-found", s)
    s, _, _ = call(B, "GET", f"/Patient/{pid}/_history")
    fact("history after delete -> 404", s == 404, s)
    s, _, _ = call(B, "DELETE", f"/Patient/{pid}")
    fact("delete again -> 404", s == 404, s)

    # --- search
    ids = []
    for i in range(1, 6):
        _, _, r = call(B, "POST", "/Patient", {"resourceType": "Patient", "name": [{"family": f"Jones{i}"}],
                                               "birthDate": f"199{i}-05-01",
                                               "identifier": [{"system": "urn:mrn", "value": f"m{i}"}]})
        ids.append(r["id"])
    _, _, ob = call(B, "POST", "/Observation", {"resourceType": "Observation", "status": "final",
                                                "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                                                "subject": {"reference": f"Patient/{ids[0]}"},
                                                "valueQuantity": {"value": 70, "unit": "kg"}})
    s, _, b = call(B, "GET", "/Patient?family=jones&_count=2")
    fact("search _count=2: 2 entries, total=5, no link (no next)", s == 200 and len(b["entry"]) == 2 and b["total"] == 5
         and "link" not in b, (s, b.get("total"), b.get("link")))
    fact("searchset has no self link (fhir-rest.search.self-link fails)",
         not any(link.get("relation") == "self" for link in b.get("link", [])), b.get("link"))
    fact("searchset entries: search.mode=match, no fullUrl", set(b["entry"][0]) == {"search", "resource"}
         and b["entry"][0]["search"] == {"mode": "match"}, b["entry"][0].keys())
    _, _, b = call(B, "GET", "/Patient?family=jones&_count=2&_offset=2&_sort=birthdate")
    fact("_offset/_sort work", [e["resource"]["name"][0]["family"] for e in b["entry"]] == ["Jones3", "Jones4"])
    _, _, b = call(B, "GET", "/Patient?family=ones")
    fact("string search is case-insensitive *contains* (family=ones matches)", b["total"] == 5, b["total"])
    _, _, b = call(B, "GET", "/Patient?identifier=urn:mrn|m3")
    fact("token system|code search", b["total"] == 1, b["total"])
    _, _, b = call(B, "GET", "/Patient?birthdate=ge1993-01-01")
    fact("date prefix search", b["total"] == 3, b["total"])
    s, _, r = call(B, "GET", "/Patient?birthdate=notadate")
    fact("bad date value -> 400", s == 400, s)
    _, _, b = call(B, "GET", "/Observation?value-quantity=70")
    fact("quantity search never matches (total 0)", b["total"] == 0, b["total"])
    s, _, b = call(B, "GET", "/Patient?foo=bar")
    fact("unknown search param -> 200, 0 results (not ignored, no error)", s == 200 and b["total"] == 0, (s, b.get("total")))
    _, _, b = call(B, "GET", f"/Observation?_id={ob['id']}&_include=Observation:subject")
    fact("_include adds Patient with search.mode=include", len(b["entry"]) == 2 and b["total"] == 1
         and b["entry"][1]["search"] == {"mode": "include"}, b)
    _, _, b = call(B, "GET", f"/Patient?_id={ids[0]}&_revinclude=Observation:subject")
    fact("_revinclude adds Observation", [e["resource"]["resourceType"] for e in b["entry"]] == ["Patient", "Observation"])
    _, _, b = call(B, "GET", "/Observation?subject:Patient.family=Jones1")
    fact("chained search works", b["total"] == 1, b["total"])
    _, _, b = call(B, "GET", "/Patient?_has:Observation:subject:code=29463-7")
    fact("_has never matches", b["total"] == 0, b["total"])
    _, _, b = call(B, "GET", "/Patient?family=Jones1&_summary=true&_elements=gender")
    fact("_summary/_elements ignored (full resource returned)", "name" in b["entry"][0]["resource"])
    _, _, b = call(B, "GET", "/Patient?_summary=count")
    fact("_summary=count -> total only", "entry" not in b and b["total"] >= 6, b)
    _, _, b = call(B, "GET", "/?_type=Patient")
    fact("system search (_type) returns nothing", b["total"] == 0, b)
    s, _, b = call(B, "POST", "/Patient/_search", raw=b"family=Jones2", content_type="application/x-www-form-urlencoded")
    fact("POST _search form body", s == 200 and b["total"] == 1, (s, b))

    # --- conditional create / update / delete
    cc = {"resourceType": "Patient", "identifier": [{"system": "urn:cc", "value": "c1"}]}
    s, h, r1 = call(B, "POST", "/Patient", cc, {"If-None-Exist": "identifier=urn:cc|c1"})
    fact("conditional create, no match -> 201", s == 201 and "Location" in h, s)
    s, h, r2 = call(B, "POST", "/Patient", cc, {"If-None-Exist": "identifier=urn:cc|c1"})
    fact("conditional create, one match -> 200, existing resource, no Location", s == 200 and r2["id"] == r1["id"]
         and "Location" not in h, (s, h))
    s, _, r = call(B, "POST", "/Patient", {"resourceType": "Patient"}, {"If-None-Exist": "family=jones"})
    fact("conditional create, several matches -> 412 multiple-matches", s == 412 and r["id"] == "multiple-matches", (s, r))
    s, _, _ = call(B, "PUT", "/Patient?identifier=urn:cc|c9", {"resourceType": "Patient"})
    fact("conditional update, no match -> 201", s == 201, s)
    s, _, _ = call(B, "DELETE", "/Patient?identifier=urn:cc|nothing")
    fact("conditional delete, no match -> 200", s == 200, s)
    s, _, _ = call(B, "DELETE", "/Patient?family=jones")
    fact("conditional delete, several matches -> 412", s == 412, s)

    # --- invalid input
    s, _, r = call(B, "POST", "/Patient", {"resourceType": "Patient", "foo": 1})
    fact("unknown element -> 400 structure", s == 400 and r["issue"][0]["code"] == "structure", (s, r))
    s, _, r = call(B, "POST", "/Patient", {"resourceType": "Patient", "birthDate": "x"})
    fact("bad primitive -> 400", s == 400, s)
    s, _, r = call(B, "POST", "/Observation", {"resourceType": "Observation", "code": {"text": "x"}})
    fact("missing required element -> 400", s == 400, s)
    s, _, r = call(B, "POST", "/Patient", {"resourceType": "Patient", "gender": "bogus"})
    fact("bad code in required binding accepted -> 201", s == 201, s)
    s, _, r = call(B, "POST", "/Patient", {"resourceType": "Observation", "status": "final", "code": {}})
    fact("type mismatch body vs URL -> 400", s == 400, s)
    s, _, r = call(B, "POST", "/Patient", raw=b'{"resourceType":')
    fact("malformed JSON -> 400", s == 400, s)
    s, _, r = call(B, "POST", "/Patient", {"resourceType": "Patient", "id": "client-id"})
    fact("create keeps client-supplied id", s == 201 and r["id"] == "client-id", (s, r.get("id")))
    s, _, r = call(B, "POST", "/Patient", {"resourceType": "Patient", "id": "client-id"})
    fact("create with id already in use -> 400", s == 400, s)

    # --- unknown type / formats
    s, _, b = call(B, "GET", "/Foo")
    fact("GET unknown type -> 200 empty searchset", s == 200 and b["type"] == "searchset" and b["total"] == 0, (s, b))
    s, _, _ = call(B, "GET", "/Foo/1")
    fact("read unknown type -> 404", s == 404, s)
    s, _, r = call(B, "POST", "/Foo", {"resourceType": "Foo"})
    fact("create unknown type -> 400 'Invalid resource type'", s == 400, s)
    s, h, r = call(B, "GET", f"/Patient/{ids[1]}?_format=xml")
    fact("_format=xml -> 200 JSON anyway", s == 200 and h["Content-Type"].startswith(FHIR_JSON), (s, h))
    s, h, r = call(B, "GET", f"/Patient/{ids[1]}", headers={"Accept": "application/fhir+xml"})
    fact("Accept xml -> 200 JSON anyway", s == 200 and h["Content-Type"].startswith(FHIR_JSON), (s, h))
    s, _, r = call(B, "POST", "/Patient", raw=b'<Patient xmlns="http://hl7.org/fhir"/>', content_type="application/fhir+xml")
    fact("XML body -> 415 unsupported-media-type", s == 415 and r["id"] == "unsupported-media-type", (s, r))

    # --- batch / transaction
    s, _, b = call(B, "POST", "/", {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"request": {"method": "POST", "url": "Patient"}, "resource": {"resourceType": "Patient", "name": [{"family": "TxPartial"}]}},
        {"request": {"method": "POST", "url": "Patient"}, "resource": {"resourceType": "Patient", "foo": 1}},
    ]})
    statuses = [e["response"]["status"] for e in b["entry"]]
    _, _, found = call(B, "GET", "/Patient?family=TxPartial")
    fact("transaction is NOT atomic: 200 transaction-response, per-entry 201/400, first entry kept",
         s == 200 and b["type"] == "transaction-response" and statuses == ["201", "400"] and found["total"] == 1,
         (s, b.get("type"), statuses, found.get("total")))
    s, _, _ = call(B, "HEAD", f"/Patient/{ids[1]}")
    fact("HEAD -> 404 (no route)", s == 404, s)


if __name__ == "__main__":
    sys.exit(main())
