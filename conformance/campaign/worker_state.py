"""What one worker process keeps across the chunks it runs: one event loop, one store, one limiter.

Celery's thread pool hands each chunk to a thread of its own; the thread only submits the chunk to the
process's event loop (a daemon thread) and waits for it. So every target of every chunk the process
holds shares one loop, one set of store connections and one Redis connection pool, and the campaign's
``limits.concurrency`` bounds the targets in flight in the process, across chunks. Made once: a loop,
an engine and a Redis client per chunk were start-up paid again for every 20-odd targets.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from conformance.campaign import execute
from conformance.campaign.claims import gate_for
from conformance.campaign.redis_limiter import RedisLimiter
from conformance.campaign.spec import Campaign, load_campaign
from conformance.evidence.store import EvidenceStore

# A campaign file is read again after this long (or when it changes): its target files' footprints and
# the like decide which targets it holds, and a worker lives for many nights.
SPEC_TTL = 300.0
MAX_CONCURRENCY = 512  # the threads behind it are capped in execute.executor

_LOCK = threading.Lock()
_STATE: dict[tuple[str, str], WorkerState] = {}


class WorkerState:
    """The loop (in a daemon thread), store and limiters of one worker process for one broker and store."""

    def __init__(self, broker: str, store_url: str) -> None:
        self.broker = broker
        self.store = EvidenceStore(store_url or None)
        self.loop = asyncio.new_event_loop()
        self.loop.set_default_executor(execute.executor(MAX_CONCURRENCY))
        self._limiters: dict[int, RedisLimiter] = {}
        self._slots: dict[tuple[str, int], asyncio.Semaphore] = {}
        self._gate = gate_for(self.store)  # the process's store calls at once, across chunks (claims.py)
        self._specs: dict[str, tuple[int, float, Campaign]] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self.loop.run_forever, name="campaign-loop", daemon=True).start()

    def campaign(self, path: str) -> Campaign:
        """The campaign file, read once per change or ``SPEC_TTL`` (it lists every target's file)."""
        mtime = Path(path).stat().st_mtime_ns
        with self._lock:
            cached = self._specs.get(path)
            if cached is not None and cached[0] == mtime and time.monotonic() - cached[1] < SPEC_TTL:
                return cached[2]
        spec = load_campaign(path)
        with self._lock:
            self._specs[path] = (mtime, time.monotonic(), spec)
        return spec

    def run_chunk(self, campaign_path: str, keys: list[str]) -> execute.Timings:
        """Run ``keys`` in the process's loop; blocks the calling (pool) thread until all are settled."""
        spec = self.campaign(campaign_path)
        return asyncio.run_coroutine_threadsafe(self._chunk(spec, keys), self.loop).result()

    async def _chunk(self, spec: Campaign, keys: list[str]) -> execute.Timings:
        limits = spec.limits
        limiter = self._limiters.get(limits.per_host)
        if limiter is None:  # made in the loop: its connections belong to it
            limiter = self._limiters[limits.per_host] = RedisLimiter(self.broker, limits.per_host)
        slots = self._slots.setdefault((spec.name, limits.concurrency), asyncio.Semaphore(limits.concurrency))
        return await execute.run_targets(self.store, spec, keys, limiter, limits.concurrency, slots=slots,
                                         gate=self._gate)


def get(broker: str, store_url: str) -> WorkerState:
    """This process's state for ``broker`` and ``store_url``, made on first use."""
    with _LOCK:
        state = _STATE.get((broker, store_url))
        if state is None:
            state = _STATE[(broker, store_url)] = WorkerState(broker, store_url)
        return state
