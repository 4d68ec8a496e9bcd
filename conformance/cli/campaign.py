"""``conformance campaign run|status|report`` and ``conformance worker`` (registered on the main group).

``campaign run`` runs every unsettled target in this process (the embedded asyncio pool) or, with
``--broker``, queues them for ``conformance worker`` processes and waits until each is settled. Run it
again after any crash: settled targets are skipped, the rest resume. Exit codes: 0 every target
complete; 1 some ended aborted; 2 usage/configuration error; 3 the harness failed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import click

from conformance.cli.common import guard as _guard
from conformance.cli.common import main
from conformance.session import EXIT_FAILED, EXIT_OK, EXIT_USAGE

STORE = click.option("--store", "store_url", metavar="URL",
                     help="Evidence store URL (default sqlite:///reports/conformance.db; PostgreSQL for workers).")
FILE = click.argument("campaign_file", type=click.Path(dir_okay=False))


def _run(body: Callable[[], int]) -> None:
    """The CLI's guard, with a bad campaign file (or a missing optional dependency) as a usage error."""
    from conformance.campaign.spec import CampaignError

    def guarded() -> int:
        try:
            return body()
        except CampaignError as exc:
            click.echo(f"conformance: {exc}", err=True)
            return EXIT_USAGE
        except ModuleNotFoundError as exc:  # the workers' optional dependencies, not installed here
            if (exc.name or "").split(".")[0] not in ("celery", "kombu", "redis"):
                raise
            click.echo(f"conformance: campaigns on workers need Celery and Redis's client ({exc.name} is not "
                       "installed): pip install 'conformance[campaign]', and a Redis server (Debian: redis-server)",
                       err=True)
            return EXIT_USAGE

    _guard(guarded)


@main.group()
def campaign() -> None:
    """Test many targets: a campaign file names them, the suites, the schedule and per-host limits."""


@campaign.command("run")
@FILE
@STORE
@click.option("--concurrency", type=int, help="Targets in flight (default: the file's limits.concurrency).")
@click.option("--broker", metavar="URL", help="Queue the targets on this Redis broker for `conformance worker`s.")
@click.option("--chunk", type=int, default=20, show_default=True, help="Targets per queued task (--broker).")
@click.option("--timeout", type=float,
              help="Seconds to wait for the workers (--broker; default: the broker's visibility timeout plus 10 "
                   "minutes, so a dead worker's chunks come back while this waits); the campaign goes on "
                   "without this command.")
def run_cmd(campaign_file: str, store_url: str | None, concurrency: int | None, broker: str | None, chunk: int,
            timeout: float | None) -> None:
    """Run (or resume) a campaign: each target ends with exactly one complete or aborted run."""

    def body() -> int:
        from conformance.campaign import execute, ledger
        from conformance.campaign.spec import load_campaign
        from conformance.evidence.store import EvidenceStore, default_store_url

        spec = load_campaign(campaign_file)
        with EvidenceStore(store_url or default_store_url()) as store:
            if broker:
                from conformance.campaign.worker import VISIBILITY_TIMEOUT, dispatch

                dispatch(broker, store, spec, chunk, timeout if timeout is not None else VISIBILITY_TIMEOUT + 600)
            else:
                execute.run_embedded(store, spec, concurrency,
                                     progress=lambda key, status: click.echo(f"{status:<9} {key}"))
            counts = Counter(e.status for e in ledger.entries(store, spec.name) if e.target in spec.targets)
        click.echo(f"campaign {spec.name}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        return EXIT_OK if counts.get(ledger.COMPLETE, 0) == len(spec.targets) else EXIT_FAILED

    _run(body)


@campaign.command("status")
@FILE
@STORE
@click.option("--json", "as_json", is_flag=True)
def status_cmd(campaign_file: str, store_url: str | None, as_json: bool) -> None:
    """Each target's state: pending, running (attempt n), complete or aborted (with the reason)."""

    def body() -> int:
        from conformance.campaign import ledger
        from conformance.campaign.spec import load_campaign
        from conformance.evidence.store import EvidenceStore, default_store_url

        spec = load_campaign(campaign_file)
        with EvidenceStore(store_url or default_store_url()) as store:
            known = {e.target: e for e in ledger.entries(store, spec.name)}
        rows = [{"target": key, "status": known[key].status if key in known else ledger.PENDING,
                 "attempt": known[key].attempt if key in known else 0,
                 "run_id": known[key].run_id if key in known else "",
                 "reason": known[key].reason if key in known else ""} for key in spec.targets]
        if as_json:
            click.echo(json.dumps({"campaign": spec.name, "targets": rows}, indent=2))
        else:
            for row in rows:
                click.echo(f"{row['status']:<9} {row['target']}  attempt {row['attempt']}  {row['run_id']}"
                           + (f"  ({row['reason']})" if row["reason"] else ""))
        return EXIT_OK

    _run(body)


@campaign.command("report")
@FILE
@STORE
@click.option("--json", "as_json", is_flag=True)
def report_cmd(campaign_file: str, store_url: str | None, as_json: bool) -> None:
    """Each settled target's run: its verdict counts (complete) or why it was aborted; totals."""

    def body() -> int:
        from conformance.campaign import ledger
        from conformance.campaign.spec import load_campaign
        from conformance.evidence.store import EvidenceStore, default_store_url

        spec = load_campaign(campaign_file)
        with EvidenceStore(store_url or default_store_url()) as store:
            runs = {r["id"]: r for r in store.list_runs()}
            entries = [e for e in ledger.entries(store, spec.name) if e.target in spec.targets]
        rows: list[dict[str, Any]] = []
        totals = Counter[str]()
        for e in entries:
            run = runs.get(e.run_id) if e.status in ledger.SETTLED else None
            summary = dict(run["summary"]) if run else {}
            totals.update({k: v for k, v in summary.items() if isinstance(v, int)})
            rows.append({"target": e.target, "status": e.status, "run_id": e.run_id if run else "",
                         "summary": summary, "reason": e.reason})
        unsettled = len(spec.targets) - sum(r["status"] in ledger.SETTLED for r in rows)
        if as_json:
            click.echo(json.dumps({"campaign": spec.name, "targets": rows, "totals": dict(totals),
                                   "unsettled": unsettled}, indent=2))
        else:
            for row in rows:
                detail = row["reason"] or ", ".join(f"{v} {k}" for k, v in row["summary"].items()
                                                    if isinstance(v, int))
                click.echo(f"{row['status']:<9} {row['target']}  {row['run_id']}  {detail}")
            click.echo(f"totals: {', '.join(f'{v} {k}' for k, v in totals.items())}; "
                       f"{unsettled} target(s) not settled yet")
        return EXIT_OK if unsettled == 0 else EXIT_FAILED

    _run(body)


@main.command()
@click.option("--broker", required=True, metavar="URL", help="The Redis broker, e.g. redis://127.0.0.1:6379/0.")
@click.option("--chunks", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Chunks this worker process holds at once; their targets share the campaign's "
              "limits.concurrency in flight. More cores: start more worker processes.")
@click.option("--beat", is_flag=True, help="Also run Celery beat: the schedules of the campaign files named in "
              "$CONFORMANCE_CAMPAIGNS (':'-separated); one beat per site.")
@STORE
def worker(broker: str, chunks: int, beat: bool, store_url: str | None) -> None:
    """A Celery worker running campaign tasks (late acknowledgement: a killed worker loses nothing)."""

    def body() -> int:
        from conformance.campaign.worker import start_worker
        from conformance.evidence.store import EvidenceStore, default_store_url

        url = store_url or default_store_url()
        EvidenceStore(url).close()  # a store that cannot be used stops the worker now, in one line
        return start_worker(broker, url, chunks, beat)

    _run(body)
