"""The runner's promises: one outcome per check, order by needs/after, errors contained, events typed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conformance.checks import BaseContext, Registry, SuiteRuntime, check, expect, skip, suite
from conformance.evidence.capture import record
from conformance.model import Evidence, RunInfo, Status
from conformance.runner import CheckFinished, CheckStarted, EventLog, RunFinished, Runner, RunStarted, build_plan
from conformance.runner.plan import SelectionError
from conformance.targets import from_url


class Ctx(BaseContext):
    def __init__(self, target: Any) -> None:
        super().__init__(target)
        self.log: list[str] = []
        self.closed = False
        self.in_flight = 0
        self.max_in_flight = 0

    async def aclose(self) -> None:
        self.closed = True


CONTEXTS: list[Ctx] = []


async def make_ctx(runtime: SuiteRuntime) -> Ctx:
    ctx = Ctx(runtime.target)
    CONTEXTS.append(ctx)
    return ctx


def build_registry() -> Registry:
    reg = Registry()
    suite(id="demo", title="Demo", context=make_ctx, registry=reg)

    @check(id="demo.a.produce", title="produces", registry=reg)
    async def produce(ctx: Ctx) -> dict[str, str]:
        ctx.log.append("produce")
        record(Evidence(kind="note", summary="made x"))
        return {"id": "x"}

    @check(id="demo.a.consume", title="consumes", needs=["demo.a.produce"], registry=reg)
    async def consume(ctx: Ctx) -> None:
        ctx.log.append("consume")
        expect(ctx.product("demo.a.produce")["id"] == "x", "wrong product")

    @check(id="demo.b.fails", title="fails", registry=reg)
    async def fails(ctx: Ctx) -> None:
        expect(1 == 2, "one is not two")

    @check(id="demo.b.after-fail", title="needs failing", needs=["demo.b.fails"], registry=reg)
    async def after_fail(ctx: Ctx) -> None:
        raise AssertionError("must not run")

    @check(id="demo.b.ordered", title="ordered after fails", after=["demo.b.fails"], registry=reg)
    async def ordered(ctx: Ctx) -> None:
        ctx.log.append("ordered")

    @check(id="demo.c.boom", title="raises", registry=reg)
    async def boom(ctx: Ctx) -> None:
        raise KeyError("surprise")

    @check(id="demo.c.slow", title="too slow", timeout=0.05, registry=reg)
    async def slow(ctx: Ctx) -> None:
        await asyncio.sleep(5)

    @check(id="demo.c.skips", title="skips", required=False, registry=reg)
    async def skips(ctx: Ctx) -> None:
        skip("not claimed")

    @check(id="demo.d.writes", title="writes", destructive=True, registry=reg)
    async def writes(ctx: Ctx) -> None:
        ctx.log.append("wrote")

    @check(id="demo.d.metrics", title="metrics", registry=reg)
    async def metrics(ctx: Ctx) -> dict[str, Any]:
        return {"metrics": {"latency_ms": {"p50": 1.0}}}

    return reg


def run(reg: Registry, sandbox: bool = True, **kw: Any) -> tuple[Any, list[Any]]:
    log = EventLog()
    target = from_url("http://example.test/fhir", sandbox=sandbox)
    plan = build_plan(reg, kw.pop("suites", None), kw.pop("patterns", None))
    runner = Runner(reg, sinks=[log], **kw)
    info = RunInfo(id="r1", started="now", target=target.to_dict(), harness_version="t")
    return asyncio.run(runner.run(plan, target, info)), list(log.events)


def by_id(result: Any) -> dict[str, Any]:
    return {r.id: r for r in result.results}


def test_each_check_gets_exactly_one_outcome_kept_apart() -> None:
    result, _ = run(build_registry())
    got = {k: v.status for k, v in by_id(result).items()}
    assert got == {
        "demo.a.produce": Status.PASS,
        "demo.a.consume": Status.PASS,
        "demo.b.fails": Status.FAIL,
        "demo.b.after-fail": Status.SKIP,
        "demo.b.ordered": Status.PASS,
        "demo.c.boom": Status.ERROR,
        "demo.c.slow": Status.ERROR,
        "demo.c.skips": Status.SKIP,
        "demo.d.writes": Status.PASS,
        "demo.d.metrics": Status.PASS,
    }
    results = by_id(result)
    assert results["demo.b.fails"].message == "one is not two"
    assert "KeyError" in results["demo.c.boom"].message and "surprise" in results["demo.c.boom"].message
    assert "0.05" in results["demo.c.slow"].message
    assert results["demo.b.after-fail"].message == (
        "needs demo.b.fails, which ended fail -- because: one is not two")
    assert results["demo.a.produce"].evidence[0].summary == "made x"
    assert results["demo.a.consume"].evidence == []
    assert results["demo.d.metrics"].metrics == {"latency_ms": {"p50": 1.0}}
    assert result.summary() == {"pass": 5, "fail": 1, "skip": 2, "error": 2}
    assert CONTEXTS[-1].closed


def test_needs_and_after_order_execution() -> None:
    run(build_registry(), concurrency=8)
    log = CONTEXTS[-1].log
    assert log.index("produce") < log.index("consume")
    assert "ordered" in log


def test_destructive_checks_skip_unless_target_is_a_sandbox() -> None:
    result, _ = run(build_registry(), sandbox=False)
    writes = by_id(result)["demo.d.writes"]
    assert writes.status is Status.SKIP and "sandbox" in writes.message
    assert "wrote" not in CONTEXTS[-1].log


def test_events_are_typed_and_ordered() -> None:
    result, events = run(build_registry())
    assert isinstance(events[0], RunStarted) and events[0].total == 10
    assert isinstance(events[-1], RunFinished) and events[-1].result is result
    finished = [e for e in events if isinstance(e, CheckFinished)]
    started = [e for e in events if isinstance(e, CheckStarted)]
    assert len(finished) == 10
    # skipped-by-precondition checks never start
    assert {e.check_id for e in started} == set(by_id(result)) - {"demo.b.after-fail"}


def test_selection_pulls_in_what_a_check_needs() -> None:
    result, _ = run(build_registry(), patterns=["demo.a.consume"])
    assert [r.id for r in result.results] == ["demo.a.produce", "demo.a.consume"]


def test_selection_by_prefix_and_unknowns() -> None:
    reg = build_registry()
    assert {c.id for c in build_plan(reg, None, ["demo.c"]).checks} == {
        "demo.c.boom", "demo.c.slow", "demo.c.skips"}
    with pytest.raises(SelectionError, match="matches no check"):
        build_plan(reg, None, ["nothing.*"])
    with pytest.raises(SelectionError, match="unknown suite 'nope'"):
        build_plan(reg, ["nope"], None)


def test_concurrency_is_bounded() -> None:
    reg = Registry()
    seen: list[int] = []
    state = {"now": 0}
    suite(id="par", title="Parallel", context=make_ctx, registry=reg)
    for i in range(12):
        @check(id=f"par.x.c{i}", title=f"c{i}", registry=reg)
        async def c(ctx: Ctx) -> None:
            state["now"] += 1
            seen.append(state["now"])
            await asyncio.sleep(0.01)
            state["now"] -= 1

    run(reg, concurrency=3)
    assert max(seen) == 3


def test_context_that_cannot_start_errors_every_check() -> None:
    reg = Registry()

    async def broken(runtime: SuiteRuntime) -> BaseContext:
        raise RuntimeError("no FHIR endpoint")

    suite(id="bad", title="Bad", context=broken, registry=reg)

    @check(id="bad.x.one", title="one", registry=reg)
    async def one(ctx: Any) -> None:
        pass

    @check(id="bad.x.two", title="two", needs=["bad.x.one"], registry=reg)
    async def two(ctx: Any) -> None:
        pass

    result, _ = run(reg)
    assert [r.status for r in result.results] == [Status.ERROR, Status.ERROR]
    assert all("no FHIR endpoint" in r.message for r in result.results)


def test_registry_rejects_bad_ids() -> None:
    reg = Registry()
    suite(id="s", title="S", context=make_ctx, registry=reg)
    with pytest.raises(ValueError, match="must be lower-case"):
        check(id="s.Bad_Id", title="x", registry=reg)(make_ctx)
    with pytest.raises(ValueError, match="unknown suite"):
        check(id="other.a.b", title="x", registry=reg)(make_ctx)
    check(id="s.a.b", title="x", registry=reg)(make_ctx)
    with pytest.raises(ValueError, match="twice"):
        check(id="s.a.b", title="x", registry=reg)(make_ctx)


def test_broken_exchange_is_an_error_with_its_own_sentence() -> None:
    from conformance.checks import ExchangeBroken

    reg = Registry()
    suite(id="net", title="Net", context=make_ctx, registry=reg)

    @check(id="net.x.down", title="down", registry=reg)
    async def down(ctx: Ctx) -> None:
        raise ExchangeBroken("could not connect to http://127.0.0.1:9/metadata: connection refused")

    result, _ = run(reg)
    assert result.results[0].status is Status.ERROR
    assert result.results[0].message == "could not connect to http://127.0.0.1:9/metadata: connection refused"


async def test_fhir_suites_skip_a_target_with_no_fhir_endpoint() -> None:
    # An HL7 v2-only target: the FHIR suites have nothing to test, which is a skip saying what is
    # missing, not 144 errors ("ValueError: ...") that turn the run's exit code into 1.
    from conformance.runner import load_suites
    from conformance.targets import Target

    target = Target(name="mllp only", source="test", endpoints={"mllp": "127.0.0.1:1"}, sandbox=True)
    registry = load_suites()
    info = RunInfo(id="nofhir", started="", target=target.to_dict(), harness_version="test")
    plan = build_plan(registry, ["fhir-rest", "fhir-profiles", "gs1"])
    result = await Runner(registry).run(plan, target, info)
    assert result.results and {r.status for r in result.results} == {Status.SKIP}
    assert all("endpoints.fhir" in r.message and "Error" not in r.message for r in result.results)
