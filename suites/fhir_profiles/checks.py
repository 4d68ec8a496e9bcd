"""Sampling what the target returns, then three verdicts on it: base R4, claimed profiles, must-support."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.checks import ProductKey, check, expect, fail, skip
from conformance.evidence.capture import record
from conformance.fhir import fixtures
from conformance.fhir.capability import items
from conformance.fhir.expect import body_json, describe, expect_shape, snippet
from conformance.fhir.fixtures import TYPES
from conformance.fhirval.claims import HOW_TO_ADD
from conformance.model import Evidence
from conformance.writeguard import is_sandbox
from suites.fhir_profiles import judge
from suites.fhir_profiles.context import METADATA, ProfilesContext

COLLECT: ProductKey[Samples] = ProductKey("fhir-profiles.sample.collect")
CAPS = ["interoperability", "open-api"]
PER_TYPE = 20  # resources sampled per declared type
MAX_LINES = 8


@dataclass
class Samples:
    """What the target returned: searches of each declared type, and a read of one resource of each
    (validated too when its body differs from the search entry: servers build them on different paths)."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    claimed: dict[str, list[str]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)  # labels of the resources that came from a read

    def add(self, resource: dict[str, Any], via_read: bool = False) -> None:
        self.resources.append(resource)
        if via_read:
            self.reads.append(label(resource))

    def of(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r.get("resourceType") == resource_type]


def label(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def judged(samples: Samples, what: str) -> None:
    record(Evidence(kind="derived", summary=f"{len(samples.resources)} resources judged: {what}",
                    data={"from_check": COLLECT, "resources": [label(r) for r in samples.resources],
                          "from_reads": samples.reads, "claimed": samples.claimed}))


async def _seed(ctx: ProfilesContext, types: list[str]) -> None:
    """On a sandbox, write one synthetic resource of each type (and what it refers to) first, tagged."""
    ids: dict[str, str] = {}
    for resource_type in [*{d: None for t in types for d in fixtures.dependencies(t)}, *types]:
        if resource_type in ids:
            continue
        if any(d not in ids for d in fixtures.dependencies(resource_type)):
            continue  # what it refers to could not be written: nothing to seed it with
        response = await ctx.fhir.post(resource_type, ctx.tagged(fixtures.build(resource_type, ids)))
        created = ctx.remember_response(resource_type, response)
        if created:
            ids[resource_type] = created
        elif 200 <= response.status_code < 300:
            fail(f"POST {resource_type} answered {describe(response)} but named no id (no Location header, "
                 f"no id in the body): {snippet(response)}")


@check(id=COLLECT, title="The target returns resources to validate (a search of each declared type)",
       requirements=["FHIR-R4:http.html#search"], capabilities=CAPS, needs=[METADATA])
async def collect(ctx: ProfilesContext) -> Samples:
    cap = ctx.capability()
    claimed = ctx.claimed(cap)
    types = [t for t in TYPES if "search-type" in cap.interactions(t)]
    if not types:
        skip("no resource type declares search-type in the CapabilityStatement")
    params = {"_count": str(PER_TYPE)}
    if is_sandbox(ctx.target):
        # A sandbox holds what other suites wrote (deliberately minimal or broken resources, written to
        # test other things), so there the suite judges its own round trip: one synthetic resource of
        # each type written, then searched and read back. Elsewhere it judges whatever the target holds.
        await _seed(ctx, [t for t in types if "create" in cap.interactions(t)])
        params["_tag"] = ctx.tag_param
    samples = Samples(claimed=claimed)
    for resource_type in types:
        response = await ctx.fhir.get(resource_type, params=params)
        what = f"search {resource_type}"
        body = body_json(response, what)
        entries = items(body, "entry")[:PER_TYPE] if isinstance(body, dict) else []
        if isinstance(body, dict) and response.status_code == 200:
            expect_shape(body, "entry", list, what)
        found: list[dict[str, Any]] = [
            e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == resource_type]
        for resource in found:
            samples.add(resource)
        if found and isinstance(found[0].get("id"), str) and "read" in cap.interactions(resource_type):
            response = await ctx.fhir.get(f"{resource_type}/{found[0]['id']}")
            read = body_json(response, f"read {resource_type}/{found[0]['id']}")
            if isinstance(read, dict) and read.get("resourceType") == resource_type and read != found[0]:
                samples.add(read, via_read=True)
    if not samples.resources and not is_sandbox(ctx.target):
        # Nothing held is not misbehaviour; on a sandbox the suite wrote its own, so none back is a fail.
        skip(f"searches of {len(types)} declared type(s) returned no resource to validate: the target holds none "
             "(on a target marked sandbox = true the suite writes its own)")
    expect(samples.resources, f"searches of {len(types)} declared type(s) returned no resource to validate")
    return samples


@check(id="fhir-profiles.base.valid", title="Every returned resource is valid FHIR R4 (structure, types, "
       "cardinality, invariants, required bindings)", requirements=["FHIR-R4:validation.html"],
       capabilities=CAPS, needs=[COLLECT])
async def base(ctx: ProfilesContext) -> dict[str, int]:
    samples: Samples = ctx.product(COLLECT)
    judged(samples, "base R4")
    problems, lacking = [], []
    for r in samples.resources:
        found, lacks = judge.errors(r, ctx.source())
        problems += [f"{label(r)} {line}" for line in found]
        lacking += [f"{label(r)} {line}" for line in lacks]
    not_judged = (f"{len(lacking)} part(s) not judged, the harness has no definition for them: "
                  + "; ".join(lacking[:MAX_LINES]) + f"; {HOW_TO_ADD}") if lacking else ""
    expect(not problems, f"{len(problems)} error(s): " + "; ".join(problems[:MAX_LINES])
           + (f" (and {not_judged})" if not_judged else ""))
    if not_judged:
        skip(not_judged)
    return {"resources": len(samples.resources)}


@check(id="fhir-profiles.claimed.valid", title="Every returned resource conforms to the profiles claimed for "
       "its type (target file, CapabilityStatement supportedProfile)",
       requirements=["FHIR-R4:profiling.html", "FHIR-R4:capabilitystatement-definitions.html#"
                     "CapabilityStatement.rest.resource.supportedProfile"], capabilities=CAPS, needs=[COLLECT])
async def claimed(ctx: ProfilesContext) -> dict[str, int]:
    samples: Samples = ctx.product(COLLECT)
    source = ctx.source()
    # A profile whose definition the harness lacks is not judged (the harness's lack, not the server's
    # fault): the others are, and the verdict names what is missing and how to add it.
    unknown = list(samples.claimed.get("?", []))
    unknown += [u for t, urls in samples.claimed.items() if t != "?" for u in urls if source.structure(u) is None]
    judged_count, problems, parts = 0, [], []
    for resource_type, urls in samples.claimed.items():
        known = [u for u in urls if u not in unknown]
        for resource in samples.of(resource_type) if resource_type != "?" and known else []:
            judged_count += 1
            found, lacks = judge.errors(resource, source, known)
            problems += [f"{label(resource)} {line}" for line in found]
            parts += [f"{label(resource)} {line}" for line in lacks]  # e.g. a reference's target profile
    lacking = "; ".join(
        ([f"claimed profile(s) {', '.join(unknown)} not judged: the harness has no definition for them"]
         if unknown else [])
        + ([f"{len(parts)} part(s) not judged, the harness has no definition for them: "
            + "; ".join(parts[:MAX_LINES])] if parts else [])
        + ([HOW_TO_ADD] if unknown or parts else []))
    if judged_count:
        judged(samples, "claimed profiles")
    expect(not problems, f"{len(problems)} error(s): " + "; ".join(problems[:MAX_LINES])
           + (f" (and {lacking})" if lacking else ""))
    if lacking:
        skip(lacking + (f"; {judged_count} resource(s) conform to the profiles it has" if judged_count else ""))
    if not judged_count:
        skip("no returned resource is of a type with a claimed profile")
    return {"resources": judged_count}


@check(id="fhir-profiles.must-support.seen", title="Every must-support element of a claimed profile appears in "
       "at least one returned resource", requirements=["FHIR-R4:profiling.html#mustsupport"], capabilities=CAPS,
       needs=[COLLECT])
async def must_support(ctx: ProfilesContext) -> None:
    samples: Samples = ctx.product(COLLECT)
    missing, judged_profiles = [], 0
    for resource_type, urls in samples.claimed.items():
        of_type = samples.of(resource_type)
        for url in urls:
            definition = ctx.source().structure(url)
            if definition is None or not of_type:
                continue
            judged_profiles += 1
            missing += [f"{url.rsplit('/', 1)[-1]}: {path}" for path in judge.must_support(definition)
                        if not any(judge.present(r, path) for r in of_type)]
    if not judged_profiles:
        lacking = [u for urls in samples.claimed.values() for u in urls if ctx.source().structure(u) is None]
        if lacking:
            skip(f"claimed profile(s) {', '.join(lacking)} not judged: the harness has no definition for them; "
                 f"{HOW_TO_ADD}")
        skip("no claimed profile with returned resources of its type")
    judged(samples, "must-support elements")
    expect(not missing, f"must-support element(s) never returned: {', '.join(missing)}")
