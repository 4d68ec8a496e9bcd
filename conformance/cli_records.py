"""``conformance evidence ...``: verify and export sealed evidence (the record commands live here too).

Registered on the main command group by conformance/cli.py; kept apart so cli.py stays small.
"""

from __future__ import annotations

from pathlib import Path

import click

from conformance.cli import _guard, main

STORE_HELP = "Evidence store URL (default: sqlite:///reports/conformance.db under the working directory)."


@main.group()
def evidence() -> None:
    """Verify and export sealed evidence: exit 0 intact, 1 a change was found, 2 usage."""


@evidence.command("verify")
@click.argument("pack", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def evidence_verify(pack: Path | None, store_url: str | None) -> None:
    """Recompute every seal, chain and evidence digest in the store, or in one exported PACK."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore
        from conformance.evidence.verify import verify_pack

        if pack is not None:
            if store_url:
                click.echo("conformance: evidence verify: give a PACK or --store, not both", err=True)
                return 2
            if not pack.is_file():
                click.echo(f"conformance: evidence verify: {pack}: no such file", err=True)
                return 2
            run_id, problems = verify_pack(pack)
            what = f"pack {pack} (run {run_id or '?'})"
        else:
            with EvidenceStore(store_url) as store:
                count, problems = store.verify()
                what = f"store {store.url} ({count} sealed run{'s' * (count != 1)})"
        for problem in problems:
            click.echo(problem.line())
        if problems:
            click.echo(f"FAILED: {what}: {len(problems)} problem{'s' * (len(problems) != 1)}", err=True)
            return 1
        click.echo(f"OK: {what}: every digest and link verified")
        return 0

    _guard(body)


@evidence.command("export")
@click.argument("run_id")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Write the pack here.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def evidence_export(run_id: str, output: Path, store_url: str | None) -> None:
    """Write sealed run RUN_ID as one file that `conformance evidence verify PACK` checks anywhere."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore

        with EvidenceStore(store_url) as store:
            size = store.export(run_id, output)
        click.echo(f"{output} ({size:,} bytes)")
        return 0

    _guard(body)
