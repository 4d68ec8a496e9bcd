"""``conformance cleanup``: remove what earlier runs left on a sandbox (the logic is conformance/cleanup/).

Exit 0 when nothing of the harness's remains, 1 when something does (or, with --dry-run, when something
was found), 2 for a target not marked as a sandbox or another usage error.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from conformance.cli.common import guard, main
from conformance.session import EXIT_FAILED, EXIT_OK, EXIT_USAGE


@main.command()
@click.option("--target", required=True, metavar="FILE|URL",
              help="A target TOML file (sandbox = true) or a FHIR base URL.")
@click.option("--run", "run_id", metavar="RUN_ID", help="Only what this run left (default: what any run left).")
@click.option("--dry-run", is_flag=True, help="Find and list; delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option("--sandbox", is_flag=True, help="Mark a URL target as a sandbox (as `run --sandbox`).")
@click.option("--ledger", "ledger_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Where runs journal what API calls created (default reports/created/ in the working directory).")
def cleanup(target: str, run_id: str | None, dry_run: bool, as_json: bool, sandbox: bool,
            ledger_dir: Path | None) -> None:
    """Find and delete what earlier runs (killed ones too) left on a sandbox target, by the harness's tag."""

    def body() -> int:
        from conformance.cleanup import NotSandboxError, clean, require_sandbox
        from conformance.targets import check_credentials, resolve

        resolved = resolve(target, sandbox=sandbox)
        try:
            require_sandbox(resolved)  # before anything else: this command deletes data
        except NotSandboxError as exc:
            click.echo(f"conformance: {exc}", err=True)
            return EXIT_USAGE
        check_credentials(resolved)
        report = asyncio.run(clean(resolved, run_id, dry_run, ledger_dir=ledger_dir))
        if as_json:
            click.echo(json.dumps(report.to_dict(), indent=2))
        else:
            for line in report.lines():
                click.echo(line)
        return EXIT_OK if report.ok else EXIT_FAILED

    guard(body)
