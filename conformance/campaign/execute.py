"""Run a campaign's targets: many in flight in one event loop, each one claimed, run and settled once.

One target = claim the next attempt in the ledger, probe it (retried with back-off; still silent after
``limits.attempts`` tries: an aborted run saying so, never evidence), run the suites with every HTTP
exchange through the shared per-host limiter, then store the run and settle the target in one
transaction. Nothing is stored when a run starts, so a killed worker leaves no half-run behind, only a
target still ``running`` in the ledger, claimed again by the next ``campaign run`` or by the broker's
redelivery. Writes reach a target only when its own file says ``sandbox = true`` (the transports'
write guard, writeguard.py): a campaign has no way to override it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from conformance import __version__, scrub
from conformance.campaign import ledger
from conformance.campaign.claims import Claims, gate_for
from conformance.campaign.limiter import HostLimiter, LimitedTransport, LocalLimiter
from conformance.campaign.spec import Campaign
from conformance.checks import Links
from conformance.evidence.store import EvidenceStore, StoreError
from conformance.model import RunInfo, RunResult
from conformance.runner import Runner, build_plan, load_suites
from conformance.runner.plan import Plan
from conformance.runner.probe import UnreachableError, probe, reprobe
from conformance.targets import Target, TargetError, check_credentials
from conformance.transports.tls import tls_context

SETTLED_ELSEWHERE = "settled-elsewhere"  # another attempt stored its run first: this one was discarded
NOT_STORED = "not-stored"  # the store refused even the aborted run: the target stays running, claimed again later
_PLANS: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[Any, Plan]] = {}


@dataclass
class Timings:
    """Where a campaign's time went, summed over targets (seconds)."""

    probe: float = 0.0
    checks: float = 0.0
    store: float = 0.0
    backoff: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, other: Timings) -> None:
        self.probe += other.probe
        self.checks += other.checks
        self.store += other.store
        self.backoff += other.backoff
        self.counts.update(other.counts)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def plan_for(suites: list[str], select: list[str]) -> tuple[Any, Plan]:
    """The registry and plan for a selection, built once per process (SelectionError: a usage error)."""
    key = (tuple(suites), tuple(select))
    if key not in _PLANS:
        registry = load_suites()
        _PLANS[key] = (registry, build_plan(registry, suites or None, select or None))
    return _PLANS[key]


async def run_target(store: EvidenceStore, campaign: Campaign, key: str, limiter: HostLimiter,
                     timings: Timings | None = None, claims: Claims | None = None) -> str:
    """Run one target of the campaign once; what became of it: complete, aborted, settled-elsewhere
    (nothing done: settled before, or by another attempt meanwhile). ``claims``: shared by the targets
    of a chunk (one claim statement for those starting together, the store's gate)."""
    timings = timings if timings is not None else Timings()
    claims = claims if claims is not None else Claims(store, campaign.name, gate_for(store))
    attempt = await claims.claim(key)
    if attempt is None:
        timings.counts[SETTLED_ELSEWHERE] += 1
        return SETTLED_ELSEWHERE
    info = RunInfo(id=ledger.run_id(campaign.name, key, attempt), started=_now(), harness_version=__version__,
                   target={"name": key, "source": key})
    try:
        target = campaign.target(key)
        check_credentials(target)
    except TargetError as exc:  # a harness-side lack (a file gone bad, a credential not set): not evidence
        return await _store(store, claims.gate, campaign, key, attempt, RunResult(run=_aborted(info, str(exc))),
                            timings)
    info.target = target.to_dict()
    scrub.register(*target.auth.secrets(), *target.oauth.secrets())
    why = await _reachable(target, campaign, timings)
    if why is not None:
        return await _store(store, claims.gate, campaign, key, attempt, RunResult(run=_aborted(info, why)), timings)
    registry, plan = plan_for(campaign.suites, campaign.select)
    transport = LimitedTransport(httpx.AsyncHTTPTransport(verify=tls_context(target.http.verify_tls)), limiter)
    runner = Runner(registry, concurrency=campaign.limits.check_concurrency, links=Links(http_transport=transport),
                    deadline=campaign.limits.deadline, reprobe=lambda: reprobe(target))
    started = time.perf_counter()
    try:
        result = await runner.run(plan, target, info)
    finally:
        await transport.inner.aclose()
        timings.checks += time.perf_counter() - started
    result.run.finished = _now()
    return await _store(store, claims.gate, campaign, key, attempt, result, timings)


async def _reachable(target: Target, campaign: Campaign, timings: Timings) -> str | None:
    """None once the target answers; else why not, after ``attempts`` tries with doubling back-off."""
    limits = campaign.limits
    why = ""
    for n in range(limits.attempts):
        started = time.perf_counter()
        try:
            await asyncio.to_thread(probe, target)
            return None
        except UnreachableError as exc:
            why = exc.what
        finally:
            timings.probe += time.perf_counter() - started
        if n + 1 < limits.attempts:
            await asyncio.sleep(limits.backoff * 2 ** n)
            timings.backoff += limits.backoff * 2 ** n
    return f"unreachable after {limits.attempts} attempt(s): {why}"


def _aborted(info: RunInfo, reason: str) -> RunInfo:
    info.aborted = reason
    info.finished = _now()
    return info


async def _store(store: EvidenceStore, gate: asyncio.Semaphore, campaign: Campaign, key: str, attempt: int,
                 result: RunResult, timings: Timings) -> str:
    """Store the run and settle the target. A run the store refuses (a value the database cannot hold, a
    connection lost) is stored instead as aborted with the store's reason, never as evidence; if even that
    is refused the target is left running for the next claim. Either way the other targets go on."""
    status = ledger.ABORTED if result.run.aborted else ledger.COMPLETE
    guard = ledger.settle_guard(store, campaign.name, key, attempt, status, result.run.aborted)
    started = time.perf_counter()
    refused: str | None = None
    try:
        async with gate:  # no more store calls at once than the pool keeps connections (claims.py)
            await asyncio.to_thread(store.finish_run, result, guard)
    except ledger.AlreadySettled:
        status = SETTLED_ELSEWHERE
    except StoreError as exc:
        refused = str(exc)
    finally:
        timings.store += time.perf_counter() - started
    if refused is not None and result.results:
        why = f"the evidence store refused this run's results, so none are kept: {refused}"
        return await _store(store, gate, campaign, key, attempt, RunResult(run=_aborted(result.run, why)), timings)
    if refused is not None:
        status = NOT_STORED
    timings.counts[status] += 1
    return status


async def run_targets(store: EvidenceStore, campaign: Campaign, keys: list[str], limiter: HostLimiter,
                      concurrency: int, timings: Timings | None = None,
                      progress: Callable[[str, str], None] | None = None,
                      slots: asyncio.Semaphore | None = None, gate: asyncio.Semaphore | None = None) -> Timings:
    """Run ``keys`` with at most ``concurrency`` in flight (or as many as ``slots`` lets through, shared
    with other chunks of the process; ``gate``: the process's store calls at once, claims.gate_for);
    each target's fate goes to ``progress``."""
    timings = timings if timings is not None else Timings()
    if slots is None:
        slots = asyncio.Semaphore(max(1, concurrency))
        asyncio.get_running_loop().set_default_executor(executor(concurrency))
    claims = Claims(store, campaign.name, gate if gate is not None else gate_for(store))

    async def one(key: str) -> None:
        async with slots:
            status = await run_target(store, campaign, key, limiter, timings, claims)
        if progress is not None:
            progress(key, status)

    await asyncio.gather(*(one(k) for k in keys))
    return timings


def executor(concurrency: int) -> ThreadPoolExecutor:
    """Threads for the blocking calls (probes, store writes) of ``concurrency`` targets in flight.

    The default pool (cores + 4 threads) queued 200 targets' probes behind each other (measured: most of
    a campaign's time was that queue). Threads start only as needed, so the cap costs nothing unused.
    """
    return ThreadPoolExecutor(max_workers=min(64, concurrency + 4), thread_name_prefix="campaign")


def run_embedded(store: EvidenceStore, campaign: Campaign, concurrency: int | None = None,
                 progress: Callable[[str, str], None] | None = None) -> Timings:
    """The embedded default: every unsettled target, in this process, in one event loop."""
    plan_for(campaign.suites, campaign.select)  # an unknown suite or pattern stops the campaign before any target
    ledger.enrol(store, campaign.name, list(campaign.targets))
    todo = [e.target for e in ledger.entries(store, campaign.name)
            if e.target in campaign.targets and e.status not in ledger.SETTLED]
    limiter = LocalLimiter(campaign.limits.per_host)
    return asyncio.run(run_targets(store, campaign, todo, limiter, concurrency or campaign.limits.concurrency,
                                   progress=progress))
