"""Item 1: wristband to patient, badge to practitioner, label to place.

One create check writes the patient (GSRN, AI 8018), the practitioner (GSRN) and the bed (GLN, AI 414,
with its extension AI 254), each beside a decoy carrying the same digits under a local system. Then,
per kind, the search a bedside scanner makes must find exactly that resource, and the searches a
careless server also answers must not: the key read one digit short (a prefix match) and the key
without its leading zero (keys compared as numbers).
"""

from __future__ import annotations

from typing import Any

from conformance.checks import check, expect, fail
from conformance.fhir.expect import describe, expect_status, snippet
from conformance.gs1.fhir import GLN_SYSTEM, GSRN_SYSTEM
from suites.gs1_bedside.context import LOCAL_SYSTEM, METADATA, BedsideContext, gln_extension_system, ids, scanned

CREATE = "gs1-bedside.identify.create"
CAPS = ["gs1-scanning", "positive-patient-identification"]
# kind -> (resource type, the scan it is identified by, GS1 AI of the key, the identifier system)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "patient": ("Patient", "wristband", "8018", GSRN_SYSTEM),
    "practitioner": ("Practitioner", "staff_badge", "8018", GSRN_SYSTEM),
    "location": ("Location", "bed_label", "414", GLN_SYSTEM),
}
# GS1 clauses are cited by AI (the General Specifications' section 3 defines each) and by the healthcare
# AIDC application standard's use of it; docs/gs1-bedside-checks.md says what each requires.
CLAUSES = {
    "patient": ["FHIR-R4:search.html#token", "FHIR-R4:patient.html#search", "GS1-GenSpecs:AI-8018",
                "GS1-Healthcare-AIDC:patient-identification"],
    "practitioner": ["FHIR-R4:search.html#token", "FHIR-R4:practitioner.html#search", "GS1-GenSpecs:AI-8018",
                     "GS1-Healthcare-AIDC:caregiver-identification"],
    "location": ["FHIR-R4:search.html#token", "FHIR-R4:location.html#search", "GS1-GenSpecs:AI-414",
                 "GS1-GenSpecs:AI-254", "GS1-Healthcare-AIDC:location-identification"],
}


def identified(rtype: str, ais: dict[str, str], system: str, name: str, local: bool,
               extension_system: str = "") -> dict[str, Any]:
    """The resource a scan identifies (or, with ``local``, its decoy: same digits, the hospital's system).

    A GLN's extension (AI 254) is written only under the system the target declares for it.
    """
    key = ais["8018"] if "8018" in ais else ais["414"]
    idents = [{"system": LOCAL_SYSTEM if local else system, "value": key}]
    if "254" in ais and not local and extension_system:
        idents.append({"system": extension_system, "value": ais["254"]})
    body: dict[str, Any] = {"resourceType": rtype, "identifier": idents}
    if rtype == "Location":
        body.update(status="active", name=f"Synthetic {name}")
    else:
        body["name"] = [{"family": name.title(), "given": ["Synthetic"]}]
    return body


async def create_tagged(ctx: BedsideContext, body: dict[str, Any], what: str) -> str:
    response = await ctx.fhir.post(body["resourceType"], ctx.tagged(body))
    new_id = ctx.remember_response(body["resourceType"], response)
    expect_status(response, (200, 201), f"POST {what}")
    expect(new_id, f"POST {what}: {describe(response)} names no id (no Location, no body id): {snippet(response)}")
    assert new_id is not None
    return new_id


@check(
    id=CREATE,
    title="Create a patient, a practitioner and a bed identified by scanned GS1 keys (GSRN, GLN + extension)",
    requirements=["FHIR-R4:http.html#create", "GS1-GenSpecs:AI-8018", "GS1-GenSpecs:AI-414", "GS1-GenSpecs:AI-254"],
    capabilities=CAPS,
    needs=[METADATA],
    destructive=True,
)
async def create(ctx: BedsideContext) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for kind, (rtype, scan, _ai, system) in KINDS.items():
        ctx.capability().require(rtype, "create")
        ais = scanned(getattr(ctx.scans, scan))
        body = identified(rtype, ais, system, kind, False, gln_extension_system(ctx))
        rid = await create_tagged(ctx, body, f"{rtype} ({scan} scan)")
        decoy = await create_tagged(ctx, identified(rtype, ais, system, kind, True), f"{rtype} (local-number decoy)")
        made[kind] = {"id": rid, "decoy": decoy, "ais": ais}
    return made


def _register(kind: str) -> None:
    rtype, scan, ai, system = KINDS[kind]

    @check(
        id=f"gs1-bedside.identify.{kind}",
        title=f"The {scan.replace('_', ' ')} scan finds exactly its {rtype}: system and every digit of the "
              f"key (AI {ai}) compared",
        requirements=CLAUSES[kind],
        capabilities=CAPS,
        needs=[METADATA, CREATE],
    )
    async def identify(ctx: BedsideContext) -> None:
        ctx.require_params(rtype, "identifier")
        made = ctx.product(CREATE)[kind]
        ais, rid = made["ais"], made["id"]
        key = ais[ai]
        exact = [("identifier", f"{system}|{key}")]
        extension = gln_extension_system(ctx)
        if "254" in ais and extension:  # GLN AND extension, only where the target says where it keeps AI 254
            exact.append(("identifier", f"{extension}|{ais['254']}"))
        problems: list[str] = []
        # With an extension (AI 254) the scan asks GLN AND extension; the GLN alone must find the place too.
        for query in ([exact, exact[:1]] if len(exact) > 1 else [exact]):
            what, found = await ctx.search(rtype, query)
            if rid not in ids(found):
                problems.append(f"{what} did not find {rtype}/{rid} (the {scan.replace('_', ' ')} identifies no one)")
            if made["decoy"] in ids(found):
                problems.append(f"{what} also returned {rtype}/{made['decoy']}, which has the same digits under "
                                f"{LOCAL_SYSTEM}: the system is ignored")
            others = [i for i in ids(found) if i not in (rid, made["decoy"])]
            if others:
                problems.append(f"{what} returned {len(others)} other {rtype} resource(s) ({', '.join(others[:5])}):"
                                " a scan must identify exactly one")
        for label, value in (("one digit short (a prefix)", key[:-1]), ("without its leading zero", key.lstrip("0"))):
            what, found = await ctx.search(rtype, [("identifier", f"{system}|{value}")])
            if rid in ids(found):
                problems.append(f"{what}, the key {label}, returned {rtype}/{rid}: all {len(key)} digits must match")
        if problems:
            fail("; ".join(problems))


for _kind in KINDS:
    _register(_kind)
