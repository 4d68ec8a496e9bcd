"""A FHIR terminology server's ``$validate-code`` behind the terminology-service seam (tx_service.py).

Off unless a server is named (``Options.tx_server``, ``validate fhir --tx-server URL``): the validator otherwise
never makes a network call. The request is the one HL7's validator sends (TerminologyClient / BaseWorkerContext
.validateOnServer): ``ValueSet/$validate-code`` with ``url`` and ``valueSetVersion`` or the value set itself
(``valueSet``), or ``CodeSystem/$validate-code`` for a code alone; ``coding`` or ``codeableConcept``,
``displayLanguage``, and the options that change the answer. The answer is read as
BaseWorkerContext.processValidationResult reads it: ``result``, ``message``, ``display``, the ``issues``
OperationOutcome, ``x-caused-by-unknown-system`` (CODESYSTEM_UNSUPPORTED, with a version
CODESYSTEM_UNSUPPORTED_VERSION) and ``cause``. A server that fails, or answers something else than Parameters,
gives HL7's SERVER_ERROR result: a warning that the code was not checked, never a verdict on it.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

from conformance.fhirval.source import objects
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
    for p in objects(out.get("parameter")):
        name = p.get("name")
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


_MAX_BODY = 4 * 1024 * 1024  # a $validate-code answer is a few KB: past this it is not read
_DEADLINE = 60.0  # seconds for one request, every phase together (httpx's timeout is per phase)
_FAILURES_DOWN = 3  # failures in a row after which the server is taken as down for the rest of the process
_REMEMBERED = 20_000  # answers kept: HL7's client asks a request once (its in-memory TerminologyCache)
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def server_base(url: str) -> str:
    """The base URL requests go to. As HL7's ManagedWebAccess.makeSecureRef, ``http://`` becomes ``https://``
    (loopback aside, a server the user runs here), so a patient's codes never cross a network in clear text; a
    URL carrying credentials (``user:secret@``) is refused, as they would be sent in clear and shown in messages."""
    parsed = httpx.URL(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"a terminology server is an http(s) URL, not {url!r}")
    if parsed.userinfo:
        raise ValueError("a terminology server URL cannot carry credentials")
    if parsed.scheme == "http" and parsed.host not in _LOOPBACK:
        parsed = parsed.copy_with(scheme="https")
    return str(parsed).rstrip("/")


def failed(why: str) -> TxAnswer:
    """What a failing server gives: HL7's SERVER_ERROR result (BaseWorkerContext.validateOnServer's catch), a
    warning that the code was not checked, never a verdict on it."""
    return TxAnswer(severity="error", message=why, error_class="SERVER_ERROR")


class TxServer:
    """``$validate-code`` on a FHIR terminology server at ``base`` (one connection pool per validation process).
    Every request is answered: by the server, or, when it fails (unreachable, an HTTP error, more than
    ``_MAX_BODY`` bytes, past ``_DEADLINE``, a body that is not Parameters), by :func:`failed`. Answers are kept,
    so a request is sent once; a server that failed ``_FAILURES_DOWN`` times in a row is not asked again."""

    def __init__(self, base: str, client: httpx.Client | None = None, timeout: float = 15.0) -> None:
        self.base = server_base(base)
        self._client = client or httpx.Client(timeout=timeout, headers={"Accept": "application/fhir+json"},
                                              follow_redirects=False)
        self._answers: dict[TxRequest, TxAnswer] = {}
        self._failures = 0
        self._down: str | None = None
        self._lock = threading.Lock()

    def validate(self, request: TxRequest) -> TxAnswer | None:
        if not request.codings:
            return None
        with self._lock:
            known, down = self._answers.get(request), self._down
        if known is not None:
            return known
        if down is not None:
            return failed(down)
        answer, ok = self._ask(request)
        with self._lock:
            self._failures = 0 if ok else self._failures + 1
            if self._failures >= _FAILURES_DOWN and self._down is None:
                self._down = f"{answer.message}; the server failed {_FAILURES_DOWN} times in a row and is not " \
                             f"asked again"
            if len(self._answers) < _REMEMBERED:
                self._answers[request] = answer
        return answer

    def _ask(self, request: TxRequest) -> tuple[TxAnswer, bool]:
        """The answer, and whether the server gave one."""
        kind = "ValueSet" if request.value_set is not None else "CodeSystem"
        where = f"the terminology server {self.base}"
        started = time.monotonic()
        try:
            with self._client.stream("POST", f"{self.base}/{kind}/$validate-code", json=parameters(request),
                                     headers={"Content-Type": "application/fhir+json"}) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > _MAX_BODY:
                        return failed(f"{where} answered more than {_MAX_BODY // 1024 // 1024} MB; the code was "
                                      f"not checked"), False
                    if time.monotonic() - started > _DEADLINE:
                        return failed(f"{where} took more than {_DEADLINE:.0f} s; the code was not checked"), False
                status = response.status_code
        except httpx.HTTPError as exc:
            return failed(f"{where} could not be reached ({type(exc).__name__}); the code was not checked"), False
        if not 200 <= status < 300:
            return failed(f"{where} answered HTTP {status}; the code was not checked"), False
        try:
            answer = answer_of(json.loads(bytes(body)))
        except (ValueError, RecursionError):
            answer = None
        if answer is None:
            return failed(f"{where} answered something other than a FHIR Parameters resource; the code was not "
                          f"checked"), False
        return answer, True
