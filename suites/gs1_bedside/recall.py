"""Item 3: recall traceability. Who received batch X; where is device serial S.

Three patients receive three packs: P1 and P2 a pack each of batch A (two packs, so a server that
follows only the first Medication of a lot misses P2), P3 batch B. "Who received batch A" asked with
the chained search must name P1 and P2 and no one else; missing a patient is the worst failure a recall
can have, and the message leads with it.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import check, expect, fail
from conformance.fhir.expect import expect_resource, expect_status
from conformance.gs1.fhir import GLN_SYSTEM, GSRN_SYSTEM, SERIAL_SYSTEM
from suites.gs1_bedside.context import METADATA, BedsideContext, gln_extension_system, ids, local_ref, scanned
from suites.gs1_bedside.identify import CREATE as PLACES
from suites.gs1_bedside.identify import create_tagged
from suites.gs1_bedside.product import CREATE as PRODUCTS

ADMINISTER = "gs1-bedside.recall.administer"
CAPS = ["medicines-management", "recall-traceability"]
# patient index -> the pack each received
GIVEN = (("a1", 0), ("a2", 1), ("b", 2))


@check(
    id=ADMINISTER,
    title="Record administrations of two batches to three patients (MedicationAdministration -> Patient, Medication)",
    requirements=["FHIR-R4:http.html#create", "FHIR-R4:medicationadministration.html", "GS1-GTSH:traceability"],
    capabilities=CAPS,
    needs=[METADATA, PRODUCTS],
    destructive=True,
)
async def administer(ctx: BedsideContext) -> dict[str, Any]:
    ctx.capability().require("Patient", "create")
    ctx.capability().require("MedicationAdministration", "create")
    packs = ctx.product(PRODUCTS)["packs"]
    patients = []
    for n, scan in enumerate(ctx.scans.recall_wristbands):
        gsrn = scanned(scan)["8018"]
        body: dict[str, Any] = {"resourceType": "Patient", "identifier": [{"system": GSRN_SYSTEM, "value": gsrn}],
                                "name": [{"family": f"Recall{n + 1}", "given": ["Synthetic"]}]}
        patients.append(await create_tagged(ctx, body, f"Patient (recall patient {n + 1})"))
    for pack, who in GIVEN:
        given: dict[str, Any] = {"resourceType": "MedicationAdministration", "status": "completed",
                                 "medicationReference": {"reference": f"Medication/{packs[pack]['id']}"},
                                 "subject": {"reference": f"Patient/{patients[who]}"},
                                 "effectiveDateTime": "2026-01-15T10:00:00Z"}
        await create_tagged(ctx, given, f"MedicationAdministration (pack {pack} to recall patient {who + 1})")
    return {"patients": patients, "lots": {name: packs[name]["ais"]["10"] for name in packs}}


@check(
    id="gs1-bedside.recall.by-lot",
    title="MedicationAdministration?medication.lot-number=<batch> names every patient who received the batch, "
          "and no one else",
    requirements=["FHIR-R4:search.html#chaining", "FHIR-R4:medicationadministration.html#search",
                  "FHIR-R4:medication.html#search", "GS1-GenSpecs:AI-10", "GS1-GTSH:traceability"],
    capabilities=CAPS,
    needs=[METADATA, ADMINISTER],
)
async def by_lot(ctx: BedsideContext) -> None:
    ctx.require_params("MedicationAdministration", "medication")
    ctx.require_params("Medication", "lot-number")
    made = ctx.product(ADMINISTER)
    patients = made["patients"]
    problems: list[str] = []
    for lot, received in ((made["lots"]["a1"], {patients[0], patients[1]}), (made["lots"]["b"], {patients[2]})):
        what, found = await ctx.search("MedicationAdministration", [("medication.lot-number", lot)],
                                       optional="chained search (search.html#chaining)")
        named = {local_ref(r.get("subject")).removeprefix("Patient/") for r in found}
        judge_recall(problems, what, lot, received, named, set(patients))
    if problems:
        fail("; ".join(problems))


@check(
    id="gs1-bedside.recall.by-has",
    title="Patient?_has:MedicationAdministration:patient:medication=<the batch's packs> names every patient who "
          "received the batch, and no one else",
    requirements=["FHIR-R4:search.html#has", "FHIR-R4:medicationadministration.html#search",
                  "FHIR-R4:medication.html#search", "GS1-GenSpecs:AI-10", "GS1-GTSH:traceability"],
    capabilities=CAPS,
    needs=[METADATA, ADMINISTER],
)
async def by_has(ctx: BedsideContext) -> None:
    ctx.require_params("Patient", "_has")
    ctx.require_params("MedicationAdministration", "patient", "medication")
    ctx.require_params("Medication", "lot-number")
    made = ctx.product(ADMINISTER)
    patients = made["patients"]
    problems: list[str] = []
    for lot, received in ((made["lots"]["a1"], {patients[0], patients[1]}), (made["lots"]["b"], {patients[2]})):
        asked, packs = await ctx.search("Medication", [("lot-number", lot)])
        if not packs:  # no packs to ask _has about: that is the lot-number search failing, not _has
            fail(f"{asked} found no Medication of batch {lot}, which this run wrote, so _has could not be asked "
                 "(product.medication-lot judges that search)")
        refs = ",".join(f"Medication/{i}" for i in ids(packs))
        what, found = await ctx.search("Patient", [("_has:MedicationAdministration:patient:medication", refs)])
        judge_recall(problems, f"{what} (the packs of batch {lot})", lot, received, set(ids(found)), set(patients))
    if problems:
        fail("; ".join(problems))


@check(
    id="gs1-bedside.recall.device-location",
    title="Device?identifier=<serial system>|<AI 21> finds the device, and its location is the bed it was placed at",
    requirements=["FHIR-R4:device.html#search", "FHIR-R4:device-definitions.html#Device.location",
                  "GS1-GenSpecs:AI-21", "GS1-GenSpecs:AI-414", "GS1-GTSH:traceability"],
    capabilities=["asset-tracking", "recall-traceability"],
    needs=[METADATA, PLACES, PRODUCTS],
)
async def device_location(ctx: BedsideContext) -> None:
    ctx.require_params("Device", "identifier")
    ctx.capability().require("Location", "read")
    made = ctx.product(PRODUCTS)["device"]
    what, found = await ctx.search("Device", [("identifier", f"{SERIAL_SYSTEM}|{made['ais']['21']}")])
    expect(ids(found) == [made["id"]], f"{what}: expected exactly Device/{made['id']}, got {ids(found) or 'nothing'}")
    where = local_ref(found[0].get("location"))
    expect(where, f"{what}: Device/{made['id']} has no location (it was placed at Location/{made['location']})")
    response = await ctx.fhir.get(where)
    expect_status(response, (200,), f"GET {where}")
    place = expect_resource(response, "Location", f"GET {where}")
    labels = {(i.get("system"), i.get("value")) for i in place.get("identifier", []) if isinstance(i, dict)}
    bed = ctx.product(PLACES)["location"]["ais"]
    extension = gln_extension_system(ctx)
    wanted = {(GLN_SYSTEM, bed["414"]), *([(extension, bed["254"])] if extension else [])}
    if not wanted <= labels:
        fail(f"Device/{made['id']} is at {where}, whose identifiers {sorted(map(str, labels))} are not the bed's "
             f"GLN {bed['414']}" + (f" with extension {bed['254']} ({extension})" if extension else ""))


def judge_recall(problems: list[str], what: str, lot: str, received: set[str], named: set[str],
                 patients: set[str]) -> None:
    """A recall's answer against who received the batch: a missed patient leads (a recall would not reach
    them); a patient named who did not receive it follows."""
    missed = received - named
    if missed:
        problems.insert(0, f"{what} MISSED {len(missed)} patient(s) who received batch {lot}: "
                           f"{', '.join('Patient/' + p for p in sorted(missed))} (a recall would not reach them)")
    extra = named & patients - received
    if extra:
        problems.append(f"{what} named patient(s) who did not receive batch {lot}: "
                        f"{', '.join('Patient/' + p for p in sorted(extra))}")
