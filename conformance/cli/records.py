"""``conformance org|footprint|assessments|maturity|roadmap|compare``: the maturity and roadmap record (issue 7).

Registered on the main command group (conformance/cli/common.py) when conformance.cli imports this module.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from conformance.cli.common import STORE_HELP, guard, main, resolve_run, write_output

MODEL_HELP = "Capability model directory (default: profiles/maturity)."


def _record_guard(body: Any) -> None:
    """guard: the record's own input errors are ConfigErrors (errors.py), so exit 2 with one line."""
    guard(lambda: int(body()))


def _as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--as-of") from None


def output_options(fn: Any) -> Any:
    for option in reversed([
        click.option("--store", "store_url", metavar="URL", help=STORE_HELP),
        click.option("--model", "model_dir", type=click.Path(path_type=Path, file_okay=False), help=MODEL_HELP),
        click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), help="Write HTML here."),
        click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), help="Write CSV here."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON."),
        click.option("--as-of", "as_of", metavar="DATE", help="Judge the evidence as of this day (default today)."),
    ]):
        fn = option(fn)
    return fn


@main.group("org")
def org_group() -> None:
    """Organisations in the evidence store."""


@org_group.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def org_import(path: Path, store_url: str | None) -> None:
    """Add or update organisations from a CSV file: ods_code,name,kind."""

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore
        from conformance.maturity.inputs import read_organisations

        orgs = read_organisations(path)
        with EvidenceStore(store_url) as store:
            click.echo(f"{records.save_organisations(store, orgs)} organisation(s) saved")
        return 0

    _record_guard(body)


@main.group("footprint")
def footprint_group() -> None:
    """Local digital roadmap footprints in the evidence store."""


@footprint_group.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def footprint_import(path: Path, store_url: str | None) -> None:
    """Save footprints from a TOML file: [footprints.CODE] name, members = [ODS codes], and optionally
    [footprints.CODE.milestones] MILESTONE = DATE (its own target dates; `conformance roadmap CODE`)."""

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore
        from conformance.maturity.inputs import read_footprints
        from conformance.maturity.model import load_model

        with EvidenceStore(store_url) as store:
            footprints = read_footprints(path, set(records.organisations(store)), set(load_model().milestones))
            for footprint in footprints:
                records.save_footprint(store, footprint)
                for milestone, day in footprint.milestones:  # the file's own dates
                    records.save_milestone(store, footprint.code, milestone, day)
            click.echo(f"{len(footprints)} footprint(s) saved")
        return 0

    _record_guard(body)


@footprint_group.command("milestone")
@click.argument("footprint")
@click.argument("milestone")
@click.argument("target_date", metavar="DATE")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--model", "model_dir", type=click.Path(path_type=Path, file_okay=False), help=MODEL_HELP)
def footprint_milestone(footprint: str, milestone: str, target_date: str, store_url: str | None,
                        model_dir: Path | None) -> None:
    """Set the footprint's own target DATE for a roadmap MILESTONE (overrides the model's date)."""

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore
        from conformance.maturity.model import load_model

        model = load_model(model_dir)
        if milestone not in model.milestones:
            raise click.BadParameter(f"unknown milestone {milestone!r} (known: {', '.join(model.milestones)})",
                                     param_hint="MILESTONE")
        day = _as_of(target_date)
        with EvidenceStore(store_url) as store:
            records.save_milestone(store, footprint, milestone, day.isoformat())
        click.echo(f"{footprint}: {milestone} due {day.isoformat()}")
        return 0

    _record_guard(body)


@main.group("assessments")
def assessments_group() -> None:
    """Organisations' digital maturity self-assessments."""


@assessments_group.command("import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--model", "model_dir", type=click.Path(path_type=Path, file_okay=False), help=MODEL_HELP)
def assessments_import(path: Path, store_url: str | None, model_dir: Path | None) -> None:
    """Import claims from CSV: ods_code,capability,claim,assessed_on[,note]; all or nothing."""

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore
        from conformance.maturity.inputs import read_assessments
        from conformance.maturity.model import load_model

        model = load_model(model_dir)
        with EvidenceStore(store_url) as store:
            claims = read_assessments(path, set(records.organisations(store)), model)
            click.echo(f"{records.save_assessments(store, claims)} claim(s) imported")
        return 0

    _record_guard(body)


@main.command("maturity")
@click.argument("ods_code")
@output_options
def maturity(ods_code: str, store_url: str | None, model_dir: Path | None, html_path: Path | None,
             csv_path: Path | None, as_json: bool, as_of: str | None) -> None:
    """An organisation's capabilities by the evidence, next to what it claimed (contradictions flagged)."""

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore
        from conformance.maturity import views
        from conformance.maturity.model import load_model
        from conformance.maturity.score import roadmap_view

        model, day = load_model(model_dir), _as_of(as_of)
        with EvidenceStore(store_url) as store:
            (record,) = records.org_records(store, model, [ods_code], day)
        roadmap = roadmap_view({c.capability.id: c.status for c in record.capabilities}, model, day)
        rows = views.org_rows(record)
        write_output(html_path, views.org_html(record, roadmap))
        write_output(csv_path, views.to_csv(rows))
        if as_json:
            click.echo(json.dumps({"organisation": vars(record.organisation), "as_of": record.as_of,
                                   "capabilities": rows, "roadmap": views.roadmap_rows(ods_code, roadmap)}, indent=2))
        elif not (html_path or csv_path):
            for row in rows:
                flag = "  AUDIT: claim contradicted" if row["flag_for_audit"] else ""
                claim = f" (claimed {row['claim']})" if row["claim"] else ""
                click.echo(f"{row['status']:12} {row['capability']}{claim}{flag}")
        return 1 if any(r["flag_for_audit"] for r in rows) else 0

    _record_guard(body)


@main.command("roadmap")
@click.argument("subject", metavar="ORG|FOOTPRINT")
@output_options
def roadmap(subject: str, store_url: str | None, model_dir: Path | None, html_path: Path | None,
            csv_path: Path | None, as_json: bool, as_of: str | None) -> None:
    """Roadmap milestones and whether the evidence says each is on track (a footprint: its own dates, its
    slowest member's status, and every member behind on each capability)."""

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore
        from conformance.maturity import csvout, html
        from conformance.maturity.model import load_model
        from conformance.maturity.roadmap import roadmap as build_roadmap
        from conformance.maturity.score import footprint_record

        model, day = load_model(model_dir), _as_of(as_of)
        with EvidenceStore(store_url) as store:
            footprints = records.footprints(store)
            if subject in footprints:
                footprint = footprints[subject]
                members = records.org_records(store, model, footprint.members, day)
                rolled = footprint_record(footprint, members, model)
                plan = build_roadmap(rolled, model, day, records.milestones(store, subject))
                write_output(html_path, html.footprint_page(rolled, plan))
                write_output(csv_path, csvout.to_csv(csvout.footprint_rows(rolled)))
            else:
                (record,) = records.org_records(store, model, [subject], day)
                plan = build_roadmap(record, model, day)
                write_output(html_path, html.org_page(record, plan))
                write_output(csv_path, csvout.to_csv(csvout.roadmap_rows(plan)))
        rows = csvout.roadmap_rows(plan)
        if as_json:
            click.echo(json.dumps(rows, indent=2))
        elif not (html_path or csv_path):
            for row in rows:
                behind = f"  (not yet met: {row['not_yet_met']})" if row["not_yet_met"] else ""
                if row["behind_members"]:  # a footprint: each capability not yet met, and who is behind on it
                    behind = f"  (behind: {row['behind_members']})"
                click.echo(f"{row['state']:9} {row['target_date']}  {row['title']}{behind}")
        return 0

    _record_guard(body)


@main.command("compare")
@click.argument("run_ids", nargs=-1, required=True, metavar="RUN|latest...")
@click.option("--requirements", "requirements_path", type=click.Path(path_type=Path, dir_okay=False),
              help="The buyer's weighted requirements (TOML; default: the shipped example, which covers every check).")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), help="Write HTML here.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), help="Write CSV here.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def compare(run_ids: tuple[str, ...], requirements_path: Path | None, store_url: str | None, html_path: Path | None,
            csv_path: Path | None, as_json: bool) -> None:
    """Side-by-side matrix of runs (one per vendor system), requirement by requirement, weighted must/should/could."""

    def body() -> int:
        from conformance.evidence import records
        from conformance.evidence.store import EvidenceStore, RunNotFound
        from conformance.maturity import views
        from conformance.maturity.compare import compare as build
        from conformance.maturity.compare import load_requirements

        requirements = load_requirements(requirements_path)
        with EvidenceStore(store_url) as store:
            ids = [resolve_run(store, r) for r in run_ids]
            runs = {r.run_id: r for r in records.run_outcomes(store, run_ids=ids)}
        missing = [r for r in ids if r not in runs]
        if missing:
            raise RunNotFound(f"no complete run {missing[0]!r} in the store")
        matrix = build([runs[r] for r in ids], requirements)
        rows = views.compare_rows(matrix)
        write_output(html_path, views.compare_html(matrix))
        write_output(csv_path, views.to_csv(rows))
        if as_json:
            click.echo(json.dumps(rows, indent=2))
        elif not (html_path or csv_path):
            for column in matrix.columns:
                verdict = "fails a must" if column.fails_must else "meets every must"
                untested = [r for r, c in column.cells.items() if c.verdict == "not tested"]
                note = f"; not tested (scored 0): {', '.join(untested)}" if untested else ""
                click.echo(f"{column.score:6.1f}  {column.run.system.label} ({column.run.run_id}): {verdict}{note}")
                for req in matrix.requirements:  # every cell by name: "not tested" is never a silent 0
                    click.echo(f"        {column.cells[req.id].verdict:10} {req.weight:6} {req.id}  {req.title}")
        return 0

    _record_guard(body)


def demo_record(store_url: str | None, report_dir: Path, as_of: date | None = None) -> list[Path]:
    """Load the demo organisations, footprint and self-assessments (fixtures/maturity/demo) into the store
    and write the demo trust's record and the footprint's page next to the run's reports."""
    from conformance.evidence import records
    from conformance.evidence.store import EvidenceStore
    from conformance.maturity import views
    from conformance.maturity.demo import load_demo
    from conformance.maturity.model import load_model
    from conformance.maturity.score import footprint_record, roadmap_view

    model, day = load_model(), as_of or datetime.now(UTC).date()
    orgs, footprints, claims = load_demo(model=model)
    written = []
    with EvidenceStore(store_url) as store:
        records.save_organisations(store, orgs)
        for footprint in footprints:
            records.save_footprint(store, footprint)
            for milestone, target in footprint.milestones:
                records.save_milestone(store, footprint.code, milestone, target)
        records.save_assessments(store, claims)
        members = records.org_records(store, model, footprints[0].members, day)
        dates = records.milestones(store, footprints[0].code)
    trust = next(r for r in members if r.organisation.ods_code == "X26")
    trust_roadmap = roadmap_view({c.capability.id: c.status for c in trust.capabilities}, model, day)
    rolled = footprint_record(footprints[0], members, model)
    footprint_roadmap = roadmap_view({c: s for c, (s, _) in rolled.slowest.items()}, model, day, dates)
    for name, text in (("record.html", views.org_html(trust, trust_roadmap)),
                       ("footprint.html", views.footprint_html(rolled, footprint_roadmap))):
        path = report_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
