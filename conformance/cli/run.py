"""``conformance run`` and ``conformance demo``: one run end to end (conformance/session.py), its options,
and what a run that did not finish cleanly left behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from conformance.cli.common import guard, main
from conformance.session import EXIT_USAGE, RunOptions, RunOutcome, execute


def run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Selection and output options shared by ``run`` and ``demo``."""
    options = [
        click.option("--suite", "suites", multiple=True, metavar="ID", help="Run only this suite (repeatable)."),
        click.option("--select", multiple=True, metavar="PATTERN",
                     help="Run checks whose id matches a glob or dotted prefix (repeatable)."),
        click.option("--out", "out_dir", type=click.Path(path_type=Path),
                     help="Report directory (default reports/<run-id>/)."),
        click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write the JSON report here."),
        click.option("--junit", "junit_path", type=click.Path(path_type=Path), help="Also write JUnit XML here."),
        click.option("--html", "html_path", type=click.Path(path_type=Path), help="Also write the HTML report here."),
        click.option("--testreport", "testreport_path", type=click.Path(path_type=Path),
                     help="Also write FHIR R4 TestReport resources (a collection Bundle) here."),
        click.option("--store", "store_url", metavar="URL",
                     help="Evidence store (SQLAlchemy URL; default sqlite:///reports/conformance.db)."),
        click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 64),
                     help="Checks in flight at once against the target."),
        click.option("--timeout", "check_timeout", default=60.0, show_default=True, type=click.FloatRange(0.1),
                     help="Seconds one check may take."),
        click.option("--deadline", type=click.FloatRange(0.1), metavar="SECONDS",
                     help="Stop the run after this long: unfinished checks end error, the run is stored "
                          "aborted (default: the target's [run] deadline, else none)."),
        click.option("-v", "--verbose", is_flag=True, help="Print every check as it finishes."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _options(kw: dict[str, Any]) -> RunOptions:
    return RunOptions(
        suites=list(kw["suites"]),
        select=list(kw["select"]),
        out_dir=kw["out_dir"],
        json_path=kw["json_path"],
        junit_path=kw["junit_path"],
        html_path=kw["html_path"],
        testreport_path=kw["testreport_path"],
        store_url=kw["store_url"],
        concurrency=kw["concurrency"],
        check_timeout=kw["check_timeout"],
        deadline=kw["deadline"],
        verbose=kw["verbose"],
    )


def _finished(outcome: RunOutcome) -> int:
    """Say, in one line each, what a run that did not finish cleanly left behind; the exit code."""
    for note in outcome.notes:
        click.echo(f"conformance: {note}", err=True)
    if outcome.notes:  # a clean-up cut short: say how to finish it
        run = outcome.result.run
        source = str(run.target.get("source", "TARGET"))
        flag = " --sandbox" if run.target.get("sandbox") and "://" in source else ""
        click.echo(f"conformance: `conformance cleanup --target {source}{flag} --run {run.id}` finds and deletes "
                   f"what run {run.id} left", err=True)
    if outcome.stopped is not None:
        click.echo(f"conformance: run {outcome.result.run.id} aborted: {outcome.stopped.reason}; reports of what "
                   f"ran in {outcome.report_dir}; stored as aborted (kept, never scored)", err=True)
    return outcome.exit_code


@main.command()
@click.option("--target", required=True, metavar="FILE|URL", help="A target TOML file or a FHIR base URL.")
@click.option("--sandbox", is_flag=True,
              help="Mark the target as a sandbox: allow checks that create, update and delete data.")
@click.option("--package", "packages", multiple=True, metavar="PATH|ID#VERSION",
              help="Definitions for claimed profiles: a FHIR package (.tgz or folder) or id#version from the FHIR "
                   "package cache (repeatable; added to the target's claims.packages).")
@run_options
def run(target: str, sandbox: bool, packages: tuple[str, ...], **kw: Any) -> None:
    """Run suites against a system under test."""

    def body() -> int:
        from conformance.targets import add_packages, resolve

        resolved = resolve(target, sandbox=sandbox)
        if packages:
            add_packages(resolved, list(packages))
        return _finished(execute(resolved, _options(kw)))

    guard(body)


@main.command()
@click.option("--fault", "faults", multiple=True, metavar="NAME[=VALUE]",
              help="Switch on a sandbox fault to see checks fail (repeatable; "
                   "see `conformance sandbox --list-faults`).")
@run_options
def demo(faults: tuple[str, ...], **kw: Any) -> None:
    """Start the built-in sandbox on loopback and run the suites against it."""

    def body() -> int:
        from conformance.reporting.console import make_console
        from conformance.sandbox.faults import parse_faults
        from conformance.sandbox.hl7v2.server import MllpSandbox
        from conformance.sandbox.server import SandboxServer
        from conformance.sandbox.target import sandbox_target

        try:
            active = parse_faults(list(faults))
        except ValueError as exc:
            click.echo(f"conformance: --fault: {exc}", err=True)
            return EXIT_USAGE
        console = make_console()
        with SandboxServer(active) as server, MllpSandbox(active) as mllp:
            target = sandbox_target(server.base_url, mllp=mllp.address)
            target.name = "conformance sandbox" + (f" (faults: {', '.join(faults)})" if faults else "")
            console.print(f"sandbox listening on {server.base_url} and MLLP {mllp.address}")
            options = _options(kw)
            outcome = execute(target, options, console)
        if outcome.stopped is None:  # an aborted run adds nothing to the record
            from conformance.cli.records import demo_record

            for path in demo_record(options.store_url, outcome.report_dir):
                console.print(f"maturity record: {path}")
        click.echo(str(outcome.report_dir / "report.html"))
        return _finished(outcome)

    guard(body)
