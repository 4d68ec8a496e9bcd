"""Campaigns at scale: Celery workers over a Redis broker, results in the evidence store (PostgreSQL).

A task is a chunk of one campaign's targets. A worker process holds several chunks at once (Celery's
thread pool, ``--chunks``) and runs all their targets in one event loop of its own (execute.run_targets),
at most the campaign's ``limits.concurrency`` in flight across them: the next chunk's targets start as
the last ones of a chunk finish, so the process never idles at a chunk's tail. The loop, the store's
connections and the Redis limiter are made once per process, not per chunk (worker_state.py).

Late acknowledgement (``acks_late``): a task is acknowledged only when its chunk is done. A worker
process killed mid-chunk (SIGKILL, the OOM killer, the host lost) leaves its chunks unacknowledged in
Redis, which puts them back on the queue once the visibility timeout has passed (swept every
``RESTORE_EVERY`` s); the ledger skips the targets a chunk already settled and claims the rest anew
(attempt + 1), and settles each in the transaction that stores its run, so nothing is lost and nothing
kept twice. The per-host limit is shared by every worker through Redis (redis_limiter.py).

Celery beat (``conformance worker --beat``) runs each campaign named in ``$CONFORMANCE_CAMPAIGNS``
(paths, ``:``-separated) on its file's cron ``schedule``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from celery import Celery
from celery.schedules import crontab

from conformance.campaign import execute, ledger, worker_state
from conformance.campaign.spec import Campaign, load_campaign
from conformance.evidence.store import EvidenceStore

QUEUE = "conformance-campaign"
# Redis gives an unacknowledged task back once this passes without an ack (its worker process gone).
# A duplicate delivery is harmless (the ledger), only wasted work: keep it above a chunk's running time.
VISIBILITY_TIMEOUT = float(os.environ.get("CONFORMANCE_VISIBILITY_TIMEOUT", "3600"))
# How often each worker looks for tasks past the visibility timeout (one Redis query; kombu's default
# looks every 100 s).
RESTORE_EVERY = 10
# How often `campaign run --broker` reads the ledger: each read scans the campaign's rows (measured on
# PostgreSQL: 0.4-0.6 ms of the server's CPU for 200 targets, 7.4 ms for 20,000), so a national night's
# campaign read every 0.5 s would cost the server more than storing its runs; a large one is read less often.
WATCH, MAX_WATCH, WATCHED_A_SECOND = 0.5, 10.0, 2000


def make_app(broker: str, store_url: str = "") -> Celery:
    """The Celery app; ``store_url`` is the worker's own store (never sent through the broker: it may
    hold a password)."""
    app = Celery("conformance", broker=broker, set_as_current=False)
    app.conf.update(
        conformance_store=store_url,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=False,
        worker_prefetch_multiplier=1,  # a worker holds as many chunks as it has threads; the rest stay queued
        task_default_queue=QUEUE,
        task_ignore_result=True,  # results are in the evidence store, not the broker
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT,
                                  "unacked_restore_interval": RESTORE_EVERY, "unacked_restore_throttle": 1},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_schedule=_schedules(),
    )
    app.task(name="conformance.campaign.chunk", bind=True)(_chunk_task)
    app.task(name="conformance.campaign.scheduled", bind=True)(_scheduled_task)
    return app


def _chunk_task(task: Any, campaign_path: str, keys: list[str]) -> dict[str, int]:
    """Run a chunk of targets in this process's event loop; returns how each ended (also in the ledger)."""
    state = worker_state.get(str(task.app.conf.broker_url), str(task.app.conf.conformance_store))
    return dict(state.run_chunk(campaign_path, keys).counts)


def _scheduled_task(task: Any, campaign_path: str, chunk: int = 20) -> None:
    """Beat's nightly entry: queue every target of the campaign that the ledger does not show settled."""
    spec = load_campaign(campaign_path)
    with EvidenceStore(str(task.app.conf.conformance_store) or None) as store:
        enqueue(task.app, store, spec, chunk)


def _schedules() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in filter(None, os.environ.get("CONFORMANCE_CAMPAIGNS", "").split(":")):
        spec = load_campaign(path)
        if spec.schedule:
            minute, hour, day, month, weekday = spec.schedule.split()
            out[spec.name] = {"task": "conformance.campaign.scheduled", "args": (path,),
                              "schedule": crontab(minute, hour, weekday, day, month)}
    return out


def enqueue(app: Celery, store: EvidenceStore, spec: Campaign, chunk: int) -> int:
    """Queue the campaign's unsettled targets in chunks; how many targets were queued."""
    execute.plan_for(spec.suites, spec.select)  # an unknown suite or pattern: refused here, not in every worker
    ledger.enrol(store, spec.name, list(spec.targets))
    todo = [e.target for e in ledger.entries(store, spec.name)
            if e.target in spec.targets and e.status not in ledger.SETTLED]
    path = str(spec.path.resolve())
    for start in range(0, len(todo), max(1, chunk)):
        app.send_task("conformance.campaign.chunk", args=(path, todo[start:start + chunk]))
    return len(todo)


def dispatch(broker: str, store: EvidenceStore, spec: Campaign, chunk: int, timeout: float) -> None:
    """Queue the unsettled targets and wait (up to ``timeout`` s) until the ledger shows all settled."""
    enqueue(make_app(broker), store, spec, chunk)
    deadline = time.monotonic() + timeout
    every = min(MAX_WATCH, max(WATCH, len(spec.targets) / WATCHED_A_SECOND))
    while time.monotonic() < deadline:
        if not any(t in spec.targets for t in ledger.unsettled(store, spec.name)):  # unsettled rows only
            return
        time.sleep(every)


def start_worker(broker: str, store_url: str, chunks: int, beat: bool) -> int:
    """Run a worker in this process until it is stopped: ``chunks`` tasks held at once (one thread each,
    all their targets in the process's one event loop). More cores: more worker processes."""
    app = make_app(broker, store_url)
    argv = ["worker", "--loglevel=WARNING", f"--concurrency={max(1, chunks)}", "--pool=threads",
            "-Q", QUEUE, "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if beat:
        argv.append("--beat")
    app.worker_main(argv)
    return 0
