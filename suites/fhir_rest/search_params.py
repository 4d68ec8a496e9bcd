"""Per-type searches by every declared string, token, date and reference parameter.

For each parameter the CapabilityStatement declares on the type whose FHIRPath expression selects a
value in the resource we created (read back from the server), the check builds queries narrowed to
this run with ``_tag``: the ones that must find our resource do, and a value that cannot match does
not (so a server that ignores the parameter fails). A ``<type>.<kind>`` check exists only where some
R4 parameter of that kind has a value in our fixture; meta parameters (``_id``, ``_lastUpdated``,
``_tag``...) are not fixture data and are left out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from conformance.checks import check, fail, skip
from conformance.fhir import fixtures
from conformance.fhir import searchparams as sp
from conformance.fhir.context import FhirContext
from conformance.fhir.expect import expect_resource, expect_status
from conformance.fhir.fixtures import TYPES
from suites.fhir_rest.context import METADATA
from suites.fhir_rest.crud import cid, created
from suites.fhir_rest.searching import Probe, run_probes

KINDS = ("string", "token", "date", "reference")
NO_MATCH = "zqxw"


def escape(value: str) -> str:
    for ch in ("\\", ",", "$", "|"):
        value = value.replace(ch, "\\" + ch)
    return value


def rule(name: str, resource: dict[str, object], param: sp.SearchParam, value: str) -> str:
    """The R4 rule behind an expected match: ``deceased`` is ``Patient.deceased.exists() and ...``, which
    gives 'false' for our Patient (it has no deceased element)."""
    elements = sorted({m for m in re.findall(rf"\b{param.resource_type}\.([a-z][A-Za-z]*)", param.expression)})
    absent = [e for e in elements if not any(k == e or (k.startswith(e) and k[len(e):][:1].isupper())
                                             for k in resource)]
    note = f" (it has no {', no '.join(absent)} element)" if absent else ""
    return (f"R4 defines {name} by the expression {param.expression}, which selects {value!r} in our "
            f"{param.resource_type}{note}")


def string_probes(name: str, resource: dict[str, object], param: sp.SearchParam, nonce: str) -> list[Probe]:
    values = [v.strip() for v in sp.strings(resource, param) if v.strip()]
    if not values:
        return []
    start = values[0][:4].rstrip() or values[0][:4]
    return [Probe(name, escape(start), True, rule(name, resource, param, values[0])),
            Probe(name, f"{NO_MATCH}{nonce[-6:]}", False)]


def token_probes(name: str, resource: dict[str, object], param: sp.SearchParam, nonce: str) -> list[Probe]:
    pairs = sp.tokens(resource, param)
    if not pairs:
        return []
    system, code = next((p for p in pairs if p[0]), pairs[0])
    why = rule(name, resource, param, f"{system}|{code}" if system else code)
    probes = [Probe(name, escape(code), True, why)]
    if system:
        probes.append(Probe(name, f"{escape(system)}|{escape(code)}", True, why))
        probes.append(Probe(name, f"https://conformance.example/not-a-system|{escape(code)}", False))
    else:
        probes.append(Probe(name, f"{escape(code)}{NO_MATCH}{nonce[-4:]}", False))
    return probes


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def date_probes(name: str, resource: dict[str, object], param: sp.SearchParam, nonce: str) -> list[Probe]:
    finite = [(a, b) for a, b in sp.dates(resource, param)
              if a.year > 1 and b.year < 9999]
    if not finite:
        return []
    start, end = finite[0]
    last = end - timedelta(microseconds=1)
    # The plain (eq) value: the finest of day, month, year whose range holds the whole value.
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        plain = start.astimezone(UTC).strftime(fmt)
        if plain == last.astimezone(UTC).strftime(fmt):
            break
    else:
        return []
    before, after = _day(start - timedelta(days=2)), _day(last + timedelta(days=2))
    why = rule(name, resource, param, f"{start.isoformat()} to {end.isoformat()}")
    return [Probe(name, plain, True, why), Probe(name, f"ge{before}", True, why), Probe(name, f"le{after}", True, why),
            Probe(name, f"gt{after}", False), Probe(name, f"lt{before}", False)]


def reference_probes(name: str, resource: dict[str, object], param: sp.SearchParam, nonce: str) -> list[Probe]:
    refs = [r for r in sp.references(resource, param) if "/" in r]
    if not refs:
        return []
    rtype, rid = refs[0].split("/_history/")[0].rstrip("/").split("/")[-2:]
    why = rule(name, resource, param, refs[0])
    probes = [Probe(name, f"{rtype}/{rid}", True, why)]
    if len(param.target) == 1:
        probes.append(Probe(name, rid, True, why))
    probes.append(Probe(name, f"{rtype}/{nonce}", False))
    return probes


BUILDERS = {"string": string_probes, "token": token_probes, "date": date_probes, "reference": reference_probes}


def _register(t: str, kind: str) -> None:
    @check(
        id=f"fhir-rest.search.{t.lower()}.{kind}",
        title=f"Search {t} by each declared {kind} parameter: our resource found, a non-matching value not",
        requirements=["FHIR-R4:http.html#search", f"FHIR-R4:search.html#{kind}"],
        capabilities=["open-api", "interoperability"],
        needs=[METADATA, cid(t, "create")],
        after=[cid(t, "read"), cid(t, "update")],
    )
    async def search(ctx: FhirContext) -> None:
        cap = ctx.capability()
        cap.require(t, "search-type")
        made = created(ctx, t)
        path = f"{t}/{made['id']}"
        response = await ctx.fhir.get(path)
        expect_status(response, (200,), f"GET {path} (to learn its current values)")
        resource = expect_resource(response, t, f"GET {path}")
        declared = cap.search_params(t)
        probes: list[Probe] = []
        for name in declared:
            param = sp.lookup(t, name)
            if not name.startswith("_") and param is not None and param.type == kind:
                probes += BUILDERS[kind](name, resource, param, ctx.unique_id())
        if not probes:
            skip(f"{kind} search parameters that select a value in our {t} not declared in CapabilityStatement")
        problems = await run_probes(ctx, t, made["id"], probes)
        if problems:
            more = f" (and {len(problems) - 6} more)" if len(problems) > 6 else ""
            fail("; ".join(problems[:6]) + more)


def applicable(t: str, kind: str) -> bool:
    """Whether any R4 parameter of ``kind`` on ``t`` selects a value in our fixture (ids made up)."""
    resource = fixtures.build(t, {d: "example" for d in fixtures.dependencies(t)})
    for code in sp.table().get(t, {}):
        param = sp.lookup(t, code)
        if param is not None and param.type == kind and not code.startswith("_") and sp.select(resource, param):
            return True
    return False


for _type in TYPES:
    for _kind in KINDS:
        if applicable(_type, _kind):
            _register(_type, _kind)
