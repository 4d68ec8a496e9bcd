"""A run as FHIR R4 TestReport resources: the report form FHIR tooling and registries already read.

One TestReport per suite (a TestReport reports on one TestScript; here the suite plays that part),
one ``test`` per check, its single ``assert`` action carrying our outcome. R4's assert result codes
are pass | skip | fail | warning | error, so our four outcomes map one to one and stay apart.
Written by hand from plain dicts: the fhir.resources models are R4B, not R4 (see issue notes), and
the tests validate the output against the official R4 JSON Schema instead.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from conformance.model import CheckResult, RunResult, Status
from conformance.reporting.common import by_suite, jsonable, write_atomic

TAG_SYSTEM = "https://conformance.example/run"


def build_testreports(result: RunResult) -> dict[str, Any]:
    """A collection Bundle holding one TestReport per suite in the run."""
    entries = [
        {"fullUrl": f"urn:uuid:{_uuid(result.run.id, suite)}", "resource": _report(result, suite, checks)}
        for suite, checks in by_suite(result).items()
        if checks
    ]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    if result.run.finished:
        bundle["timestamp"] = result.run.finished
    return bundle


def _report(result: RunResult, suite: str, checks: list[CheckResult]) -> dict[str, Any]:
    run = result.run
    judged = [c for c in checks if c.status in (Status.PASS, Status.FAIL)]
    failed = any(c.required and c.status in (Status.FAIL, Status.ERROR) for c in checks)
    report: dict[str, Any] = {
        "resourceType": "TestReport",
        "identifier": {"system": TAG_SYSTEM, "value": f"{run.id}/{suite}"},
        "name": f"{suite} against {run.target.get('name') or run.target.get('source', 'target')}",
        # An aborted run (the target died, the deadline, Ctrl-C) is "stopped" and gives no verdict.
        "status": "stopped" if run.aborted else ("completed" if run.finished else "in-progress"),
        "testScript": {"display": f"conformance suite {suite} (harness {run.harness_version})"},
        "result": "pending" if run.aborted else ("fail" if failed else ("pass" if run.finished else "pending")),
        "tester": f"conformance {run.harness_version}",
        "participant": _participants(run.target),
        "test": [_test(c) for c in checks],
    }
    if judged:
        report["score"] = round(100 * sum(c.status is Status.PASS for c in judged) / len(judged), 2)
    if run.finished:
        report["issued"] = run.finished
    return report


def _participants(target: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, uri in sorted((target.get("endpoints") or {}).items()):
        if isinstance(uri, str) and "://" in uri:
            out.append({"type": "server", "uri": uri, "display": f"{target.get('name', '')} ({name})".strip()})
    return out


def _test(check: CheckResult) -> dict[str, Any]:
    assertion: dict[str, Any] = {"result": check.status.value}
    message = check.message or check.status.value
    requirement = ", ".join(check.requirements)
    assertion["message"] = f"{message} [{'required' if check.required else 'optional'}; {requirement}]"
    return {
        "name": check.id,
        "description": check.title,
        "action": [{"assert": assertion}],
    }


def _uuid(run_id: str, suite: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{TAG_SYSTEM}/{run_id}/{suite}"))


def write_testreport(result: RunResult, path: Path) -> None:
    text = json.dumps(jsonable(build_testreports(result)), indent=2, ensure_ascii=False) + "\n"
    write_atomic(Path(path), text.encode("utf-8"))
