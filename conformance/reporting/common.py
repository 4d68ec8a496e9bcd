"""What every reporter shares: making hostile text safe to show, ordering, and writing files safely.

Everything a report shows may come from the system under test, and a hostile server can put anything
in a body, a header or an error message: NUL bytes, terminal escape sequences, carriage returns that
overwrite a console line, bidirectional overrides that reorder what a reader sees, lone surrogates.
:func:`visible` turns all of these into readable escapes (``\\x1b``, ``\\u202e``) once, so the JSON,
JUnit, HTML and console reporters cannot be made to emit something their readers choke on or
misdisplay. Markup escaping (``html.escape``, ElementTree) still happens in each reporter.
"""

from __future__ import annotations

import math
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError
from conformance.model import CheckResult, RunResult, Status
from conformance.scrub import RUN

STATUS_ORDER: tuple[Status, ...] = (Status.PASS, Status.FAIL, Status.SKIP, Status.ERROR)

# C0 controls except TAB and LF, DEL, C1 controls, bidi embeddings/overrides/isolates, surrogates and
# the two BMP non-characters. None of these may appear raw in XML 1.0, and none is safe on a terminal.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


class ReportError(ConfigError):
    """A report could not be written: one line naming the path and why (the CLI maps it to exit 2)."""


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with every unsafe character replaced by a visible escape; CRLF becomes LF."""
    value = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_escape_char, value.replace("\r\n", "\n"))


def one_line(text: object, limit: int = 200) -> str:
    """A safe single line: whitespace runs collapsed, cut to ``limit`` characters with an ellipsis."""
    value = " ".join(visible(text).split())
    return value if len(value) <= limit else value[: max(0, limit - 1)] + "…"


_SURROGATE = re.compile("[\ud800-\udfff]")


def jsonable(value: Any) -> Any:
    """A copy any JSON reader accepts: NaN/inf become null, odd types text, lone surrogates U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {jsonable(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, int | float | bool):
        return value
    return jsonable(str(value))


def suites_in_order(result: RunResult) -> list[str]:
    """The run's suites as planned, then any suite that only appears in the results."""
    order = list(result.run.suites)
    for check in result.results:
        if check.suite not in order:
            order.append(check.suite)
    return order


def by_suite(result: RunResult) -> dict[str, list[CheckResult]]:
    grouped: dict[str, list[CheckResult]] = {s: [] for s in suites_in_order(result)}
    for check in result.results:
        grouped[check.suite].append(check)
    return grouped


def by_group(checks: Iterable[CheckResult]) -> dict[str, list[CheckResult]]:
    grouped: dict[str, list[CheckResult]] = {}
    for check in checks:
        grouped.setdefault(group_of(check), []).append(check)
    return grouped


def group_of(check: CheckResult) -> str:
    """The check's group (``suite.group``); derived from the id when the result does not say."""
    if check.group:
        return check.group
    parts = check.id.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else check.suite


def count(checks: Iterable[CheckResult]) -> dict[Status, int]:
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for check in checks:
        counts[check.status] += 1
    return counts


def required_problems(result: RunResult) -> list[CheckResult]:
    """Required checks that failed or errored: what decides exit code 1."""
    return [r for r in result.results if r.required and r.status in (Status.FAIL, Status.ERROR)]


def target_text(target: dict[str, Any], *keys: str) -> str:
    """A nested string from the target mapping (``"organisation", "ods_code"``), or ``""``."""
    value: Any = target
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


def _special(path: Path) -> bool:
    """Whether ``path`` names something other than a regular file or nothing (a device, a FIFO, a
    socket, or a link to one such as /dev/stdout)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode)


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and rename, creating parent directories.

    A crash or a full disk never leaves a half-written report where CI would read it. Every report file
    passes here, so this is where the rendered bytes (escaped, pretty-printed) get the final scrub of
    every secret the run knows (issue 18).
    """
    path = Path(path)
    data = RUN.data(data)
    if _special(path):
        # A device, FIFO or /dev/stdout: rename would replace the node itself (as root, /dev/full became
        # a JSON file); such a path is written in place, as a shell redirection would.
        try:
            with open(path, "wb") as stream:
                stream.write(data)
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path
    tmp_name = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; a report is for reading
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp_name, path)
    except OSError as exc:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def passed_verdict(result: RunResult) -> str:
    """The words for a run with no required failure, honest about what did not run.

    A read-only run skips most required checks; "every required check passed" alone would read as a
    clean bill of health to a buyer.
    """
    skipped = sum(1 for c in result.results if c.required and c.status is Status.SKIP)
    if not skipped:
        return "Every required check passed."
    noun = "check was" if skipped == 1 else "checks were"
    return f"Every required check that ran passed; {skipped} required {noun} skipped (each says why)."
