"""The sandbox over real loopback HTTP (uvicorn in a thread): start, serve, stop."""

from __future__ import annotations

import httpx
import pytest

from conformance.sandbox.faults import parse_faults
from conformance.sandbox.server import SandboxServer
from tests.sandbox.conftest import patient


def test_server_serves_on_loopback_and_stops() -> None:
    with SandboxServer(parse_faults(["create-200-not-201"])) as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/fhir")
        with httpx.Client(base_url=server.base_url + "/", timeout=5) as client:
            assert client.get("metadata").json()["resourceType"] == "CapabilityStatement"
            created = client.post("Patient", json=patient())
            assert created.status_code == 200  # the fault is applied over the wire too
            assert created.headers["location"].startswith(server.base_url + "/Patient/")
        url = server.base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/metadata", timeout=2)


def test_server_refuses_non_loopback_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(parse_faults([]), host="0.0.0.0")
