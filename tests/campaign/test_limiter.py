"""The per-host limiter: never more than N requests in flight to one host, and a 429's Retry-After obeyed
(the host paused for what it asked, the request sent again); a Redis-shared limiter across two clients."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from conformance.campaign.limiter import LimitedTransport, LocalLimiter, retry_after
from tests.campaign.helpers import redis_server


class CountingApp:
    """An ASGI app that counts requests in flight per host and answers 429 to the first ``busy`` ones."""

    def __init__(self, busy: int = 0, retry: str = "2") -> None:
        self.in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.busy, self.retry, self.seen = busy, retry, 0

    async def __call__(self, scope: dict[str, object], receive: object, send: object) -> None:
        host = dict(scope["headers"])[b"host"].decode()  # type: ignore[call-overload]
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.peak[host] = max(self.peak.get(host, 0), self.in_flight[host])
        self.seen += 1
        try:
            await asyncio.sleep(0.01)
            status = 429 if self.seen <= self.busy else 200
            headers = [(b"retry-after", self.retry.encode())] if status == 429 else []
            await send({"type": "http.response.start", "status": status, "headers": headers})  # type: ignore[operator]
            await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]
        finally:
            self.in_flight[host] -= 1


class RecordingLimiter(LocalLimiter):
    def __init__(self, per_host: int) -> None:
        super().__init__(per_host)
        self.pauses: list[tuple[str, float]] = []

    async def pause(self, host: str, seconds: float) -> None:
        self.pauses.append((host, seconds))  # recorded, not slept: the test does not wait for it


async def _burst(transport: httpx.AsyncBaseTransport, hosts: list[str], n: int) -> list[int]:
    async with httpx.AsyncClient(transport=transport) as client:
        answers = await asyncio.gather(*(client.get(f"http://{hosts[i % len(hosts)]}/x") for i in range(n)))
    return [a.status_code for a in answers]


async def test_at_most_n_requests_in_flight_per_host() -> None:
    app = CountingApp()
    limiter = LocalLimiter(3)
    statuses = await _burst(LimitedTransport(httpx.ASGITransport(app=app), limiter), ["a.test", "b.test"], 40)
    assert statuses == [200] * 40
    assert app.peak == {"a.test": 3, "b.test": 3}  # the cap was reached, never passed


async def test_429_pauses_the_host_for_retry_after_then_retries() -> None:
    app = CountingApp(busy=1, retry="7")
    limiter = RecordingLimiter(2)
    statuses = await _burst(LimitedTransport(httpx.ASGITransport(app=app), limiter), ["a.test"], 1)
    assert statuses == [200] and app.seen == 2
    assert limiter.pauses == [("a.test:", 7.0)]
    assert retry_after(httpx.Response(429, headers={"retry-after": "soon"})) == 1.0
    assert retry_after(httpx.Response(429, headers={"retry-after": "99999"})) == 60.0


async def test_a_host_that_keeps_answering_429_gets_its_answer_through() -> None:
    app = CountingApp(busy=100, retry="0")
    statuses = await _burst(LimitedTransport(httpx.ASGITransport(app=app), RecordingLimiter(1)), ["a.test"], 1)
    assert statuses == [429] and app.seen == 4  # three retries, then the check sees the 429


async def test_redis_limiter_is_shared_by_two_clients(tmp_path: Path) -> None:
    from conformance.campaign.redis_limiter import RedisLimiter

    with redis_server(tmp_path) as url:
        app = CountingApp()
        one, two = RedisLimiter(url, 2), RedisLimiter(url, 2)  # as two workers would each have
        try:
            results = await asyncio.gather(
                _burst(LimitedTransport(httpx.ASGITransport(app=app), one), ["a.test"], 12),
                _burst(LimitedTransport(httpx.ASGITransport(app=app), two), ["a.test"], 12))
            await one.pause("x:", 5)
            paused = await one.redis.pttl("conformance:host:x::pause")
        finally:
            await one.close()
            await two.close()
    assert results == [[200] * 12, [200] * 12]
    assert app.peak == {"a.test": 2}
    assert 0 < paused <= 5000


async def test_leased_slots_hold_the_limit_across_workers_in_fewer_round_trips(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker reuses the slots it leased (no round trip a request), yet the two together never pass
    the limit, and a worker's unused slots go back to Redis for the other."""
    from conformance.campaign.redis_limiter import RedisLimiter

    with redis_server(tmp_path) as url:
        app = CountingApp()
        one, two = RedisLimiter(url, 3), RedisLimiter(url, 3)
        try:
            sent = [_counting(one, monkeypatch), _counting(two, monkeypatch)]
            for _ in range(3):
                results = await asyncio.gather(
                    _burst(LimitedTransport(httpx.ASGITransport(app=app), one), ["a.test"], 30),
                    _burst(LimitedTransport(httpx.ASGITransport(app=app), two), ["a.test"], 30))
                assert results == [[200] * 30, [200] * 30]
            trips = sum(n for n, in sent)
            given_back = await _slots_empty(one, "conformance:host:a.test::slots")
        finally:
            await one.close()
            await two.close()
    assert app.peak == {"a.test": 3}  # the cap was reached by the two together, never passed
    assert 0 < trips < 180, trips  # 180 requests: fewer than one round trip each (two each and polls before)
    assert given_back


async def test_two_unshared_limiters_pass_the_limit() -> None:
    """The control: the count above can fail (two workers each with only its own limit send 2 x 3)."""
    app = CountingApp()
    await asyncio.gather(_burst(LimitedTransport(httpx.ASGITransport(app=app), LocalLimiter(3)), ["a.test"], 30),
                         _burst(LimitedTransport(httpx.ASGITransport(app=app), LocalLimiter(3)), ["a.test"], 30))
    assert app.peak["a.test"] > 3


async def test_a_pause_by_one_worker_stops_the_other_reusing_its_slots(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.campaign import redis_limiter

    monkeypatch.setattr(redis_limiter, "LINGER", 30.0)  # two's free slot stays free for the whole test
    with redis_server(tmp_path) as url:
        one, two = redis_limiter.RedisLimiter(url, 2), redis_limiter.RedisLimiter(url, 2)
        try:
            await two.release("h:", await two.acquire("h:"))  # two now holds a free, reusable slot
            await one.pause("h:", 5)  # a 429 seen by one
            assert two._hosts["h:"].free  # held, not given back
            await asyncio.sleep(redis_limiter.FRESH * 2)  # two's last word from Redis is now stale
            waiting = asyncio.ensure_future(two.acquire("h:"))
            await asyncio.sleep(0.5)
            assert not waiting.done()
            assert two._hosts["h:"].until - time.monotonic() > 3  # two learnt of the pause from Redis
            waiting.cancel()
        finally:
            await one.close()
            await two.close()


def _counting(limiter: object, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every command ``limiter`` sends Redis from now on, counted as it is sent: a round trip each (the
    limiter pipelines nothing). Redis's own commandstats would also count each command a script runs."""
    sent = [0]
    redis = limiter.redis  # type: ignore[attr-defined]
    send = redis.execute_command

    async def counted(*args: object, **options: object) -> object:
        sent[0] += 1
        return await send(*args, **options)

    monkeypatch.setattr(redis, "execute_command", counted)
    return sent


async def _slots_empty(limiter: object, key: str) -> bool:
    """Whether the host's leased slots all go back to Redis once nobody uses them (polled up to 10 s)."""
    for _ in range(100):
        if await limiter.redis.zcard(key) == 0:  # type: ignore[attr-defined]
            return True
        await asyncio.sleep(0.1)
    return False
