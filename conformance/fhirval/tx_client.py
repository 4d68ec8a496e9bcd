"""A FHIR terminology server's ``$validate-code`` behind the terminology-service seam (tx_service.py).

Off unless a server is named (``Options.tx_server``, ``validate fhir --tx-server URL``): the validator otherwise
never makes a network call. The request is the one HL7's validator sends (TerminologyClient / BaseWorkerContext
.validateOnServer): ``ValueSet/$validate-code`` with ``url`` and ``valueSetVersion`` or the value set itself
(``valueSet``), or ``CodeSystem/$validate-code`` for a code alone; ``coding`` or ``codeableConcept``,
``displayLanguage``, and the options that change the answer. The answer is read as
BaseWorkerContext.processValidationResult reads it: ``result``, ``message``, ``display``, the ``issues``
OperationOutcome, ``x-caused-by-unknown-system`` (CODESYSTEM_UNSUPPORTED, with a version
CODESYSTEM_UNSUPPORTED_VERSION) and ``cause``. A server that fails, or answers something else than Parameters,
gives no answer: the code stays unjudged.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from conformance.fhirval.tx_service import TxAnswer, TxCoding, TxRequest, answer_from

_CAUSES = {"unknown": "UNKNOWN", "not-found": "CODESYSTEM_UNSUPPORTED", "not-supported": "VALUESET_UNSUPPORTED"}


def _coding(coding: TxCoding) -> dict[str, str]:
    return {k: v for k, v in (("system", coding.system), ("version", coding.version), ("code", coding.code),
                              ("display", coding.display)) if v is not None}


def parameters(request: TxRequest) -> dict[str, Any]:
    """The ``$validate-code`` Parameters for a request."""
    params: list[dict[str, Any]] = []
    if request.concept:
        params.append({"name": "codeableConcept", "valueCodeableConcept": {
            "coding": [_coding(c) for c in request.codings]}})
    else:
        params.append({"name": "coding", "valueCoding": _coding(request.codings[0])})
        if request.codings[0].system is None:
            params.append({"name": "inferSystem", "valueBoolean": True})  # HL7's guessSystem
    vs = request.value_set
    if vs is not None and vs.url is not None:
        params.append({"name": "url", "valueUri": vs.url})
        if vs.version:
            params.append({"name": "valueSetVersion", "valueString": vs.version})
    elif vs is not None and vs.compose is not None:
        essence = json.loads(vs.compose)
        resource: dict[str, Any] = {"resourceType": "ValueSet", "status": "active"}
        if essence.get("compose") is not None:
            resource["compose"] = essence["compose"]
        if essence.get("contains"):
            resource["expansion"] = {"contains": essence["contains"]}
        params.append({"name": "valueSet", "resource": resource})
    params.append({"name": "displayLanguage", "valueCode": request.language})
    if request.display_warning:
        params.append({"name": "lenient-display-validation", "valueBoolean": True})
    if request.membership_only:
        params.append({"name": "mode", "valueCode": "NO_MEMBERSHIP_CHECK"})
    if request.active_only:
        params.append({"name": "activeOnly", "valueBoolean": True})
    return {"resourceType": "Parameters", "parameter": params}


def answer_of(out: Any) -> TxAnswer | None:
    """A TxAnswer from the server's Parameters (processValidationResult); None for anything else."""
    if not isinstance(out, dict) or out.get("resourceType") != "Parameters":
        return None
    ok, record, cls = False, {}, "UNKNOWN"
    for p in out.get("parameter") or ():
        name = p.get("name") if isinstance(p, dict) else None
        if name == "result":
            ok = p.get("valueBoolean") is True
        elif name in ("message", "display"):
            record["error" if name == "message" else name] = p.get("valueString")
        elif name == "issues" and isinstance(p.get("resource"), dict):
            record["issues"] = p["resource"]
        elif name == "x-caused-by-unknown-system":
            unknown = p.get("valueCanonical") or p.get("valueUri") or ""
            cls = "CODESYSTEM_UNSUPPORTED_VERSION" if "|" in str(unknown) else "CODESYSTEM_UNSUPPORTED"
        elif name == "cause":
            cls = _CAUSES.get(str(p.get("valueString") or p.get("valueCode")), "UNKNOWN")
    if not ok:
        record.update(severity="error", **{"class": cls})
    elif record.get("error"):
        record["severity"] = "warning"
    return answer_from(record)


class TxServer:
    """``$validate-code`` on a FHIR terminology server at ``base`` (one connection pool per validation process)."""

    def __init__(self, base: str, client: httpx.Client | None = None, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout, headers={"Accept": "application/fhir+json"})

    def validate(self, request: TxRequest) -> TxAnswer | None:
        if not request.codings:
            return None
        kind = "ValueSet" if request.value_set is not None else "CodeSystem"
        try:
            response = self._client.post(f"{self.base}/{kind}/$validate-code", json=parameters(request),
                                         headers={"Content-Type": "application/fhir+json"})
            return answer_of(response.json()) if response.status_code < 500 else None
        except (httpx.HTTPError, ValueError):
            return None  # no answer: unjudged, as without a server
