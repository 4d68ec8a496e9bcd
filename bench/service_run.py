#!/usr/bin/env python3
"""A run started through the service against ``builtin:sandbox``, against ``conformance demo`` doing the same.

    .venv/bin/python bench/service_run.py [--suite ID]...

In a temporary directory: a store with one admin, the service in process (httpx over ASGI) with a
``builtin:sandbox`` target, ``POST /api/v1/runs`` with a ``runs:write`` token, the status polled every
0.2 s until the run ends, then its JUnit. Then ``conformance demo`` with the same suites in a
subprocess. Prints both times, their ratio, and both summaries (they should agree check for check).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI

from conformance.evidence.store import EvidenceStore
from conformance.service.accounts import add_user, parse_grant
from conformance.service.app import create_app
from conformance.service.auth import Principal, create_token
from conformance.service.runs_start import FINAL, Launcher
from conformance.service.secretbox import load_box
from conformance.service.targets import register


async def through_service(app: FastAPI, token: str, target: int, suites: list[str]) -> tuple[float, dict[str, object]]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service",
                                 headers={"authorization": f"Bearer {token}"}, timeout=60) as http:
        started = time.perf_counter()
        run = (await http.post("/api/v1/runs", json={"target": target, "suites": suites})).json()["run"]
        while (status := (await http.get(f"/api/v1/runs/{run}/status")).json())["state"] not in FINAL:
            await asyncio.sleep(0.2)
        took = time.perf_counter() - started
        if status["state"] == "complete":
            status["junit_status"] = (await http.get(f"/api/v1/runs/{run}/junit")).status_code
        return took, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="append", default=[], help="a suite id (repeatable; default every suite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        with EvidenceStore(f"sqlite:///{directory / 'service.db'}", find_key=False) as store:
            add_user(store, "admin", "synthetic bench password", "admin")
            launcher = Launcher(store, load_box(directory / "service.key"), directory / "reports")
            app = create_app(store)
            app.state.launcher = launcher
            admin = Principal(1, "admin", (parse_grant("admin", ""),), frozenset())
            target = register(store, launcher.box, admin, name="builtin", ods_code="X26", vendor="conformance",
                              product="sandbox", fhir_url="builtin:sandbox", sandbox=True, auth_type="none")
            _, token = create_token(store, "admin", ("runs:read", "runs:write"))
            try:
                service_s, status = asyncio.run(through_service(app, token, target.id, args.suite))
            finally:
                launcher.close()
        started = time.perf_counter()
        suites = [x for s in args.suite for x in ("--suite", s)]
        subprocess.run([sys.executable, "-m", "conformance.cli", "demo", "--out", str(directory / "demo"),
                        "--store", f"sqlite:///{directory / 'demo.db'}", *suites],
                       cwd=directory, capture_output=True, check=False)
        demo_s = time.perf_counter() - started
        demo = json.loads((directory / "demo" / "report.json").read_text())["summary"]
    print(f"service (builtin:sandbox, API): {service_s:6.1f} s  {status['state']}  {status['counts']}  "
          f"JUnit {status.get('junit_status', '-')}")
    print(f"conformance demo (subprocess):  {demo_s:6.1f} s  {demo}")
    print(f"ratio service / demo: {service_s / demo_s:.2f}")


if __name__ == "__main__":
    main()
