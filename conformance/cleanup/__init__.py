"""``conformance cleanup``: remove what earlier runs left on a sandbox target, killed runs included.

FHIR endpoints are searched by the harness's tag (``fhir.py``); an API's creations are read from the
journal runs keep (``ledger.py``, ``api.py``). Only a target marked ``sandbox = true``: this deletes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.cleanup.api import sweep_api
from conformance.cleanup.fhir import sweep
from conformance.cleanup.ledger import DEFAULT, Ledger
from conformance.cleanup.report import Report
from conformance.errors import UsageError
from conformance.fhir.client import FhirClient
from conformance.fhir.tags import TAG_SYSTEM, run_tag, tag_param
from conformance.transports.http import HttpTransport

if TYPE_CHECKING:
    from conformance.targets import Target

__all__ = ["NotSandboxError", "Report", "clean", "fhir_endpoints", "require_sandbox"]


class NotSandboxError(UsageError):
    """Clean-up deletes data: refused on a target not marked as a sandbox."""


def fhir_endpoints(target: Target) -> list[str]:
    """Every FHIR base the suites write to: endpoints.fhir and the realtime suite's A and B."""
    endpoints = target.endpoints
    found = [endpoints.get("fhir", ""), target.realtime.endpoint_a(endpoints), target.realtime.endpoint_b(endpoints)]
    out: list[str] = []
    for url in found:
        url = str(url or "").rstrip("/")
        if url and url not in out:
            out.append(url)
    return out


def require_sandbox(target: Target) -> None:
    if not target.sandbox:
        raise NotSandboxError(f"{target.name or target.source}: not marked sandbox = true; cleanup deletes data, "
                              "so it runs only against a sandbox (set sandbox = true in the target file, or --sandbox)")


async def clean(target: Target, run_id: str | None = None, dry_run: bool = False, transport: Any = None,
                ledger_dir: Path | None = None) -> Report:
    """Find (and unless ``dry_run``, delete) what the harness left on ``target``; say what and how it went."""
    require_sandbox(target)
    tag = tag_param(run_tag(run_id)) if run_id else f"{TAG_SYSTEM}|"
    report = Report(str(target.name or target.source), tag, dry_run)
    bases = fhir_endpoints(target)
    clients = [(FhirClient(base, http), http) for base in bases
               for http in [HttpTransport(target.http, target.auth, transport=transport, origin=base)]]
    try:
        # Subscriptions first on every endpoint, so nothing is notified of the deletes; then the rest.
        for subscriptions in (True, False):
            for fhir, _ in clients:
                await sweep(fhir, tag, report, dry_run, subscriptions)
    finally:
        for _, http in clients:
            await http.aclose()
    await sweep_api(target, Ledger(ledger_dir or DEFAULT), run_id, report, dry_run, transport)
    return report
