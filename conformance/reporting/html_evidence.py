"""HTML for one piece of evidence, each behind a ``<details>`` so it is one click from its check.

Every value shown here may come from a hostile server. Nothing is inserted into the page without
:func:`text` (control characters made visible, then ``html.escape`` with quotes), URLs are shown as
text and never made into links, and nothing from the evidence ever lands in an attribute except
through the same escaping.
"""

from __future__ import annotations

import html
from typing import Any

from conformance import safejson
from conformance.model import Evidence
from conformance.reporting.common import one_line, visible


def text(value: object) -> str:
    """Anything, made safe to place in HTML text or a quoted attribute."""
    return html.escape(visible(value), quote=True)


def pretty_body(body: str) -> tuple[str, bool]:
    """The body pretty-printed when it parses as JSON; ``(text, was_json)``."""
    stripped = body.strip()
    if not stripped or stripped[0] not in "[{":
        return body, False
    try:
        parsed = safejson.loads(stripped)
    except (ValueError, UnicodeDecodeError):  # too deep or huge numbers: shown as the text it is
        return body, False
    return safejson.dumps(parsed, indent=2, ensure_ascii=False), True


def _mapping(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _ms(value: Any) -> str:
    return f"{value:,.1f} ms" if isinstance(value, int | float) and not isinstance(value, bool) else ""


def _headers(headers: Any) -> str:
    if not isinstance(headers, dict) or not headers:
        return '<p class="muted">No headers.</p>'
    rows = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in headers.items())
    return f'<table class="headers">{rows}</table>'


def _body(part: dict[str, Any]) -> str:
    body = part.get("body")
    size = part.get("body_size")
    if not isinstance(body, str) or not body:
        return '<p class="muted">Empty body.</p>'
    facts = []
    if isinstance(size, int):
        facts.append(f"{size:,} bytes")
    if isinstance(part.get("body_sha256"), str):
        facts.append(f"sha256 <code>{text(part['body_sha256'])}</code>")
    note = ""
    if part.get("body_truncated"):
        kept = len(body.encode("utf-8", errors="replace"))
        total = f" of {size:,}" if isinstance(size, int) else ""
        note = (
            f'<p class="note">Body truncated in the evidence: the first {kept:,}{total} bytes are kept; '
            "the size and sha256 are of the whole body as received.</p>"
        )
    shown, was_json = pretty_body(body)
    label = " (JSON, pretty-printed)" if was_json else ""
    return f'<p class="facts">Body{label}: {", ".join(facts)}</p>{note}<pre class="body">{text(shown)}</pre>'


def _http(item: Evidence) -> str:
    data = item.data
    request = _mapping(data.get("request")) or {}
    response = _mapping(data.get("response"))
    timing = _mapping(data.get("timing")) or {}
    method = text(request.get("method", "?"))
    url = text(request.get("url", ""))
    if response is not None:
        code = response.get("status")
        klass = "ok" if isinstance(code, int) and code < 400 else "bad"
        outcome = f'<span class="http-status {klass}">{text(code)}</span>'
    else:
        outcome = '<span class="http-status bad">no response</span>'
    took = _ms(timing.get("total_ms"))
    short_url = text(one_line(request.get("url", ""), 160))
    head = f'<span class="method">{method}</span> <span class="url">{short_url}</span> &rarr; {outcome}'
    if took:
        head += f' <span class="muted">{text(took)}</span>'
    parts = [f'<h4>Request</h4><p class="line"><b>{method}</b> {url}</p>', _headers(request.get("headers"))]
    parts.append(_body(request))
    if response is not None:
        parts.append(f'<h4>Response</h4><p class="line">Status <b>{text(response.get("status"))}</b>')
        if response.get("url") and response.get("url") != request.get("url"):
            parts.append(f" from {text(response['url'])}")
        parts.append("</p>")
        parts.append(_headers(response.get("headers")))
        parts.append(_body(response))
    if data.get("error"):
        parts.append(f'<h4>Error</h4><p class="error-text">{text(data["error"])}</p>')
    timings = [f"{text(k.removesuffix('_ms'))}: {text(_ms(v))}" for k, v in timing.items() if _ms(v)]
    if timings:
        parts.append(f'<p class="facts">Timing: {"; ".join(timings)}</p>')
    return _details(head, "".join(parts))


def _generic(item: Evidence) -> str:
    head = f'<span class="kind">{text(item.kind)}</span> {text(one_line(item.summary, 300))}'
    if not item.data:
        return _details(head, '<p class="muted">No further data.</p>')
    dumped = safejson.dumps(item.data, indent=2, ensure_ascii=False, default=str)
    return _details(head, f'<pre class="body">{text(dumped)}</pre>')


def _details(summary: str, body: str) -> str:
    return (
        f'<details class="evidence"><summary>{summary}</summary><div class="ev-body">{body}</div></details>'
    )


def render_evidence(item: Evidence) -> str:
    """One evidence item as a closed ``<details>``; HTTP exchanges in full, anything else as JSON."""
    if item.kind == "http":
        return _http(item)
    return _generic(item)


def render_evidence_list(items: list[Evidence]) -> str:
    if not items:
        return '<p class="muted evidence-none">No evidence recorded.</p>'
    return "".join(render_evidence(e) for e in items)
