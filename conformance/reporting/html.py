"""One self-contained HTML report: readable offline, from a file share or a CI artifact.

No external assets (no CDN, no web fonts, no images), inline CSS, no JavaScript: ``<details>`` does the
expanding. A Content-Security-Policy meta tag forbids scripts and every external load, so even a
value that escaped escaping could not run or phone home. The summary comes first (who was tested,
when, the counts and the required failures), then the checks by suite and group, each with its
evidence one click away (see :mod:`conformance.reporting.html_evidence`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from conformance.model import CheckResult, RunResult, Status
from conformance.reporting.common import (
    STATUS_ORDER,
    by_group,
    by_suite,
    count,
    passed_verdict,
    required_problems,
    target_text,
    write_atomic,
)
from conformance.reporting.html_evidence import render_evidence_list, text
from conformance.reporting.html_latency import PLOTTED, latency_plots

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root{--pass:#1a7f37;--fail:#cf222e;--skip:#6e7781;--error:#9a6700;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 12px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px;color:#444}h4{margin:10px 0 4px;font-size:13px}
code,pre,.url,.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 16px}
dl.meta dt{color:#57606a}dl.meta dd{margin:0;overflow-wrap:anywhere}
.counts{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.count{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:90px}
.count b{display:block;font-size:22px}
.verdict{padding:10px 14px;border-radius:6px;margin:12px 0;font-weight:600}
.verdict.ok{background:#dafbe1;color:var(--pass)}.verdict.bad{background:#ffebe9;color:var(--fail)}
ul.problems{margin:6px 0 0;padding-left:20px}
.badge{display:inline-block;min-width:48px;text-align:center;border-radius:10px;padding:0 8px;
  color:#fff;font-size:11px;font-weight:700;text-transform:uppercase}
.b-pass{background:var(--pass)}.b-fail{background:var(--fail)}.b-skip{background:var(--skip)}
.b-error{background:var(--error)}
.check{border:1px solid var(--line);border-left:4px solid var(--skip);border-radius:6px;
  padding:8px 12px;margin:8px 0}
.check.s-pass{border-left-color:var(--pass)}.check.s-fail{border-left-color:var(--fail)}
.check.s-error{border-left-color:var(--error)}
.check .title{font-weight:600}.check .id{color:#57606a}
.tag{font-size:11px;border:1px solid var(--line);border-radius:8px;padding:0 6px;color:#57606a}
.tag.required{border-color:var(--fail);color:var(--fail)}
.message{white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0;padding:6px 8px;background:var(--soft)}
.muted{color:#6e7781}.facts{color:#57606a;margin:4px 0}.note{color:var(--error);margin:4px 0}
details.evidence{border:1px solid var(--line);border-radius:4px;margin:6px 0;background:#fff}
details.evidence>summary{cursor:pointer;padding:4px 8px;overflow-wrap:anywhere}
.ev-body{padding:4px 10px 10px;border-top:1px solid var(--line)}
.method{font-weight:700}.http-status.ok{color:var(--pass)}.http-status.bad{color:var(--fail)}
pre.body{white-space:pre-wrap;overflow-wrap:anywhere;max-height:480px;overflow:auto;
  background:var(--soft);padding:8px;margin:4px 0}
table.headers,table.metrics{border-collapse:collapse;font-size:12.5px;margin:4px 0}
table.headers th,table.headers td,table.metrics th,table.metrics td{border:1px solid var(--line);
  padding:2px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.error-text{color:var(--error);white-space:pre-wrap}
footer{margin-top:32px;color:#6e7781;font-size:12px}
"""


def _badge(status: Status) -> str:
    return f'<span class="badge b-{status.value}">{status.value}</span>'


def _duration(started: str, finished: str) -> str:
    try:
        return (
            f"{(datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds():,.1f} s"
        )
    except (ValueError, TypeError):  # missing, unparseable, or one naive and one aware
        return ""


def _meta(result: RunResult) -> str:
    run, target = result.run, result.run.target
    org = target_text(target, "organisation", "name")
    ods = target_text(target, "organisation", "ods_code")
    kind = target_text(target, "organisation", "kind")
    organisation = " ".join(p for p in (org, f"(ODS {ods})" if ods else "", kind and f"· {kind}") if p)
    system = " ".join(target_text(target, "system", k) for k in ("vendor", "product", "version")).strip()
    endpoints = target.get("endpoints") if isinstance(target.get("endpoints"), dict) else {}
    rows = [
        ("Target", target_text(target, "name")),
        ("Source", target_text(target, "source")),
        *((f"Endpoint ({k})", v) for k, v in (endpoints or {}).items()),
        ("Organisation", organisation),
        ("Footprint", target_text(target, "footprint")),
        ("System", system),
        ("Sandbox", "yes" if target.get("sandbox") is True else ""),
        ("Run id", run.id),
        ("Aborted (not evidence)", run.aborted),
        ("Started", run.started),
        ("Finished", run.finished or "not finished"),
        ("Duration", _duration(run.started, run.finished)),
        ("Harness version", run.harness_version),
        ("Suites", ", ".join(run.suites)),
    ]
    items = "".join(f"<dt>{text(k)}</dt><dd>{text(v)}</dd>" for k, v in rows if v)
    return f'<dl class="meta">{items}</dl>'


def _counts(result: RunResult) -> str:
    counts = count(result.results)
    tiles = "".join(f'<div class="count">{_badge(s)}<b>{counts[s]}</b></div>' for s in STATUS_ORDER)
    tiles += f'<div class="count"><span class="tag">total</span><b>{len(result.results)}</b></div>'
    return f'<div class="counts">{tiles}</div>'


def _verdict(result: RunResult) -> str:
    problems = required_problems(result)
    if not problems:
        return f'<div class="verdict ok">{text(passed_verdict(result))}</div>'
    items = "".join(
        f'<li>{_badge(c.status)} <a href="#{_anchor(c)}"><code>{text(c.id)}</code></a> '
        f"{text(c.title)}{': ' + text(c.message) if c.message else ''}</li>"
        for c in problems
    )
    noun = "check" if len(problems) == 1 else "checks"
    return (
        f'<div class="verdict bad">{len(problems)} required {noun} failed or errored.'
        f'<ul class="problems">{items}</ul></div>'
    )


def _anchor(check: CheckResult) -> str:
    return text("check-" + check.id)


def _metrics(check: CheckResult) -> str:
    if not check.metrics:
        return ""
    rows = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in check.metrics.items()
                   if k not in PLOTTED)
    return f'<table class="metrics">{rows}</table>' + latency_plots(check.metrics)


def _check(check: CheckResult) -> str:
    tag = (
        '<span class="tag required">required</span>'
        if check.required
        else '<span class="tag">optional</span>'
    )
    head = (
        f'{_badge(check.status)} <span class="title">{text(check.title or check.id)}</span> '
        f'<code class="id">{text(check.id)}</code> {tag} '
        f'<span class="muted">{check.duration_ms:,.0f} ms</span>'
    )
    parts = [f'<div class="head">{head}</div>']
    if check.message:
        parts.append(f'<div class="message">{text(check.message)}</div>')
    facts = []
    if check.requirements:
        facts.append("Requirements: " + ", ".join(f"<code>{text(r)}</code>" for r in check.requirements))
    if check.capabilities:
        facts.append("Capabilities: " + ", ".join(f"<code>{text(c)}</code>" for c in check.capabilities))
    if facts:
        parts.append(f'<p class="facts">{" · ".join(facts)}</p>')
    parts.append(_metrics(check))
    parts.append(render_evidence_list(check.evidence))
    return f'<section class="check s-{check.status.value}" id="{_anchor(check)}">{"".join(parts)}</section>'


def _suites(result: RunResult) -> str:
    out = []
    for suite, checks in by_suite(result).items():
        counts = count(checks)
        tally = ", ".join(f"{counts[s]} {s.value}" for s in STATUS_ORDER if counts[s])
        out.append(
            f'<h2 id="suite-{text(suite)}">{text(suite)} <span class="muted">{text(tally)}</span></h2>'
        )
        for group, members in by_group(checks).items():
            out.append(f"<h3>{text(group)}</h3>")
            out.extend(_check(c) for c in members)
    return "".join(out)


def render_html(result: RunResult) -> str:
    """The whole page as text."""
    name = target_text(result.run.target, "name") or result.run.id
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Conformance report: {text(name)}</title>\n"
        f"<style>{CSS}</style></head>\n"
        f"<body><main>\n<h1>Conformance report: {text(name)}</h1>\n"
        f"{_meta(result)}\n{_counts(result)}\n{_verdict(result)}\n"
        f"{_suites(result)}\n"
        f"<footer>conformance {text(result.run.harness_version)} · run {text(result.run.id)}</footer>\n"
        "</main></body></html>\n"
    )


def write_html(result: RunResult, path: Path) -> None:
    write_atomic(Path(path), render_html(result).encode("utf-8", errors="replace"))
