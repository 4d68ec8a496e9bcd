"""Probe every endpoint a target declares before any check runs.

A run against a port where nothing listens used to produce hundreds of errored checks stored as
evidence; "no evidence" must not become "not met". A cheap connect (FHIR: GET metadata) first.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from conformance.errors import TargetUnreachable
from conformance.transports.settings import mllp_address
from conformance.transports.tls import tls_context

if TYPE_CHECKING:
    from conformance.targets import Target

PROBE_TIMEOUT = 10.0


class UnreachableError(TargetUnreachable):
    """A declared endpoint did not answer; the message is one sentence naming it.

    ``what`` is the sentence without its ending, for a re-probe during a run (where things were run).
    """

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}; nothing was run or stored")
        self.what = what


def _connect(host: str, port: int, what: str, shown: str) -> None:
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT):
            pass
    except OSError as exc:
        raise UnreachableError(f"the {what} endpoint {shown} is unreachable ({exc.strerror or exc})") from None


def probe(target: Target) -> None:
    """Raise UnreachableError for the first declared endpoint that cannot be reached."""
    for kind, spec in target.endpoints.items():
        if spec.startswith(("/", ".")):
            continue  # a local file (an OpenAPI document), not a network endpoint
        if kind == "mllp":
            host, port = mllp_address(spec)
            _connect(host, port, kind, spec)
            continue
        parts = urlsplit(spec)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        _connect(parts.hostname or "", port, kind, spec)
        if kind == "fhir":
            try:
                asyncio.run(_metadata_headers(spec, target.http.verify_tls))
            except TimeoutError:
                raise UnreachableError(f"the fhir endpoint {spec} did not answer GET metadata within "
                                       f"{PROBE_TIMEOUT:g} s") from None
            except httpx.HTTPError as exc:
                raise UnreachableError(f"the fhir endpoint {spec} did not answer GET metadata "
                                       f"({type(exc).__name__})") from None


async def _metadata_headers(spec: str, verify: bool) -> None:
    """GET metadata, headers only: the body is never read here (the checks read it, bounded), so a hostile
    CapabilityStatement cannot cost memory before the run starts. The whole answer is bounded in time:
    httpx's timeouts are per read, and a server dribbling its headers a byte at a time held the probe
    (and so ``conformance run``, whose deadline starts later) for ever."""
    client = httpx.AsyncClient(timeout=PROBE_TIMEOUT, verify=tls_context(verify))  # shared: no CA bundle load
    async with client, asyncio.timeout(PROBE_TIMEOUT):
        async with client.stream("GET", spec + "/metadata"):
            pass


async def reprobe(target: Target) -> str | None:
    """During a run, after consecutive connection failures: None if the target answers, else why not."""
    try:
        await asyncio.to_thread(probe, target)
    except UnreachableError as exc:
        return exc.what
    return None
