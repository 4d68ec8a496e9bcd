"""Real-world messages nobody here wrote (tests/hl7v2/corpus, see SOURCES.md): 0 false alarms, 0 misses.

Each message's expected issues were judged against the HL7 v2 standard of its version and recorded in
expected.toml before being compared: an error or warning the validator reports that is not recorded
is a false alarm, a recorded one it does not report is a missed defect. Both must be zero.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from conformance.hl7v2 import split_messages, validate

CORPUS = Path(__file__).resolve().parent / "corpus"
MESSAGES: list[dict[str, Any]] = tomllib.loads((CORPUS / "expected.toml").read_text())["message"]


def reported(case: dict[str, Any]) -> set[tuple[str, str, str]]:
    text = split_messages((CORPUS / case["file"]).read_bytes())[case.get("index", 1) - 1]
    result = validate(text)
    return {(i.severity, i.defect, i.where or (f"segment {i.line}" if i.line else ""))
            for i in result.issues if i.severity in ("error", "warning")}


@pytest.mark.parametrize("case", MESSAGES, ids=lambda c: f"{c['file']}#{c.get('index', 1)}")
def test_no_false_alarm_and_no_missed_defect(case: dict[str, Any]) -> None:
    expected = {(s, d, w) for s, d, w in case["issues"]}
    got = reported(case)
    assert not got - expected, ("false alarms", sorted(got - expected), case["judged"])
    assert not expected - got, ("missed defects", sorted(expected - got), case["judged"])


def test_the_corpus_covers_every_source_and_file() -> None:
    files = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.hl7")}
    assert files == {c["file"] for c in MESSAGES}
    assert {f.split("/")[0] for f in files} == {"python-hl7", "hl7apy", "elixir-hl7", "node-hl7", "linuxforhealth",
                                                     "go-hl7", "hl7-dotnetcore"}
    assert all(c["judged"] and c["source"] for c in MESSAGES)
    # Real messages are mostly valid: the corpus must not be a set of only broken ones.
    assert sum(not any(s == "error" for s, _, _ in c["issues"]) for c in MESSAGES) >= 8
