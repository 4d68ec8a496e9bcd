"""The gs1-bedside suite's context: fhir-rest's FhirContext plus this run's scanned keys, and the search
helper every bedside question goes through.

Keys (GSRN, GLN, GTIN, batch, serial) are drawn fresh for each run, with valid check digits and a
leading zero, so a search by a key answers exactly what a bedside scanner would ask without narrowing
by the run's tag (a server that returns another run's patient for this wristband fails, as it should).
Every key reaches the suite as a scan parsed by conformance.gs1, the way a bedside system reads it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from conformance.checks import ProductKey, SuiteRuntime, skip, suite
from conformance.fhir import capability
from conformance.fhir.capability import Capability
from conformance.fhir.context import FhirContext
from conformance.fhir.expect import describe, entries, require_declared, searchset, snippet
from conformance.gs1 import validate
from conformance.gs1.linters import check_digit
from conformance.targets import BedsideSettings, Target
from conformance.transports.http import HttpResponse

SUITE_ID = "gs1-bedside"
METADATA: ProductKey[Capability] = ProductKey("gs1-bedside.capability.metadata")
GS = "\x1d"
# The same digits under a hospital's own numbering: a search that ignores the system finds this one too.
LOCAL_SYSTEM = "https://conformance.example/local-id"


def _digits(n: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(n))


def _key(prefix: str, length: int) -> str:
    """A GS1 key of ``length`` digits: leading zero, GS1 test prefix, random digits, check digit."""
    payload = prefix + _digits(length - 1 - len(prefix))
    return payload + str(check_digit(payload))


def _yymmdd(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).strftime("%y%m%d")


def scanned(text: str) -> dict[str, str]:
    """The AIs of a scan as a bedside system reads them (scanner form: symbology identifier, GS)."""
    result = validate(text, form="scanner")
    if not result.valid:  # the suite's own data: a harness bug, reported as an error
        raise RuntimeError(f"the suite's scan data {text!r} is not valid GS1: "
                           + "; ".join(i.diagnostics for i in result.issues))
    return result.ais


@dataclass
class Scans:
    """This run's barcodes, as a scanner delivers them."""

    wristband: str = field(default_factory=lambda: f"]d28018{_key('09501101', 18)}")
    emar_wristband: str = field(default_factory=lambda: f"]d28018{_key('09501101', 18)}")
    other_wristband: str = field(default_factory=lambda: f"]d28018{_key('09501101', 18)}")
    staff_badge: str = field(default_factory=lambda: f"]d28018{_key('09501101', 18)}")
    bed_label: str = field(default_factory=lambda: f"]C1414{_key('0950110', 13)}254BED-{_digits(3)}")
    recall_wristbands: tuple[str, ...] = field(
        default_factory=lambda: tuple(f"]d28018{_key('09501101', 18)}" for _ in range(3)))
    gtin: str = field(default_factory=lambda: _key("09501101", 14))
    other_gtin: str = field(default_factory=lambda: _key("09501101", 14))
    device_gtin: str = field(default_factory=lambda: _key("09501101", 14))
    lots: tuple[str, str] = field(default_factory=lambda: (f"0417A{_digits(5)}", f"0417B{_digits(5)}"))

    def pack(self, lot: str, serial: str, days_to_expiry: int, gtin: str = "") -> str:
        return f"]d201{gtin or self.gtin}17{_yymmdd(days_to_expiry)}10{lot}{GS}21{serial}"

    def device(self) -> str:
        return f"]d201{self.device_gtin}17{_yymmdd(700)}10{self.lots[0]}{GS}21DEV{_digits(8)}"


class BedsideContext(FhirContext):
    metadata_check = METADATA

    def __init__(self, target: Target, http: Any, run_id: str) -> None:
        super().__init__(target, http, run_id)
        self.scans = Scans()

    async def search(self, rtype: str, pairs: list[tuple[str, str]],
                     optional: str = "") -> tuple[str, list[dict[str, Any]]]:
        """GET ``rtype?pairs`` (repeats kept: AND); the query in words and the matched resources.

        A declared parameter answered with anything but a searchset is a failure of that search, except
        that an ``optional`` feature (chaining, which R4 lets a server leave out and no CapabilityStatement
        element declares) refused with an OperationOutcome ``not-supported`` is a skip naming it.
        """
        query = urlencode(pairs, safe="|:/,")
        what = f"search {rtype}?{query}"
        response: HttpResponse = await self.fhir.get(f"{rtype}?{query}")
        if optional and response.status_code in (400, 403, 501) and not_supported(response):
            skip(f"{what}: the server answered {describe(response)}, not-supported: {optional} is a feature R4 "
                 "does not require and the CapabilityStatement cannot declare, so it is not judged")
        bundle = searchset(response, what)
        return what, [r for r in entries(bundle) if r.get("resourceType") == rtype]

    def require_params(self, rtype: str, *params: str) -> None:
        """Skip unless ``rtype`` declares searching (search-type) and every one of ``params``."""
        cap = self.capability()
        cap.require(rtype, "search-type")
        missing = [p for p in params if p not in cap.search_params(rtype)]
        require_declared(not missing, f"search parameter {', '.join(missing)} on {rtype}")


def not_supported(response: HttpResponse) -> bool:
    """The response is an OperationOutcome whose error issue has code not-supported."""
    try:
        body = response.json()
    except ValueError:
        return False
    issues = body.get("issue") if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome" else None
    return isinstance(issues, list) and any(isinstance(i, dict) and i.get("code") == "not-supported"
                                            and i.get("severity") in ("error", "fatal") for i in issues)


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("id")) for r in found]


def local_ref(value: Any) -> str:
    """``{"reference": "[base/]Type/id[/_history/v]"}`` -> ``Type/id`` ("" if there is none)."""
    text = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(text, str):
        return ""
    return "/".join(text.split("/_history/")[0].split("/")[-2:])


def refusal_problem(response: HttpResponse) -> str | None:
    """None if the response refuses the write with an OperationOutcome carrying an error, else why not."""
    if 200 <= response.status_code < 300:
        return f"accepted silently ({describe(response)})"
    if not 400 <= response.status_code < 500:
        return f"answered {describe(response)}, neither an acceptance nor a refusal: {snippet(response)}"
    try:
        body = response.json()
    except ValueError:
        body = None
    issues = body.get("issue") if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome" else None
    if not isinstance(issues, list) or not any(
            isinstance(i, dict) and i.get("severity") in ("error", "fatal") for i in issues):
        return f"refused with {describe(response)} but no OperationOutcome with an error issue: {snippet(response)}"
    return None


def bedside(ctx: BedsideContext) -> BedsideSettings:
    """The target's ``[bedside]`` declaration (none: a generic FHIR server)."""
    return ctx.target.bedside


def gln_extension_system(ctx: BedsideContext) -> str:
    """The system the target keeps a GLN's extension (AI 254) under; "" when it declares none.

    No HL7 or GS1 FHIR mapping places AI 254, so a target that does not declare where it keeps it is
    asked for the GLN alone: a server that drops an identifier system it has no mapping for is correct.
    """
    return bedside(ctx).gln_extension_system


def require_emar(ctx: BedsideContext) -> None:
    if not bedside(ctx).emar:
        skip("bedside capability not declared in the target file (set [bedside] emar = true for an eMAR "
             "that checks administrations against the prescription and the scans)")


async def make_context(runtime: SuiteRuntime) -> BedsideContext:
    return BedsideContext.for_runtime(runtime)


SUITE = suite(
    id=SUITE_ID,
    title="GS1 at the bedside",
    context=make_context,
    description="Positive identification from scanned wristbands, badges and labels; product lookup by GTIN, "
    "batch, expiry and UDI; recall traceability; and, for a declared eMAR, refusal of a mismatch at the bedside.",
)

# fhir-rest's metadata check under this suite's id, so this suite's checks can read its product.
capability.metadata_check(METADATA)(capability.metadata)
