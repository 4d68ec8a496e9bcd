"""Vendor comparison: cell verdicts and the checks behind them, must/should/could weighting, "fails a
must", ranking, and every way a buyer's requirements file can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.maturity.compare import RequirementsError, compare, load_requirements
from conformance.maturity.records import Outcome, RunOutcomes, SystemRef

EXAMPLE = Path(__file__).resolve().parents[2] / "conformance" / "maturity" / "data" / "example-requirements.toml"
BUYER = """
[[requirement]]
id = "read"
title = "Read"
weight = "must"
checks = ["fhir-rest.crud.*.read"]

[[requirement]]
id = "search"
title = "Search"
weight = "should"
checks = ["fhir-rest.search.*"]

[[requirement]]
id = "gs1"
weight = "could"
checks = ["gs1.*"]
"""


def run(run_id: str, vendor: str, outcomes: dict[str, str], optional: tuple[str, ...] = ()) -> RunOutcomes:
    return RunOutcomes(run_id, "RXX01", SystemRef(vendor, "EPR", "1"), "2026-11-01T00:00:00Z", True,
                       [Outcome(c, s, c not in optional) for c, s in outcomes.items()])


@pytest.fixture
def buyer(tmp_path: Path) -> Path:
    path = tmp_path / "buyer.toml"
    path.write_text(BUYER)
    return path


def test_cells_name_the_checks_behind_them(buyer: Path) -> None:
    requirements = load_requirements(buyer)
    assert requirements[2].title == "gs1"  # title defaults to the id
    vendor = run("a", "A", {"fhir-rest.crud.patient.read": "pass", "fhir-rest.crud.observation.read": "error",
                            "fhir-rest.search.paging": "skip", "fhir-rest.search.include": "fail",
                            "gs1.x": "pass", "gs1.y": "fail"}, optional=("gs1.y",))
    column = compare([vendor], requirements).columns[0]
    read, search, gs1 = (column.cells[r] for r in ("read", "search", "gs1"))
    # An error is the harness not judging (docs/check-contract.md): shown, never counted against the system.
    assert (read.verdict, read.passed, read.failed, read.skipped) == (
        "pass", ("fhir-rest.crud.patient.read",), (), ("fhir-rest.crud.observation.read",))
    assert (search.verdict, search.skipped, search.failed) == ("fail", ("fhir-rest.search.paging",),
                                                              ("fhir-rest.search.include",))
    assert (gs1.verdict, gs1.optional_failed) == ("pass", ("gs1.y",))  # optional failures never count against
    assert not column.fails_must  # the must (read) had a pass and an error, no failure


def test_weighting_and_must_failures(buyer: Path) -> None:
    requirements = load_requirements(buyer)  # must 3, should 2, could 1: total 6
    all_good = run("a", "A", {"fhir-rest.crud.patient.read": "pass", "fhir-rest.search.x": "pass", "gs1.x": "pass"})
    no_gs1 = run("b", "B", {"fhir-rest.crud.patient.read": "pass", "fhir-rest.search.x": "pass"})
    partial_must = run("c", "C", {"fhir-rest.crud.patient.read": "pass", "fhir-rest.crud.x.read": "fail",
                                  "fhir-rest.search.x": "pass", "gs1.x": "pass"})
    untested_must = run("d", "D", {"fhir-rest.search.x": "pass", "gs1.x": "pass"})
    matrix = compare([untested_must, partial_must, no_gs1, all_good], requirements)
    scores = {c.run.run_id: (c.score, c.fails_must) for c in matrix.columns}
    assert scores == {"a": (100.0, False), "b": (round(5 / 6 * 100, 1), False),
                      "c": (round(4.5 / 6 * 100, 1), True), "d": (50.0, True)}
    assert matrix.columns[3].cells["search"].verdict == "pass" and matrix.columns[0].cells["read"].verdict == \
        "not tested"
    # Meeting every must ranks above any score that fails one.
    assert [c.run.run_id for c in matrix.ranked()] == ["a", "b", "c", "d"]
    assert matrix.columns[3].label == "A EPR 1 (a)"


def test_the_example_requirements_file_loads() -> None:
    requirements = load_requirements(EXAMPLE)
    assert {r.weight for r in requirements} == {"must", "should", "could"}
    assert len({r.id for r in requirements}) == len(requirements)


@pytest.mark.parametrize(("text", "words"), [
    ('[[requirement]]\nid = "x"\nweight = "nice"\nchecks = ["a.*"]\n', "requirement[1].weight: must be"),
    ('[[requirement]]\nid = "x"\nweight = "must"\nchecks = ["A B"]\n', "requirement[1].checks: 'A B'"),
    ('[[requirement]]\nid = "x"\nweight = "must"\nchecks = ["gs1"]\n', "did you mean 'gs1.*'"),
    ('[[requirement]]\nid = "x"\nweight = "must"\nchecks = []\n', "requirement[1].checks: must be a non-empty"),
    ('[[requirement]]\nweight = "must"\nchecks = ["a.*"]\n', "requirement[1].id: missing"),
    ('[[requirement]]\nid = "x"\nweight = "must"\nchecks = ["a.*"]\n[[requirement]]\nid = "x"\nweight = "must"\n'
     'checks = ["a.*"]\n', "requirement[2].id: 'x' is used twice"),
    ('[[requirement]]\nid = "x"\nweight = "must"\nchecks = ["a.*"]\ncost = 3\n', "requirement[1].cost: unknown key"),
    ('[[requirement]]\nid = "x"\ntitle = 3\nweight = "must"\nchecks = ["a.*"]\n', "requirement[1].title"),
    ("title = 'no requirements'\n", "expected [[requirement]] tables"),
    ("[[requirement]\n", "not a valid TOML file"),
])
def test_bad_requirements_files(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(RequirementsError) as caught:
        load_requirements(path)
    assert str(caught.value).startswith(str(path)) and words in str(caught.value)
    with pytest.raises(RequirementsError, match="no such file"):
        load_requirements(tmp_path / "missing.toml")
