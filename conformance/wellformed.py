"""Text every output can encode, whatever a system under test answered.

A peer can put a lone UTF-16 surrogate in what it sends: JSON's ``"\\ud800"`` parses to one, and a
check may quote it in its message or keep it in its evidence. UTF-8 cannot encode a lone surrogate, so
the report files, the console and the evidence store would each fail on such a run, and a run that
cannot be kept is an unjudged system. Each is replaced by U+FFFD (the replacement character) where
results leave the harness: the reports, the console line, and the store (which first asks whether
anything needs it: the campaign's write path copies nothing in the common case). The meaning is
kept: the evidence shows a character was there that no UTF-8 text can hold, as PostgreSQL's NUL is
shown (``conformance.evidence.bulk._text``).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from conformance.model import Evidence, RunInfo, RunResult

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def text(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD (ASCII text, the common case, untouched)."""
    if value.isascii() or _SURROGATE.search(value) is None:
        return value
    return _SURROGATE.sub(REPLACEMENT, value)


def value(item: Any) -> Any:
    """A JSON-like value (dicts, lists, tuples, strings; keys too) with every string made encodable."""
    if isinstance(item, str):
        return text(item)
    if isinstance(item, dict):
        return {(text(k) if isinstance(k, str) else k): value(v) for k, v in item.items()}
    if isinstance(item, (list, tuple)):
        return type(item)(value(v) for v in item)
    return item


# C's JSON encoder walks a whole run at C speed (1.6 us an outcome, a Python walk 3.3): text kept as it is,
# so a lone surrogate stays one; keys it cannot write are skipped, values it does not know written by repr.
_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False, skipkeys=True, default=repr).encode


def needed(run: RunResult) -> bool:
    """Whether :func:`result` would change ``run``: the store asks first, so a run without a lone surrogate
    (all of them but a hostile peer's) is not copied."""
    parts: list[Any] = [run.run.target, run.run.id, run.run.aborted]
    for c in run.results:
        parts.append((c.id, c.title, c.message, c.requirements, c.capabilities, c.metrics,
                      [(e.kind, e.summary, e.data) for e in c.evidence]))
    written = _ENCODE(parts)
    return not written.isascii() and _SURROGATE.search(written) is not None


def info(run: RunInfo) -> RunInfo:
    return replace(run, id=text(run.id), aborted=text(run.aborted), target=value(run.target))


def result(run: RunResult) -> RunResult:
    """``run`` with every string of every outcome, its evidence and the run's own fields made encodable."""
    checks = [replace(c, id=text(c.id), title=text(c.title), message=text(c.message), metrics=value(c.metrics),
                      requirements=value(c.requirements), capabilities=value(c.capabilities),
                      evidence=[Evidence(text(e.kind), text(e.summary), value(e.data)) for e in c.evidence])
              for c in run.results]
    return replace(run, run=info(run.run), results=checks)
