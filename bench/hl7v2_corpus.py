#!/usr/bin/env python3
"""HL7 v2 validator calibration: false alarms and missed defects on real messages nobody here wrote.

    .venv/bin/python bench/hl7v2_corpus.py [--hapi PATH] [--emap PATH] [--corpus DIR]... [--json]

Each corpus is a set of messages with the issues each one has, judged against the HL7 v2 standard of
its version and recorded beforehand (``expected.toml``: ``[[message]]`` with ``file``, optional
``index`` within the file, ``issues = [[severity, defect, location], ...]``). A reported error or
warning that is not recorded is a false alarm; a recorded one not reported is a missed defect.
Reported per source (the folder or repository a message came from):

- ``tests/hl7v2/corpus``: python-hl7, hl7apy, elixir-hl7, node-hl7 test messages (always);
- ``--hapi PATH``: HAPI's test messages read from a checkout (or bare clone) of hapifhir/hapi-hl7v2,
  judged in bench/hl7v2_corpus_hapi.toml (its licence keeps the messages out of this repository);
- ``--emap PATH``: the test messages of UCLH's EMAP (github.com/UCLH-DHCT/emap, GPL-3.0), messages as
  NHS hospital systems (Epic, WinPath, CoPath...) send them, judged in bench/hl7v2_corpus_emap.toml;
- ``--corpus DIR``: any corpus kept elsewhere, DIR/expected.toml beside its message files.

Also the labelled sets: fixtures/hl7v2/broken and fixtures/hl7v2/heldout, located when an error is
reported at the labelled place (they must stay at 100%).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.hl7v2 import load_profile, split_messages, validate
from conformance.hl7v2.locations import same_place

ROOT = Path(__file__).resolve().parents[1]
Key = tuple[str, str, str]


def reported(text: str) -> set[Key]:
    return {(i.severity, i.defect, i.where or (f"segment {i.line}" if i.line else ""))
            for i in validate(text).issues if i.severity in ("error", "warning")}


def score(cases: list[dict[str, Any]], read: Callable[[str], bytes], source: Callable[[dict[str, Any]], str],
          table: dict[str, dict[str, Any]]) -> None:
    for case in cases:
        text = split_messages(read(case["file"]))[case.get("index", 1) - 1]
        expected = {(s, d, w) for s, d, w in case["issues"]}
        got = reported(text)
        row = table.setdefault(source(case), {"messages": 0, "expected": 0, "false_alarms": [], "missed": []})
        row["messages"] += 1
        row["expected"] += len(expected)
        row["false_alarms"] += [f"{case['file']}#{case.get('index', 1)} {k}" for k in sorted(got - expected)]
        row["missed"] += [f"{case['file']}#{case.get('index', 1)} {k}" for k in sorted(expected - got)]


def named(source: str) -> Callable[[dict[str, Any]], str]:
    return lambda case: source


def git_reader(path: Path) -> Callable[[str], bytes]:
    """Files of a checkout, or of a bare clone (read at HEAD with git show)."""
    if (path / ".git").exists() or not (path / "HEAD").exists():
        return lambda name: (path / name).read_bytes()
    return lambda name: subprocess.run(["git", "-C", str(path), "show", f"HEAD:{name}"], capture_output=True,
                                       check=True).stdout


def labelled(table: dict[str, dict[str, Any]]) -> None:
    broken = ROOT / "fixtures" / "hl7v2" / "broken"
    heldout = ROOT / "fixtures" / "hl7v2" / "heldout"
    sets = [("broken set", broken, tomllib.loads((broken / "manifest.toml").read_text())["case"]),
            ("held-out set", heldout, [{"file": k, **v} for k, v in
                                       tomllib.loads((heldout / "manifest.toml").read_text())["files"].items()])]
    for name, folder, cases in sets:
        located = 0
        for case in cases:
            result = validate((folder / case["file"]).read_bytes(), load_profile(case["profile"]))
            located += any(same_place(case["location"], i.where or f"segment {i.line}") for i in result.errors)
        table[name] = {"messages": len(cases), "located": located}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hapi", type=Path, help="a checkout or bare clone of hapifhir/hapi-hl7v2")
    parser.add_argument("--emap", type=Path, help="a checkout or bare clone of UCLH-DHCT/emap")
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="DIR with expected.toml")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    table: dict[str, dict[str, Any]] = {}
    ours = ROOT / "tests" / "hl7v2" / "corpus"
    score(tomllib.loads((ours / "expected.toml").read_text())["message"], lambda n: (ours / n).read_bytes(),
          lambda c: str(c["file"]).split("/")[0], table)
    if args.hapi:
        cases = tomllib.loads((ROOT / "bench" / "hl7v2_corpus_hapi.toml").read_text())["message"]
        score(cases, git_reader(args.hapi), named("hapi-hl7v2"), table)
    if args.emap:
        cases = tomllib.loads((ROOT / "bench" / "hl7v2_corpus_emap.toml").read_text())["message"]
        score(cases, git_reader(args.emap), named("uclh-emap"), table)
    for folder in args.corpus:
        cases = tomllib.loads((folder / "expected.toml").read_text())["message"]
        score(cases, git_reader(folder), named(folder.name), table)
    labelled(table)
    if args.json:
        print(json.dumps(table, indent=2))
        return
    print(f"{'source':<16}{'messages':>9}{'judged issues':>15}{'false alarms':>14}{'missed':>8}")
    for name, row in table.items():
        if "located" in row:
            print(f"{name:<16}{row['messages']:>9}   located {row['located']}/{row['messages']}")
            continue
        print(f"{name:<16}{row['messages']:>9}{row['expected']:>15}{len(row['false_alarms']):>14}"
              f"{len(row['missed']):>8}")
        for line in row["false_alarms"]:
            print(f"    false alarm: {line}")
        for line in row["missed"]:
            print(f"    missed: {line}")


if __name__ == "__main__":
    main()
