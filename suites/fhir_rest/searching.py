"""Search helpers shared by the search checks: run a query narrowed to this run's tag, and find our
resource's id among a searchset's matches (or its included resources)."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.fhir.context import FhirContext
from conformance.fhir.expect import describe, ids_of, searchset, snippet


@dataclass(frozen=True)
class Probe:
    name: str
    value: str
    should_find: bool
    # Why the harness expects a match: the R4 rule (the parameter's expression and what it selects in
    # our resource), so a vendor can see which part of the spec its server reads differently.
    why: str = ""


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
