"""Delete what earlier runs' API calls created on a target, as their journals (ledger.py) name it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from conformance.auth.client import OAuthClient, TokenError
from conformance.cleanup.ledger import Ledger
from conformance.cleanup.report import Report
from conformance.fhir.tags import RUN_HEADER
from conformance.transports.http import BodyBeyondLimit, HttpTransport, TransportError

if TYPE_CHECKING:
    from conformance.targets import Target


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def api_origins(target: Target) -> set[str]:
    endpoints = target.endpoints
    return {_origin(endpoints[k]) for k in ("api", "openapi") if str(endpoints.get(k, "")).startswith("http")}


async def _authorization(http: HttpTransport, target: Target) -> dict[str, str]:
    """A bearer token by the target's OAuth settings (as the openapi suite gets one), or nothing."""
    oauth = target.oauth
    if not oauth.configured:
        return {}
    endpoint = oauth.token_endpoint
    if not endpoint:
        fhir = oauth.smart_fhir or target.endpoints.get("fhir", "")
        try:
            found = await (await http.request("GET", f"{fhir}/.well-known/smart-configuration",
                                              headers={"Accept": "application/json"})).ajson()
        except (TransportError, ValueError, BodyBeyondLimit):
            found = None
        endpoint = found.get("token_endpoint", "") if isinstance(found, dict) else ""
        if not endpoint:
            raise TokenError("no token endpoint (oauth.token_endpoint, or a SMART configuration naming one)")
    token = await OAuthClient(http, oauth, str(endpoint)).any_token(oauth.scopes or "")
    return {"Authorization": f"Bearer {token.access_token}"}


async def sweep_api(target: Target, ledger: Ledger, run_id: str | None, report: Report, dry_run: bool,
                    transport: Any = None) -> None:
    """DELETE each journalled item on this target's API that the document said can be deleted."""
    origins = api_origins(target)
    pending = {run: [e for e in entries if _origin(str(e["url"])) in origins]
               for run, entries in ledger.pending(run_id).items()}
    if not any(pending.values()):
        return
    http = HttpTransport(target.http, target.auth, transport=transport,
                         origin=target.endpoints.get("api") or target.endpoints.get("openapi"))
    try:
        headers: dict[str, str] = {}
        if not dry_run:
            try:
                headers = await _authorization(http, target)
            except (TokenError, TransportError) as exc:
                report.problems.append(f"API clean-up: no token to delete with: {exc}")
                return
        for run, entries in pending.items():
            for entry in entries:
                row = report.row(_origin(entry["url"]), str(entry.get("operation", "created")))
                row.found += 1
                if dry_run or not entry.get("deletable"):
                    row.remaining += 1
                    if not entry.get("deletable"):
                        row.refused[entry["url"]] = "the API document describes no DELETE for it"
                    continue
                try:
                    response = await http.request("DELETE", entry["url"], headers={**headers, RUN_HEADER: run})
                except TransportError as exc:
                    row.remaining += 1
                    row.refused[entry["url"]] = str(exc)
                    continue
                if 200 <= response.status_code < 300 or response.status_code in (404, 410):
                    row.deleted += 1
                    ledger.deleted(run, entry["url"])
                else:
                    row.remaining += 1
                    row.refused[entry["url"]] = f"DELETE answered {response.status_code}"
            if not dry_run:
                ledger.settle(run)
    finally:
        await http.aclose()
