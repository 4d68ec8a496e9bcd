"""A footprint's roadmap names every member behind on a capability, and its file can set its own dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conformance.maturity.csvfile import InputError
from conformance.maturity.demo import load_demo
from conformance.maturity.inputs import read_footprints
from conformance.maturity.model import load_model
from conformance.maturity.records import Footprint, Organisation
from conformance.maturity.roadmap import roadmap
from conformance.maturity.score import footprint_record, org_record
from tests.maturity.test_rules import GS1, TODAY, run

MODEL = load_model()


def test_every_member_behind_is_named_slowest_first() -> None:
    records = [org_record(Organisation(o, o, "provider"), [run(o, [("gs1.a", s)], ods=o)], [], MODEL, TODAY)
               for o, s in (("XA1", "pass"), ("XB1", "fail"), ("XD1", "fail"))]
    rolled = footprint_record(Footprint("FP", "North", ("XA1", "XB1", "XC1", "XD1")), records, MODEL)
    assert rolled.laggards(GS1.id) == ("XC1", "XB1", "XD1")  # no evidence (no record) first, then not met
    view = next(m for m in roadmap(rolled, MODEL, TODAY).milestones if m.id == "open-apis-gs1-2021")
    assert view.laggards["uc-medicines-devices-gs1"] == ("XC1", "XB1", "XD1")


def test_a_footprint_file_sets_its_own_dates(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text('[footprints.FP]\nname = "N"\nmembers = ["XA1"]\n'
                    '[footprints.FP.milestones]\nopen-apis-gs1-2021 = 2030-03-31\n')
    (fp,) = read_footprints(path, {"XA1"}, set(MODEL.milestones))
    assert fp.milestones == (("open-apis-gs1-2021", "2030-03-31"),)
    path.write_text('[footprints.FP]\nname = "N"\nmembers = ["XA1"]\n[footprints.FP.milestones]\nnope = 2030-03-31\n')
    with pytest.raises(InputError, match="nope: unknown milestone"):
        read_footprints(path, {"XA1"}, set(MODEL.milestones))
    path.write_text('[footprints.FP]\nname = "N"\nmembers = ["XA1"]\n'
                    '[footprints.FP.milestones]\nopen-apis-gs1-2021 = "soon"\n')
    with pytest.raises(InputError, match="'soon' is not a date"):
        read_footprints(path, {"XA1"}, set(MODEL.milestones))


def test_the_demo_footprint_mixes_missed_with_replanned_milestones() -> None:
    _, footprints, _ = load_demo(model=MODEL)
    dates = dict(footprints[0].milestones)
    today = date(2026, 12, 1)
    assert any(date.fromisoformat(d) > today for d in dates.values())
    assert any(date.fromisoformat(m.target_date) < today for k, m in MODEL.milestones.items() if k not in dates)
