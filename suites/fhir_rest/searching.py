"""Search helpers shared by the search checks: run a query narrowed to this run's tag, and find our
resource's id among a searchset's matches (or its included resources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.checks import expect
from conformance.transports.http import HttpResponse
from suites.fhir_rest.context import (
    FhirContext,
    describe,
    expect_resource,
    expect_shape,
    expect_status,
    snippet,
)


@dataclass(frozen=True)
class Probe:
    name: str
    value: str
    should_find: bool
    # Why the harness expects a match: the R4 rule (the parameter's expression and what it selects in
    # our resource), so a vendor can see which part of the spec its server reads differently.
    why: str = ""


def searchset(response: HttpResponse, what: str) -> dict[str, Any]:
    expect_status(response, (200,), what)
    bundle = expect_resource(response, "Bundle", what)
    expect(bundle.get("type") == "searchset", f"{what}: Bundle type is {bundle.get('type')!r}, not searchset")
    expect_shape(bundle, "entry", list, what)
    expect_shape(bundle, "link", list, what)
    return bundle


def entries(bundle: dict[str, Any], mode: str = "match") -> list[dict[str, Any]]:
    """Resources of entries in ``mode`` (an entry without search.mode counts as a match)."""
    out = []
    found = bundle.get("entry")
    for entry in found if isinstance(found, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
            continue
        search = entry.get("search") if isinstance(entry.get("search"), dict) else {}
        if (search or {}).get("mode", "match") == mode:
            out.append(entry["resource"])
    return out


def ids_of(bundle: dict[str, Any], resource_type: str, mode: str = "match") -> list[str]:
    return [r["id"] for r in entries(bundle, mode)
            if r.get("resourceType") == resource_type and isinstance(r.get("id"), str)]


async def run_probes(ctx: FhirContext, t: str, rid: str, probes: list[Probe]) -> list[str]:
    """Run each probe narrowed by _tag; return what went wrong, in words."""
    problems: list[str] = []
    for probe in probes:
        query = f"{t}?{probe.name}={probe.value}"
        response = await ctx.fhir.get(t, params={probe.name: probe.value, "_tag": ctx.tag_param})
        if response.status_code != 200:
            problems.append(f"search {query} answered {describe(response)}: {snippet(response, 80)}")
            continue
        bundle = searchset(response, f"search {query}")
        found = ids_of(bundle, t)
        if probe.should_find and rid not in found:
            problems.append(f"search {query} did not return {t}/{rid} ({len(found)} entries)"
                            + (f": expected because {probe.why}" if probe.why else ""))
        elif not probe.should_find and rid in found:
            problems.append(f"search {query} (which matches nothing of ours) returned {t}/{rid}")
    return problems
