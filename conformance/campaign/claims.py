"""The store as a process's targets share it: claims of targets that start together in one statement, and
two store calls at a time (never more than the store's pool keeps connections).

Measured on the throughput bench's PostgreSQL (issue 23): with 200 targets in flight a worker's threads
asked for more connections than the pool keeps, so connections were opened and closed all campaign long
(50 sessions for 200 targets: a backend forked, logged in and its caches filled each time), and every
target's claim was a transaction of its own. A narrow gate keeps the same few connections busy; the
seal log's lock orders the runs' seals anyway, so more at once stored nothing sooner.
"""

from __future__ import annotations

import asyncio

from conformance.campaign import ledger
from conformance.evidence.store import EvidenceStore

# Two: one run writes its rows while another holds the seal log's lock. With the pool's five, the waits
# on that lock cost PostgreSQL more CPU than they saved (200 runs in flight, in one process: 2.35-2.55 ms
# a run with two at once, 3.05-3.90 with five, 2.55-2.80 with one; the loaded machine's clock showed no
# slowdown).
AT_ONCE = 2


def gate_for(store: EvidenceStore) -> asyncio.Semaphore:
    """``AT_ONCE`` store calls at a time, never more than the store's pool keeps connections."""
    size = getattr(store.engine.pool, "size", None)
    return asyncio.Semaphore(max(1, min(AT_ONCE, int(size()) if callable(size) else AT_ONCE)))


class Claims:
    """``await claims.claim(key)``: the attempt claimed, or None when settled; the keys asked for while a
    claim is in the store go together in the next one (ledger.claim_many)."""

    def __init__(self, store: EvidenceStore, campaign: str, gate: asyncio.Semaphore) -> None:
        self.store, self.campaign, self.gate = store, campaign, gate
        self.statements = 0  # claim_many calls made (tests and the bench read it)
        self._waiting: dict[str, list[asyncio.Future[int | None]]] = {}
        self._drainer: asyncio.Task[None] | None = None

    async def claim(self, key: str) -> int | None:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # the targets starting in this same turn of the loop join the first batch
        while self._waiting:
            # One future a key a batch: the same key asked twice (a chunk delivered twice to one process)
            # gets the next attempt in the next batch, as two claims one after another did.
            batch = {key: futures.pop(0) for key, futures in self._waiting.items()}
            self._waiting = {k: f for k, f in self._waiting.items() if f}
            try:
                got = await self._claim(list(batch))
            except Exception as exc:  # noqa: BLE001 - one target's failure is not the others': each claimed alone
                for key, future in batch.items():
                    if len(batch) == 1 and not future.done():
                        future.set_exception(exc)
                    else:
                        await self._claim_alone(key, future)
                continue
            for key, future in batch.items():
                if not future.done():
                    future.set_result(got.get(key))

    async def _claim(self, keys: list[str]) -> dict[str, int]:
        async with self.gate:
            self.statements += 1
            return await asyncio.to_thread(ledger.claim_many, self.store, self.campaign, keys)

    async def _claim_alone(self, key: str, future: asyncio.Future[int | None]) -> None:
        """A target of a batch that failed, claimed on its own: an error is raised in it only, as a claim of
        its own was (a batch failing as one had failed every target of a chunk)."""
        try:
            got = (await self._claim([key])).get(key)
        except Exception as exc:  # noqa: BLE001 - raised in the target that asked
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(got)
