"""JUnit XML as Jenkins, GitLab and GitHub test reporters read it.

One ``<testsuite>`` per suite, one ``<testcase>`` per check: ``classname`` is the check's group
(``fhir-rest.read``, which Jenkins shows as package ``fhir-rest`` and class ``read``), ``name`` the
check id, ``time`` in seconds. A ``fail`` becomes ``<failure>``, an ``error`` ``<error>``, a ``skip``
``<skipped>``, each with the message as attribute (one line) and as text (in full). Requirements,
capabilities and whether the check is required are ``<properties>``; ``<system-out>`` gives a compact
evidence summary so a CI page shows what was sent and what came back without opening the HTML.

The tree is built with ElementTree, which escapes markup; text from the server also goes through
:func:`visible`, because XML 1.0 cannot carry most control characters even escaped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conformance.model import CheckResult, Evidence, RunResult, Status
from conformance.reporting.common import (
    by_suite,
    count,
    group_of,
    one_line,
    target_text,
    visible,
    write_atomic,
)

MESSAGE_ATTR_LIMIT = 500
_ELEMENT = {Status.FAIL: "failure", Status.ERROR: "error", Status.SKIP: "skipped"}


def _seconds(duration_ms: float) -> str:
    return f"{max(duration_ms, 0.0) / 1000:.3f}"


def _sub(parent: ET.Element, tag: str, attrs: dict[str, str] | None = None, text: str = "") -> ET.Element:
    element = ET.SubElement(parent, tag, {k: visible(v) for k, v in (attrs or {}).items()})
    if text:
        element.text = visible(text)
    return element


def _properties(parent: ET.Element, pairs: list[tuple[str, str]]) -> None:
    if not pairs:
        return
    props = _sub(parent, "properties")
    for name, value in pairs:
        _sub(props, "property", {"name": name, "value": value})


def evidence_line(item: Evidence) -> str:
    """One line per piece of evidence: its summary, the time it took, and any transport error."""
    line = one_line(item.summary, 300)
    timing = item.data.get("timing")
    if isinstance(timing, dict) and isinstance(timing.get("total_ms"), int | float):
        line += f" ({timing['total_ms']:.1f} ms)"
    error = item.data.get("error")
    if error:
        line += f" error: {one_line(error, 300)}"
    response = item.data.get("response")
    if isinstance(response, dict) and response.get("body_truncated"):
        line += " [body truncated]"
    return line


def _system_out(check: CheckResult) -> str:
    lines = [f"{check.id}: {check.status.value} in {check.duration_ms:.1f} ms"]
    if check.message:
        lines.append(f"message: {check.message}")
    if check.metrics:
        lines.append("metrics: " + one_line(check.metrics, 500))
    if check.evidence:
        lines.append(f"evidence ({len(check.evidence)}):")
        lines.extend(f"  - {evidence_line(e)}" for e in check.evidence)
    return "\n".join(lines) + "\n"


def _testcase(parent: ET.Element, check: CheckResult) -> None:
    case = _sub(
        parent,
        "testcase",
        {"classname": group_of(check), "name": check.id, "time": _seconds(check.duration_ms)},
    )
    pairs = [("title", check.title), ("required", "true" if check.required else "false")]
    pairs += [("requirement", r) for r in check.requirements]
    pairs += [("capability", c) for c in check.capabilities]
    _properties(case, pairs)
    tag = _ELEMENT.get(check.status)
    if tag is not None:
        message = check.message or check.status.value
        attrs = {"message": one_line(message, MESSAGE_ATTR_LIMIT)}
        if tag != "skipped":
            attrs["type"] = "required" if check.required else "optional"
        _sub(case, tag, attrs, message)
    _sub(case, "system-out", text=_system_out(check))


def build_junit(result: RunResult) -> ET.Element:
    """The ``<testsuites>`` element for a run (exposed for tests and for callers that embed it)."""
    run = result.run
    totals = count(result.results)
    total_ms = sum(r.duration_ms for r in result.results)
    root = ET.Element(
        "testsuites",
        {
            "name": visible(f"conformance {run.id}"),
            "tests": str(len(result.results)),
            "failures": str(totals[Status.FAIL]),
            "errors": str(totals[Status.ERROR]),
            "skipped": str(totals[Status.SKIP]),
            "time": _seconds(total_ms),
        },
    )
    if run.started:
        root.set("timestamp", visible(run.started))
    for index, (suite, checks) in enumerate(by_suite(result).items()):
        counts = count(checks)
        element = _sub(
            root,
            "testsuite",
            {
                "name": suite,
                "id": str(index),
                "tests": str(len(checks)),
                "failures": str(counts[Status.FAIL]),
                "errors": str(counts[Status.ERROR]),
                "skipped": str(counts[Status.SKIP]),
                "time": _seconds(sum(c.duration_ms for c in checks)),
                "timestamp": run.started,
            },
        )
        _properties(element, _run_properties(result))
        for check in checks:
            _testcase(element, check)
    return root


def _run_properties(result: RunResult) -> list[tuple[str, str]]:
    run, target = result.run, result.run.target
    pairs: list[tuple[str, str]] = [
        ("run.id", run.id),
        ("run.started", run.started),
        ("run.finished", run.finished),
        ("harness.version", run.harness_version),
    ]
    wanted: list[tuple[str, tuple[str, ...]]] = [
        ("target.name", ("name",)),
        ("target.fhir", ("endpoints", "fhir")),
        ("organisation.ods_code", ("organisation", "ods_code")),
        ("organisation.name", ("organisation", "name")),
        ("system.vendor", ("system", "vendor")),
        ("system.product", ("system", "product")),
        ("system.version", ("system", "version")),
    ]
    pairs += [(name, target_text(target, *keys)) for name, keys in wanted]
    return [(k, v) for k, v in pairs if v]


def render_junit(result: RunResult) -> bytes:
    root = build_junit(result)
    ET.indent(root)
    body: Any = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return bytes(body) + b"\n"


def write_junit(result: RunResult, path: Path) -> None:
    write_atomic(Path(path), render_junit(result))
