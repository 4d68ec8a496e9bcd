"""``conformance runs|org list|capabilities|explain``: find your way around what is stored and shipped.

``latest`` stands for the newest complete run wherever a command takes a run id (``common.resolve_run``);
aborted and incomplete runs are listed with their status but never chosen as ``latest``, because they are
never evidence.
"""

from __future__ import annotations

import json
from typing import Any

import click

from conformance.cli.common import STORE_HELP, guard, main, resolve_run
from conformance.cli.records import org_group


def _systems(store: Any) -> dict[str, tuple[str, str]]:
    """Run id -> (system label, footprint named in the run's target file)."""
    from sqlalchemy import select

    from conformance.evidence.schema import RunRow, SystemRow
    from conformance.maturity.records import SystemRef

    with store.transaction("list runs' systems") as session:
        rows = session.execute(select(RunRow.id, RunRow.target, SystemRow.vendor, SystemRow.product,
                                      SystemRow.version)
                               .outerjoin(SystemRow, SystemRow.id == RunRow.system_id)).all()
    return {rid: (SystemRef(v or "", p or "", ver or "").label, str((target or {}).get("footprint", "")))
            for rid, target, v, p, ver in rows}


@main.command("runs")
@click.option("--org", "ods_code", metavar="ODS", help="Only this organisation's runs.")
@click.option("--system", "system", metavar="TEXT", help="Only runs of systems whose vendor/product/version "
              "contains TEXT (case-insensitive).")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def runs(ods_code: str | None, system: str | None, store_url: str | None, as_json: bool) -> None:
    """Stored runs, newest first: id, status (complete | aborted | incomplete), organisation, system, counts.

    Only complete runs are evidence (scored, compared); `latest` in other commands means the newest of those.
    """

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore

        with EvidenceStore(store_url, find_key=False) as store:
            rows, systems, footprints = store.list_runs(), _systems(store), records.footprints(store)
        out = []
        for r in rows:
            label, footprint = systems.get(r["id"], ("(unnamed system)", ""))
            if ods_code and r["ods_code"] != ods_code:
                continue
            if system and system.lower() not in label.lower():
                continue
            out.append({**r, "system": label, "footprint": footprint})
        if as_json:
            click.echo(json.dumps(out, indent=2))
            return 0
        if not out:
            click.echo("no runs stored" + (" matching the filter" if ods_code or system else
                                           " (`conformance demo` stores one)"))
        for r in out:
            counts = {k: v for k, v in r["summary"].items() if k in ("pass", "fail", "skip", "error")}
            shown = " ".join(f"{k} {v}" for k, v in counts.items() if v)
            org = r["ods_code"] or "-"
            where = f" footprint {r['footprint']}" if r["footprint"] else ""
            named = footprints.get(r["footprint"])
            if r["footprint"] and (named is None or r["ods_code"] not in named.members):
                # The target file names it, but only membership puts a run in a footprint's roadmap.
                where += " (not in the store)" if named is None else f" ({org} is not a member: not in its roadmap)"
            click.echo(f"{r['id']}  {r['status']:10}  {org:7} {r['system']}  {r['finished'] or r['started']}"
                       f"{'  ' + shown if shown else ''}{where}")
        return 0

    guard(body)


@org_group.command("list")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def org_list(store_url: str | None, as_json: bool) -> None:
    """Organisations in the store (ODS code, kind, name) and the footprints each belongs to."""

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore

        with EvidenceStore(store_url, find_key=False) as store:
            orgs, footprints = records.organisations(store), records.footprints(store)
        member_of = {code: [f.code for f in footprints.values() if code in f.members] for code in orgs}
        rows = [{**vars(o), "footprints": member_of[o.ods_code]} for o in orgs.values()]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
        elif not rows:
            click.echo("no organisations stored (`conformance org import FILE.csv`, or any stored run's "
                       "[organisation])")
        for row in [] if as_json else rows:
            where = f"  footprints: {', '.join(row['footprints'])}" if row["footprints"] else ""
            click.echo(f"{row['ods_code']:7} {row['kind'] or '-':16} {row['name']}{where}")
        return 0

    guard(body)


def _checks_by_id() -> dict[str, Any]:
    from conformance.runner import load_suites

    return {c.id: c for s in load_suites().suites.values() for c in s.checks.values()}


@main.command("capabilities")
@click.option("--model", "model_dir", type=click.Path(file_okay=False), help="Capability model directory "
              "(default: profiles/maturity).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def capabilities(model_dir: str | None, as_json: bool) -> None:
    """The capability model: each capability's id, title, requirements, and the checks that evidence it."""

    def body() -> int:
        from conformance.maturity.model import ModelError, load_model

        try:
            model = load_model(model_dir)
        except ModelError as exc:
            click.echo(f"conformance: {exc}", err=True)
            return 2
        checks = sorted(_checks_by_id())
        rows: list[dict[str, Any]] = []
        for cap in model.capabilities.values():
            reqs = [{"id": r, "title": model.requirements[r].title,
                     "checks": [c for c in checks if model.requirements[r].covers(c)]} for r in cap.requirements]
            rows.append({"id": cap.id, "title": cap.title, "universal": cap.universal, "requirements": reqs})
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return 0
        for row in rows:
            click.echo(f"{row['id']}  {row['title']}{'  [universal]' if row['universal'] else ''}")
            for req in row["requirements"]:
                mapped = f"{len(req['checks'])} checks" if req["checks"] else "no shipped check: never evidenced"
                click.echo(f"  {req['id']}  {req['title']}  ({mapped})")
                for check in req["checks"]:
                    click.echo(f"    {check}")
        return 0

    guard(body)


def explain_check(check_id: str) -> dict[str, Any]:
    """What a check verifies (its docstring), requirements, capabilities, and the sandbox faults that fail it."""
    import inspect

    from conformance.sandbox.faults import FAULTS

    spec = _checks_by_id().get(check_id)
    if spec is None:
        raise click.BadParameter(f"no check {check_id!r} (`conformance suites list` lists them)",
                                 param_hint="CHECK_ID")
    faults = [f.name for f in FAULTS.values() if check_id in f.checks]
    return {**spec.describe(), "verifies": inspect.getdoc(spec.fn) or _documented(check_id) or spec.title,
            "faults": faults}


def _documented(check_id: str) -> str:
    """The row of the docs' check tables (docs/*-checks.md, docs/*.md) naming this check, as plain text.

    Generated checks (one per resource type) have no docstring; the docs name them ``fhir-rest.crud.<type>.read``.
    """
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs"
    parts = check_id.split(".")
    names = {check_id} | {".".join([*parts[:i], "<type>", *parts[i + 1:]]) for i in range(1, len(parts))}
    for path in sorted(docs.glob("*.md")) if docs.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) > 1 and cells[0].strip("`") in names:
                return re.sub(r"`", "", " | ".join(c for c in cells[1:] if c)) + f"  ({path.name})"
    return ""


@main.command("explain")
@click.argument("check_id")
@click.option("--run", "run_id", metavar="ID|latest", help="Also show this stored run's verdict, message and "
              "evidence for the check.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def explain(check_id: str, run_id: str | None, store_url: str | None, as_json: bool) -> None:
    """What CHECK_ID verifies, its requirements, how it is judged, the sandbox fault that makes it fail,
    and (with --run) its verdict, message and evidence in a stored run."""

    def body() -> int:
        info = explain_check(check_id)
        if run_id is not None:
            from conformance.evidence.store import EvidenceStore

            with EvidenceStore(store_url, find_key=False) as store:
                rid = resolve_run(store, run_id)
                result, status = store.get_result(rid)
            found = [r.to_dict() for r in result.results if r.id == check_id]
            info["run"] = {"id": rid, "status": status, "result": found[0] if found else None}
        if as_json:
            click.echo(json.dumps(info, indent=2))
            return 0
        click.echo(f"{info['id']}  {info['title']}  ({'required' if info['required'] else 'optional'})")
        click.echo(f"\n{info['verifies']}\n")
        click.echo(f"requirements: {', '.join(info['requirements']) or '-'}")
        click.echo(f"capabilities: {', '.join(info['capabilities']) or '-'}")
        click.echo("judged: pass when the system behaves as above; fail only on observed misbehaviour; skip or "
                   "error (with the reason) when the harness lacks what it needs")
        faults = ", ".join(info["faults"])
        click.echo(f"sandbox faults that fail it: {faults or '-'}"
                   + (f"  (try: conformance demo --fault {info['faults'][0]} --select {check_id})" if faults else ""))
        if "run" in info:
            run, res = info["run"], info["run"]["result"]
            if res is None:
                click.echo(f"run {run['id']} ({run['status']}): the check did not run")
                return 0
            said = f": {res['message']}" if res["message"] else ""
            verdict = f"{res['status'].upper()} in {res['duration_ms']:.0f} ms{said}"
            click.echo(f"run {run['id']} ({run['status']}): {verdict}")
            for ev in res["evidence"]:
                click.echo(f"  evidence {ev.get('kind', '?')}: {ev.get('summary', '')}".rstrip())
            if res["evidence"]:
                click.echo(f"  (every exchange in full: reports/{run['id']}/report.html, or "
                           f"`conformance explain {info['id']} --run {run['id']} --json`)")
        return 0

    guard(body)
