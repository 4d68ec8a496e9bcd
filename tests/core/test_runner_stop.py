"""A run stopped early: the target dies, the deadline passes, Ctrl-C. Every check still ends in one
outcome, the suites still clean up (told they were cut short), and the run says why it was aborted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from conformance import liveness
from conformance.checks import BaseContext, ExchangeBroken, Registry, SuiteRuntime, check, suite
from conformance.model import RunInfo, RunResult, Status
from conformance.runner import Runner, build_plan
from conformance.runner.stop import SUSPECT_AFTER
from conformance.targets import from_url

FOREVER = 3600.0  # a check that would never end; the runner must cancel it (the check timeout is the backstop)


class Ctx(BaseContext):
    def __init__(self, target: Any) -> None:
        super().__init__(target)
        self.closed = False
        self.closed_cut_short: bool | None = None
        self.hang_on_close = False

    async def aclose(self) -> None:
        self.closed_cut_short = self.cut_short
        if self.hang_on_close:
            await asyncio.sleep(FOREVER)
        self.closed = True


def registry(quick: int, refused: int, slow: int, hang_on_close: bool = False,
             on_quick: Any = None) -> tuple[Registry, list[Ctx]]:
    reg = Registry()
    contexts: list[Ctx] = []

    async def make(runtime: SuiteRuntime) -> Ctx:
        ctx = Ctx(runtime.target)
        ctx.hang_on_close = hang_on_close
        contexts.append(ctx)
        return ctx

    suite(id="s", title="S", context=make, registry=reg)
    for n in range(quick):
        @check(id=f"s.quick.c{n}", title="answers", registry=reg)
        async def answers(ctx: Ctx) -> None:
            liveness.answered()
            if on_quick is not None:
                on_quick()

    for n in range(refused):
        @check(id=f"s.refused.c{n}", title="refused", after=[f"s.quick.c{q}" for q in range(quick)], registry=reg)
        async def refused_check(ctx: Ctx) -> None:
            liveness.unreachable("could not connect to 127.0.0.1:9: connection refused")
            raise ExchangeBroken("could not connect to 127.0.0.1:9: connection refused")

    for n in range(slow):
        @check(id=f"s.slow.c{n}", title="slow", registry=reg)
        async def slow_check(ctx: Ctx) -> None:
            await asyncio.sleep(FOREVER)

    return reg, contexts


def run(reg: Registry, concurrency: int = 2, **kw: Any) -> tuple[RunResult, Runner]:
    runner = Runner(reg, concurrency=concurrency, check_timeout=30.0, **kw)
    info = RunInfo(id="r1", started="2026-01-01T00:00:00Z", target={}, harness_version="t")
    result = asyncio.run(runner.run(build_plan(reg), from_url("http://127.0.0.1:9"), info))
    return result, runner


def by_id(result: RunResult) -> dict[str, Any]:
    return {r.id: r for r in result.results}


def test_target_that_stops_answering_aborts_the_run_after_a_failed_reprobe() -> None:
    probes: list[int] = []

    async def reprobe() -> str | None:
        probes.append(1)
        return "the fhir endpoint http://127.0.0.1:9 is unreachable (Connection refused)"

    reg, contexts = registry(quick=2, refused=SUSPECT_AFTER, slow=3)
    result, runner = run(reg, concurrency=4 + SUSPECT_AFTER, reprobe=reprobe)
    assert probes, "the runner never re-probed"
    assert runner.stopped is not None and runner.stopped.kind == "unreachable"
    assert result.run.aborted.startswith("the target stopped answering at ")
    assert "Connection refused" in result.run.aborted
    checks = by_id(result)
    assert len(checks) == 2 + SUSPECT_AFTER + 3  # every check has exactly one outcome
    assert all(checks[f"s.quick.c{n}"].status is Status.PASS for n in range(2))  # finished before: kept
    for n in range(3):
        slow = checks[f"s.slow.c{n}"]
        assert slow.status is Status.ERROR and slow.message.startswith("not run: the target stopped answering at ")
    assert contexts[0].closed and contexts[0].closed_cut_short is True


def test_no_check_starts_while_the_reprobe_is_deciding() -> None:
    """A dead target refuses in a millisecond, a re-probe takes longer (a busy machine, a connect
    timeout): checks that start meanwhile would all end before it decides, the run would count as
    complete and its broken exchanges would be scored. So checks wait for the re-probe's answer."""
    probes: list[int] = []

    async def reprobe() -> str | None:
        probes.append(1)
        await asyncio.sleep(0.2)  # longer than the refused checks take; no time is asserted
        return "the mllp endpoint 127.0.0.1:9 is unreachable (Connection refused)"

    reg, _ = registry(quick=1, refused=SUSPECT_AFTER * 4, slow=0)
    result, runner = run(reg, concurrency=1, reprobe=reprobe)
    assert runner.stopped is not None and runner.stopped.kind == "unreachable"
    assert result.run.aborted.startswith("the target stopped answering at ")
    checks = by_id(result)
    refused = [checks[f"s.refused.c{n}"] for n in range(SUSPECT_AFTER * 4)]
    assert [r.message.startswith("not run: ") for r in refused] == [False] * SUSPECT_AFTER + [True] * (
        SUSPECT_AFTER * 3)
    assert len(probes) == 1


def test_a_target_that_answers_the_reprobe_is_not_given_up() -> None:
    async def reprobe() -> str | None:
        return None

    reg, contexts = registry(quick=1, refused=SUSPECT_AFTER * 2, slow=0)
    result, runner = run(reg, reprobe=reprobe)
    assert runner.stopped is None and result.run.aborted == ""
    assert all(r.status is Status.ERROR and "connection refused" in r.message
               for r in result.results if r.id.startswith("s.refused."))
    assert contexts[0].closed_cut_short is False


def test_without_a_reprobe_connection_failures_do_not_abort() -> None:
    """In-memory twins cannot die: the session passes no reprobe, and the runner watches nothing."""
    reg, _ = registry(quick=0, refused=SUSPECT_AFTER * 2, slow=0)
    result, runner = run(reg)
    assert runner.stopped is None and result.run.aborted == ""
    assert len(result.results) == SUSPECT_AFTER * 2


def test_run_deadline_cuts_unfinished_checks_and_aborts() -> None:
    reg, contexts = registry(quick=3, refused=0, slow=4)
    result, runner = run(reg, deadline=0.3)
    assert runner.stopped is not None and runner.stopped.kind == "deadline"
    assert result.run.aborted.startswith("the run deadline of 0.3 s passed with ")
    checks = by_id(result)
    assert all(checks[f"s.quick.c{n}"].status is Status.PASS for n in range(3))
    assert all(checks[f"s.slow.c{n}"].status is Status.ERROR
               and checks[f"s.slow.c{n}"].message == "the run deadline of 0.3 s passed before this check finished"
               for n in range(4))
    assert contexts[0].closed and contexts[0].closed_cut_short is True
    assert result.to_dict()["run"]["status"] == "aborted"


def test_a_deadline_not_reached_leaves_the_run_complete() -> None:
    reg, _ = registry(quick=3, refused=0, slow=0)
    result, runner = run(reg, deadline=600)
    assert runner.stopped is None and result.run.aborted == ""
    assert "status" not in result.to_dict()["run"]


def test_interrupt_cancels_running_checks_and_still_cleans_up() -> None:
    holder: dict[str, Runner] = {}
    reg, contexts = registry(quick=1, refused=0, slow=5, on_quick=lambda: holder["runner"].interrupt())
    runner = Runner(reg, concurrency=3, check_timeout=30.0)
    holder["runner"] = runner
    info = RunInfo(id="r2", started="2026-01-01T00:00:00Z", target={}, harness_version="t")
    result = asyncio.run(runner.run(build_plan(reg), from_url("http://127.0.0.1:9"), info))
    assert runner.stopped is not None and runner.stopped.kind == "interrupted"
    assert result.run.aborted == "interrupted by the user"
    slow = [r for r in result.results if r.id.startswith("s.slow.")]
    assert len(slow) == 5
    assert all(r.status is Status.ERROR and r.message == "interrupted by the user before this check finished"
               for r in slow)
    assert contexts[0].closed and contexts[0].closed_cut_short is True


def test_interrupt_after_every_check_finished_changes_nothing() -> None:
    reg, _ = registry(quick=2, refused=0, slow=0)
    runner = Runner(reg)
    info = RunInfo(id="r3", started="2026-01-01T00:00:00Z", target={}, harness_version="t")
    result = asyncio.run(runner.run(build_plan(reg), from_url("http://127.0.0.1:9"), info))
    runner.interrupt()
    assert runner.stopped is None and result.run.aborted == ""


def test_clean_up_that_hangs_is_bounded_and_reported() -> None:
    reg, contexts = registry(quick=1, refused=0, slow=1, hang_on_close=True)
    result, runner = run(reg, deadline=0.2, cleanup_timeout=0.2)
    assert result.run.aborted
    assert contexts[0].closed is False
    assert runner.notes and "clean-up did not finish within 0.2 s" in runner.notes[0]


def test_watch_counts_consecutive_failures_only() -> None:
    suspected: list[str] = []
    watch = liveness.Watch(3, suspected.append)
    with liveness.watching(watch):
        liveness.unreachable("a")
        liveness.unreachable("b")
        liveness.answered()
        liveness.unreachable("c")
        liveness.unreachable("d")
        assert suspected == []
        liveness.unreachable("e")
    assert suspected == ["e"]
    liveness.unreachable("outside any watch")  # no watch installed: nothing happens
    assert suspected == ["e"]


def test_a_clean_up_cut_short_says_how_to_finish_it(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli.run import _finished
    from conformance.session import RunOutcome

    info = RunInfo(id="r-1", started="", target={"source": "http://sb.test/fhir", "sandbox": True},
                   harness_version="t")
    note = "suite fhir-rest: clean-up did not finish within 30 s; it may have left data on the target"
    _finished(RunOutcome(result=RunResult(run=info), report_dir=Path("out"), written={}, notes=[note]))
    err = capsys.readouterr().err
    assert note in err
    assert "`conformance cleanup --target http://sb.test/fhir --sandbox --run r-1`" in err
