"""Exercise an API's operations with schemathesis's generated cases, sending them ourselves.

schemathesis is used as a library: it reads the document, Hypothesis generates the cases (its
strategies, derandomised so a run is repeatable), and its own response checks judge each answer.
The requests go through the harness's HTTP transport so every case is evidence (credentials
scrubbed) and a hostile server is bounded like any other. Each schemathesis failure becomes one kind
of verdict: server errors (and dropped connections), response schema, status codes, content types.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.evidence.capture import collecting
from conformance.model import Evidence
from conformance.openapi.created import Created, created_by
from conformance.openapi.document import DocumentError, bounded
from conformance.transports.http import HttpResponse, HttpTransport, RequestNotSent, TransportError

KINDS = ("server-errors", "response-schema", "status-codes", "content-types")
EXAMPLE_CASES = 3  # cases per operation built from the document's examples, before the generated ones


@dataclass
class CaseResult:
    operation: str  # "GET /appointments"
    evidence: list[Evidence]
    failures: dict[str, str] = field(default_factory=dict)  # kind -> what schemathesis found
    status: int | None = None  # the response's status (None: the exchange broke)
    example: bool = False  # built from the document's own example/examples (a request it says succeeds)


@dataclass
class CasesRun:
    results: list[CaseResult] = field(default_factory=list)
    exercised: list[str] = field(default_factory=list)
    not_exercised: dict[str, str] = field(default_factory=dict)  # operation -> why
    stopped: str = ""  # why the run stopped early (time budget), or ""
    unsent: list[tuple[str, str]] = field(default_factory=list)  # (operation, why): cases the harness could not send

    def failing(self, kind: str) -> list[CaseResult]:
        return [r for r in self.results if kind in r.failures]


def _checks() -> dict[str, Any]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return {"server-errors": not_a_server_error, "response-schema": response_schema_conformance,
            "status-codes": status_code_conformance, "content-types": content_type_conformance}


def load_schema(doc: dict[str, Any]) -> Any:
    import schemathesis

    # An explicit default config: never pick up a schemathesis.toml from the working directory.
    return bounded(lambda: schemathesis.openapi.from_dict(doc, config=schemathesis.Config()), 20.0,
                   "schemathesis reading the document")


def generate(operation: Any, count: int, seconds: float) -> list[Any]:
    """Up to ``count`` positive cases for one operation (Hypothesis, derandomised), within ``seconds``."""
    from hypothesis import HealthCheck, Phase, given, settings

    cases: list[Any] = []

    @given(operation.as_strategy())
    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def collect(case: Any) -> None:
        cases.append(case)

    bounded(collect, seconds, f"generating cases for {operation.label}")
    return cases


def example_cases(operation: Any, count: int, seconds: float) -> list[Any]:
    """Up to ``count`` positive cases built from the document's ``example``/``examples`` for one operation
    (schemathesis's examples phase; unset parts generated from the schemas). Random values mostly meet a
    404 or 422 on a real API; the document's own examples are its statement of a request that succeeds,
    so they are what lets success responses be judged. [] when the document gives none."""
    from hypothesis import HealthCheck, Phase, given, settings

    strategies = bounded(lambda: list(operation.get_strategies_from_examples())[:count], seconds,
                         f"reading the examples of {operation.label}")
    cases: list[Any] = []
    for strategy in strategies:
        @given(strategy)
        @settings(max_examples=1, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def first(case: Any) -> None:
            cases.append(case)

        before = len(cases)
        bounded(first, seconds, f"building cases from the examples of {operation.label}")
        del cases[before + 1:]  # one case per combination of examples
    return cases


def security_headers(doc: dict[str, Any]) -> frozenset[str]:
    """The (lower-case) header names the document's security schemes put credentials in.

    The target's own credentials go there; schemathesis's generated values for them must not reach the
    wire (they replace the real token, so every case meets a 401). Negative auth testing is the security
    suite's work."""
    names = {"authorization"}  # http (basic, bearer), oauth2 and openIdConnect schemes all use it
    schemes = (doc.get("components") or {}).get("securitySchemes") if isinstance(doc.get("components"), dict) else None
    for scheme in (schemes or {}).values() if isinstance(schemes, dict) else ():
        if isinstance(scheme, dict) and scheme.get("type") == "apiKey" and scheme.get("in") == "header" \
                and isinstance(scheme.get("name"), str):
            names.add(scheme["name"].lower())
    return frozenset(names)


def _request(case: Any, base_url: str) -> tuple[str, str, dict[str, str], bytes | None, Any]:
    kwargs = case.as_transport_kwargs(base_url=base_url)
    headers = {k: str(v) for k, v in (kwargs.get("headers") or {}).items()
               if k.lower() not in ("user-agent", "accept-encoding", "connection")}
    content: bytes | None = None
    if "json" in kwargs:
        content = json.dumps(kwargs["json"]).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(kwargs.get("data"), bytes | str):
        data = kwargs["data"]
        content = data.encode() if isinstance(data, str) else data
    elif isinstance(kwargs.get("data"), dict):
        from urllib.parse import urlencode

        content = urlencode(kwargs["data"], doseq=True).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    cookies = kwargs.get("cookies") or {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return str(kwargs["method"]), str(kwargs["url"]), headers, content, kwargs.get("params") or None


def judge(case: Any, method: str, url: str, headers: dict[str, str], content: bytes | None,
          response: HttpResponse) -> dict[str, str]:
    """schemathesis's verdict on one exchange, per kind: {} when every check passed."""
    import requests
    import schemathesis
    from schemathesis.core.failures import FailureGroup

    prepared = requests.Request(method, response.url or url, headers=headers, data=content).prepare()
    wire: dict[str, list[str]] = {}
    for key, value in response.headers.multi_items():
        wire.setdefault(key.lower(), []).append(value)
    st_response = schemathesis.Response(response.status_code, wire, response.content, prepared,
                                        response.elapsed_ms / 1000, True)
    found: dict[str, str] = {}
    for kind, fn in _checks().items():
        try:
            case.validate_response(st_response, checks=[fn])
        except FailureGroup as group:
            found[kind] = "; ".join(f"{f.title}: {f.message.strip().splitlines()[0] if f.message.strip() else ''}"
                                    .rstrip(": ") for f in group.exceptions)[:500]
        except Exception as exc:  # noqa: BLE001 - a schemathesis limitation is not the target's failure
            found.setdefault("unjudged", f"{kind}: {type(exc).__name__}: {str(exc)[:200]}")
    return found


async def run_cases(
    doc: dict[str, Any],
    base_url: str,
    http: HttpTransport,
    *,
    allowed: Callable[[str, str], str | None],
    auth_headers: Callable[[], dict[str, str]],
    max_cases: int,
    budget: float,
    on_created: Callable[[Created], None] | None = None,
) -> CasesRun:
    """Generate and send cases for every operation ``allowed`` lets through (it returns why not, or None).

    ``on_created`` hears of each thing a case created (a 201), as soon as the answer is in.
    """
    import asyncio

    run = CasesRun()
    credentials = security_headers(doc)
    deadline = time.monotonic() + budget
    schema = await asyncio.to_thread(load_schema, doc)
    try:
        found = list(schema.get_all_operations())
    except Exception as exc:  # noqa: BLE001 - a bent document schemathesis cannot walk
        raise DocumentError(f"schemathesis could not list the document's operations ({type(exc).__name__}: "
                            f"{str(exc)[:200]})") from None
    for result in found:
        try:
            operation = result.ok()
        except Exception as exc:  # noqa: BLE001 - schemathesis could not read this operation
            run.not_exercised[str(getattr(exc, "path", "an operation"))] = f"schemathesis: {str(exc)[:200]}"
            continue
        method_name, op_path = getattr(operation, "method", None), getattr(operation, "path", None)
        if not isinstance(method_name, str) or not isinstance(op_path, str):
            run.not_exercised[repr(op_path)] = "schemathesis could not read this operation's method and path"
            continue
        label = f"{method_name.upper()} {op_path}"
        why = allowed(method_name.upper(), op_path)
        if why:
            run.not_exercised[label] = why
            continue
        left = deadline - time.monotonic()
        if left <= 0:
            run.stopped = f"the {budget:g} s budget for generated cases ran out"
            run.not_exercised[label] = run.stopped
            continue
        try:
            examples = await asyncio.to_thread(example_cases, operation, EXAMPLE_CASES, left)
        except DocumentError:
            examples = []  # examples schemathesis cannot read: the generated cases still run
        try:
            cases = examples + await asyncio.to_thread(generate, operation, max_cases, left)
        except DocumentError as exc:
            run.not_exercised[label] = str(exc)
            continue
        run.exercised.append(label)
        for n, case in enumerate(cases):
            if time.monotonic() > deadline:
                run.stopped = f"the {budget:g} s budget for generated cases ran out"
                break
            method, url, headers, content, params = _request(case, base_url)
            headers = {k: v for k, v in headers.items() if k.lower() not in credentials}
            with collecting() as sink:
                try:
                    response = await http.request(method, url, headers={**headers, **auth_headers()},
                                                  content=content, params=params)
                except RequestNotSent as exc:  # nothing reached the server: not its fault, not judged
                    run.unsent.append((label, str(exc)))
                    continue
                except TransportError as exc:
                    if str(exc).startswith("could not connect"):
                        raise
                    run.results.append(CaseResult(label, list(sink), {"server-errors": str(exc)}))
                    continue
            made = created_by(doc, method, operation.path, url, response)
            if made is not None and on_created is not None:
                on_created(made)
            failures = await asyncio.to_thread(judge, case, method, url, headers, content, response)
            run.results.append(CaseResult(label, list(sink), failures, response.status_code, n < len(examples)))
    return run
