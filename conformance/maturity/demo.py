"""The demo data set (fixtures/maturity/demo): synthetic organisations, one footprint, self-assessments.

``conformance demo`` loads it so that the first run already shows a record: the sandbox trust X26 (the
demo's own target) claims things the sandbox's evidence contradicts, both ways. Every code is
obviously synthetic (X-prefixed), never a real ODS code.
"""

from __future__ import annotations

from pathlib import Path

from conformance.maturity.assessments import read_assessments
from conformance.maturity.inputs import DEMO_DIR, read_footprints, read_organisations
from conformance.maturity.model import CapabilityModel, load_model
from conformance.maturity.records import Footprint, Organisation, SelfAssessment


def load_demo(directory: Path | str = DEMO_DIR, model: CapabilityModel | None = None) -> tuple[
        list[Organisation], list[Footprint], list[SelfAssessment]]:
    """(organisations, footprints, self-assessments) from organisations.csv, footprints.toml and
    assessments.csv in ``directory``; every file is checked against the others before anything returns."""
    root = Path(directory)
    orgs = read_organisations(root / "organisations.csv")
    known = {o.ods_code for o in orgs}
    model = model or load_model()
    footprints = read_footprints(root / "footprints.toml", known, set(model.milestones))
    return orgs, footprints, read_assessments(root / "assessments.csv", known, model)
