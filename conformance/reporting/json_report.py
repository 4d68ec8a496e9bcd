"""The run-output JSON: exactly the contract in DESIGN.md section 3, which CI scripts depend on.

``{"run": {...}, "results": [...], "summary": {"pass", "fail", "skip", "error"}}`` as
:meth:`RunResult.to_dict` makes it. The writer only makes it safe to parse everywhere: values that are
not JSON (NaN or infinite metrics, odd types) become ``null`` or text, and lone surrogates (which no
UTF-8 file can hold) become U+FFFD, instead of producing a file that strict parsers reject.
:func:`read_json` turns such a file back into a
:class:`RunResult`, so reports can be re-rendered and runs compared without the store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance import safejson
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.reporting.common import ReportError, jsonable, write_atomic

RUN_KEYS = ("id", "started", "finished", "target", "harness_version")
RESULT_KEYS = (
    "id",
    "suite",
    "title",
    "status",
    "required",
    "requirements",
    "capabilities",
    "message",
    "duration_ms",
    "evidence",
    "metrics",
)
SUMMARY_KEYS = tuple(s.value for s in Status)


def render_json(result: RunResult) -> str:
    """The report as text: UTF-8-ready, indented by 2, ending in a newline."""
    data = jsonable(result.to_dict())
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(result: RunResult, path: Path) -> None:
    write_atomic(Path(path), render_json(result).encode("utf-8"))


def read_json(path: Path) -> RunResult:
    """Load a report written by :func:`write_json`; ``ReportError`` says why a file is not one."""
    try:
        data = safejson.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:  # not JSON, or past safejson's depth/integer limits
        raise ReportError(f"{path}: not a JSON report: {exc}") from None
    try:
        return result_from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"{path}: not a conformance run report: {type(exc).__name__}: {exc}") from None


def result_from_dict(data: dict[str, Any]) -> RunResult:
    """The inverse of :meth:`RunResult.to_dict` (raises KeyError/TypeError/ValueError on bad input)."""
    run = data["run"]
    info = RunInfo(
        id=str(run["id"]),
        started=str(run["started"]),
        finished=str(run.get("finished") or ""),
        target=dict(run.get("target") or {}),
        harness_version=str(run.get("harness_version") or ""),
        suites=[str(s) for s in run.get("suites") or []],
        aborted=str(run.get("aborted") or ""),
    )
    return RunResult(run=info, results=[check_from_dict(r) for r in data["results"]])


def check_from_dict(item: dict[str, Any]) -> CheckResult:
    return CheckResult(
        id=str(item["id"]),
        suite=str(item["suite"]),
        group=str(item.get("group") or ""),
        title=str(item.get("title") or ""),
        status=Status(item["status"]),
        required=bool(item.get("required", True)),
        requirements=[str(r) for r in item.get("requirements") or []],
        capabilities=[str(c) for c in item.get("capabilities") or []],
        message=str(item.get("message") or ""),
        duration_ms=float(item.get("duration_ms") or 0.0),
        evidence=[evidence_from_dict(e) for e in item.get("evidence") or []],
        metrics=dict(item.get("metrics") or {}),
    )


def evidence_from_dict(item: dict[str, Any]) -> Evidence:
    """:meth:`Evidence.to_dict` flattens ``data`` beside ``kind`` and ``summary``; fold it back."""
    data = {k: v for k, v in item.items() if k not in ("kind", "summary")}
    return Evidence(kind=str(item["kind"]), summary=str(item.get("summary") or ""), data=data)
