"""A lone UTF-16 surrogate a peer put in its answer (JSON's "\\ud800") must not make a run unstorable or
unreportable: UTF-8 cannot encode it, so every output keeps U+FFFD in its place (conformance/wellformed.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import wellformed
from conformance.evidence.store import EvidenceStore
from conformance.model import RunResult
from conformance.reporting import write_reports
from conformance.scrub import ScrubbingStream
from tests.evidence.test_pgwrite import awkward
from tests.pg import fresh_database

PEER_SAID = json.loads('"the server said \\ud800 and \\udfff, not \\ud83d\\ude00"')  # as json.loads gives it


def surrogate_run() -> RunResult:
    run = awkward(0)
    run.results[0].message = PEER_SAID
    run.results[0].title = "title \udc80"
    run.results[0].evidence[0].data["body"] = PEER_SAID
    run.results[0].evidence[0].data["\ud800key"] = ["\udbff"]
    run.results[0].metrics = {"quoted": PEER_SAID}
    return run


def test_text_replaces_only_lone_surrogates() -> None:
    assert PEER_SAID.count("\ud800") == 1 and "\U0001F600" in PEER_SAID  # the pair was joined by json
    kept = wellformed.text(PEER_SAID)
    assert kept == "the server said \ufffd and \ufffd, not \U0001F600"
    kept.encode("utf-8")
    assert wellformed.text("plain") == "plain" and wellformed.text("caf\u00e9") == "caf\u00e9"


@given(st.text())
def test_every_text_becomes_encodable_and_encodable_text_is_untouched(value: str) -> None:
    kept = wellformed.text(value)
    kept.encode("utf-8")
    assert len(kept) == len(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert kept == value


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_run_quoting_a_lone_surrogate_is_stored_sealed_and_read_back(backend: str, tmp_path: Path,
                                                                       request: pytest.FixtureRequest) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 's.db'}"
    else:
        url = fresh_database(request.getfixturevalue("pg_server"), "t_surrogate")
    with pytest.raises(UnicodeEncodeError):
        PEER_SAID.encode("utf-8")  # what the store met before wellformed.py
    with EvidenceStore(url, find_key=False) as store:
        store.start_run(surrogate_run().run)
        store.finish_run(surrogate_run())
        stored, status = store.get_result("odd-0")
        assert status == "complete" and store.verify() == (1, [])
    first = stored.results[0]
    assert first.message == "the server said \ufffd and \ufffd, not \U0001F600"
    assert first.title == "title \ufffd"
    assert first.evidence[0].data["body"] == first.message and first.evidence[0].data["\ufffdkey"] == ["\ufffd"]
    assert [r.id for r in stored.results] == [r.id for r in surrogate_run().results]


def test_reports_are_written_with_the_replacement_character(tmp_path: Path) -> None:
    written = write_reports(surrogate_run(), tmp_path / "out")
    report = json.loads(written["json"].read_text("utf-8"))
    assert report["results"][0]["message"] == "the server said \ufffd and \ufffd, not \U0001F600"
    for kind in ("junit", "html"):
        assert "the server said \ufffd" in written[kind].read_text("utf-8")


def test_the_console_writes_a_line_quoting_one() -> None:
    sink = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    ScrubbingStream(sink).write(PEER_SAID + "\n")
    sink.flush()
    assert sink.buffer.getvalue().decode("utf-8").startswith("the server said \ufffd")  # type: ignore[attr-defined]


def test_the_store_asks_first_and_finds_one_anywhere() -> None:
    assert not wellformed.needed(awkward(0)) and not wellformed.needed(awkward(2))
    for place in ("title", "message", "metric key", "evidence kind", "target"):
        run = awkward(1)
        first = run.results[1]
        if place == "title":
            first.title = "\ud800"
        elif place == "message":
            first.message = "x\udfff"
        elif place == "metric key":
            first.metrics = {"\udc00": 1}
        elif place == "evidence kind":
            first.evidence[1] = type(first.evidence[1])("\ud801", "s", {})
        else:
            run.run.target = {"name": ["\udbff"]}
        assert wellformed.needed(run), place
        assert not wellformed.needed(wellformed.result(run)), place
