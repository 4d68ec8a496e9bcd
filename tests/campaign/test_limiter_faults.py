"""The Redis limiter when things go wrong: Redis restarted empty mid-campaign (the slots and the pauses'
epoch gone), epoch replies arriving out of order, a request cancelled while its slots are being taken,
a request longer than a lease, a worker dying with free slots."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.campaign import redis_limiter
from conformance.campaign.redis_limiter import RedisLimiter
from tests.campaign.helpers import Broker, redis_server


async def _restart(broker: Broker, *limiters: RedisLimiter) -> None:
    """Stop Redis and start it again empty; wait until each limiter's connections answer again."""
    broker.stop()
    broker.start()
    for limiter in limiters:
        for _ in range(50):
            try:
                await limiter.redis.ping()
                break
            except Exception:  # a pooled connection to the old server: dropped, tried again
                await asyncio.sleep(0.1)
    await asyncio.sleep(redis_limiter.FRESH * 2)  # what each limiter last read of the epoch is stale now


async def _held_back(acquiring: asyncio.Future[str], seconds: float = 0.5) -> bool:
    """Whether an acquire is still waiting after ``seconds`` (then it is cancelled)."""
    await asyncio.sleep(seconds)
    waiting = not acquiring.done()
    acquiring.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await acquiring
    return waiting


async def test_free_slots_are_not_reused_after_redis_restarts_empty(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Two holds two free slots; Redis restarts without them and one leases both: two must not send
    beside it (it reused its free slots, 2 x per_host in flight, until they aged out)."""
    monkeypatch.setattr(redis_limiter, "LINGER", 30.0)  # two's free slots stay free for the whole test
    monkeypatch.setattr(redis_limiter, "REUSE", 30.0)
    broker = Broker(tmp_path / "redis", appendonly=False)
    broker.start()
    one, two = RedisLimiter(broker.url, 2), RedisLimiter(broker.url, 2)
    try:
        tokens = await asyncio.gather(two.acquire("h:"), two.acquire("h:"))
        for token in tokens:
            await two.release("h:", token)
        assert len(two._hosts["h:"].free) == 2
        await _restart(broker, one, two)
        held = await asyncio.gather(one.acquire("h:"), one.acquire("h:"))  # the set now: one's two slots
        assert await one.redis.zcard("conformance:host:h::slots") == 2
        assert await _held_back(asyncio.ensure_future(two.acquire("h:")))
        for token in held:
            await one.release("h:", token)
    finally:
        await one.close()
        await two.close()
        broker.stop()


async def test_a_pause_set_after_redis_restarts_empty_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The epoch was a counter: restarted at 0, a pause after the restart counted it to 1 again, which a
    worker that had seen 1 before took for no change, and it went on reusing its slot of the paused host."""
    monkeypatch.setattr(redis_limiter, "LINGER", 30.0)
    monkeypatch.setattr(redis_limiter, "REUSE", 30.0)
    broker = Broker(tmp_path / "redis", appendonly=False)
    broker.start()
    one, two = RedisLimiter(broker.url, 2), RedisLimiter(broker.url, 2)
    try:
        await two.release("h:", await two.acquire("h:"))
        await one.pause("x:", 0.05)  # another host's pause: the epoch moves once
        await asyncio.sleep(redis_limiter.FRESH * 2)
        await two.release("h:", await two.acquire("h:"))  # two reads the new epoch, h not paused under it
        assert two._hosts["h:"].free and two._hosts["h:"].epoch == two._epoch
        await _restart(broker, one, two)
        await one.pause("h:", 5)  # the first pause after the restart
        assert await _held_back(asyncio.ensure_future(two.acquire("h:")))
        assert two._hosts["h:"].until - time.monotonic() > 3  # two learnt of the pause from Redis
    finally:
        await one.close()
        await two.close()
        broker.stop()


async def test_an_older_epoch_reply_does_not_overwrite_a_newer_one(tmp_path: Path) -> None:
    """Two reads of the epoch on two connections: the later-started one's answer stands even when the
    earlier one's arrives after it (it may have been read before a pause the later one saw)."""
    with redis_server(tmp_path) as url:
        limiter = RedisLimiter(url, 2)
        try:
            older, newer = limiter._started(), limiter._started()
            assert limiter._seen("after-the-pause", newer)
            assert not limiter._seen("before-the-pause", older)
            assert limiter._epoch == "after-the-pause"
            state = limiter._hosts["h:"]
            limiter._heard(state, 0, "before-the-pause", older)
            assert state.epoch is None  # an old "not paused" under another epoch: not believed
        finally:
            await limiter.close()


async def test_a_request_cancelled_while_its_slots_are_taken_does_not_lose_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled after the script leased its slot, before the reply was handled: the slot went on being
    leased in Redis for LEASE_MS (then 120 s) with nobody to use or give it back; now it goes free, then back."""
    monkeypatch.setattr(redis_limiter, "LINGER", 0.05)
    with redis_server(tmp_path) as url:
        limiter, other = RedisLimiter(url, 1), RedisLimiter(url, 1)
        try:
            take = limiter._take_script
            leased = asyncio.Event()

            async def slow_reply(**kwargs: Any) -> Any:
                reply = await take(**kwargs)
                leased.set()
                await asyncio.sleep(0.2)  # the reply still on its way when the request is cancelled
                return reply

            monkeypatch.setattr(limiter, "_take_script", slow_reply)
            acquiring = asyncio.ensure_future(limiter.acquire("h:"))
            await leased.wait()
            acquiring.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await acquiring
            token = await asyncio.wait_for(other.acquire("h:"), 5)  # the slot came back for the other worker
            await other.release("h:", token)
        finally:
            await limiter.close()
            await other.close()


async def test_held_slots_are_renewed_and_a_dead_workers_run_out_soon(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A request longer than a lease keeps its slot (renewed); a worker that dies holding a free slot
    (SIGKILL: nothing given back, nothing renewed) loses it after one lease, not 120 s."""
    monkeypatch.setattr(redis_limiter, "LEASE_MS", 600)
    monkeypatch.setattr(redis_limiter, "RENEW", 0.15)
    monkeypatch.setattr(redis_limiter, "LINGER", 30.0)  # the slot stays free in the process that dies
    with redis_server(tmp_path) as url:
        one, other = RedisLimiter(url, 1), RedisLimiter(url, 1)
        try:
            token = await one.acquire("h:")
            assert await _held_back(asyncio.ensure_future(other.acquire("h:")), 1.5)  # 2.5 leases
            await one.release("h:", token)
            assert one._hosts["h:"].free and one._renewer is not None
            one._renewer.cancel()  # one dies
            got = await asyncio.wait_for(other.acquire("h:"), 5)
            await other.release("h:", got)
        finally:
            await one.close()
            await other.close()


async def test_a_redis_that_never_answers_ends_the_request_with_a_redis_error_not_a_hang() -> None:
    """A Redis that accepts the connection and then says nothing (hung, or a black hole on the path):
    the limiter's call ends with redis' own TimeoutError, which the check reports as a harness error,
    instead of the request (and the campaign's run) waiting forever."""
    import redis.exceptions

    heard: list[bytes] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heard.append(await reader.read(1024))  # the command arrives; no reply is ever written
        await reader.read()  # until the limiter gives up and closes
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limiter = RedisLimiter(f"redis://127.0.0.1:{port}/0", 2, timeout=0.3)
    try:
        with pytest.raises(redis.exceptions.TimeoutError):
            await asyncio.wait_for(limiter.acquire("h:"), 30)  # bounded here only so a regression cannot hang
        assert heard and heard[0]  # it did reach the silent server: the timeout, not a refused connection
        assert limiter._hosts["h:"].gate._value == 2  # the request's place at the gate was given back
    finally:
        await limiter.close()
        server.close()
        await server.wait_closed()
