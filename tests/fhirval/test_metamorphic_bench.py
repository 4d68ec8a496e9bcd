"""bench/fhir_metamorphic.py's rewrites keep a valid resource valid (to HL7's rules, as the bench argues each), leave
out what they cannot rewrite without changing its meaning, and its count of broken rewrites can move."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes
from tests.fhirval.scripts import load_script

BENCH = Path(__file__).resolve().parents[2] / "bench"
Json = dict[str, Any]
PATIENT: Json = {
    "resourceType": "Patient", "id": "p1", "active": True, "gender": "female",
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">p</div>'},
    "name": [{"family": "Doe", "given": ["Jane"]}],
    "managingOrganization": {"reference": "Organization/o1"},
    "generalPractitioner": [{"reference": "Practitioner/pr1"}],
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    return load_script("bench/fhir_metamorphic.py")


def _errors(doc: Json) -> list[str]:
    raw = load_script("bench/fhir_format_parity.py").dump_json(doc).encode()
    return [f"{i.location}: {i.message}" for i in validate_bytes(raw, base_source()) if i.is_error]


def test_every_rewrite_of_a_valid_patient_is_valid(bench: ModuleType) -> None:
    assert _errors(PATIENT) == []
    for name, rewrite in bench.REWRITES.items():
        out = rewrite(PATIENT)
        if name in ("entry-order", "contained-order", "asked"):
            assert out is None, name  # nothing to reorder, no profile claimed (asked: run() asks for them)
            continue
        assert out is not None and json.dumps(out) != json.dumps(PATIENT), name  # order counts for reorder
        assert _errors(out) == [], name


def test_rewrites_leave_out_what_would_change_the_meaning(bench: ModuleType) -> None:
    with_contained = {**PATIENT, "contained": [{"resourceType": "Organization", "id": "o1", "name": "O"}]}
    assert bench.contained(with_contained) is None  # dom-2: a contained resource contains nothing
    assert bench.contained({**PATIENT, "meta": {"versionId": "2"}}) is None  # dom-4
    no_id = {k: v for k, v in PATIENT.items() if k != "id"}
    assert bench.searchset(no_id) is None  # a searchset match has an id
    assert bench.transaction(no_id)["entry"][0]["request"] == {"method": "POST", "url": "Patient"}
    assert bench.bundle(no_id)["entry"][0]["fullUrl"].startswith("urn:uuid:")
    assert bench.bundle({"resourceType": "Bundle", "type": "collection"}) is None


def test_entry_order_keeps_a_documents_composition_first(bench: ModuleType) -> None:
    entries = [{"fullUrl": f"urn:uuid:{n}"} for n in ("a", "b", "c")]
    document = bench.entry_order({"resourceType": "Bundle", "type": "document", "entry": entries})
    assert [e["fullUrl"] for e in document["entry"]] == ["urn:uuid:a", "urn:uuid:c", "urn:uuid:b"]
    collection = bench.entry_order({"resourceType": "Bundle", "type": "collection", "entry": entries})
    assert [e["fullUrl"] for e in collection["entry"]] == ["urn:uuid:c", "urn:uuid:b", "urn:uuid:a"]


def test_asked_moves_claimed_profiles_to_the_profiles_asked_for(bench: ModuleType) -> None:
    us = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
    out, profiles = bench.asked({**PATIENT, "meta": {"profile": [us], "versionId": "1"}})
    assert profiles == (us,) and out["meta"] == {"versionId": "1"}
    out, _ = bench.asked({**PATIENT, "meta": {"profile": [us]}})
    assert "meta" not in out
    assert bench.asked(PATIENT) is None
    assert bench.asked({"resourceType": "Bundle", "type": "collection", "meta": {"profile": [us]}}) is None


def test_claimed_profile_joins_those_already_claimed(bench: ModuleType) -> None:
    doc = {**PATIENT, "meta": {"profile": ["http://example.org/a"]}}
    claimed = bench.claim(doc, ("http://example.org/a", "http://example.org/b"))
    assert claimed["meta"]["profile"] == ["http://example.org/a", "http://example.org/b"]
    assert doc["meta"]["profile"] == ["http://example.org/a"]  # the original is not changed


def test_a_rewrite_that_breaks_validity_is_counted(bench: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The bench's count can move: a rewrite that makes the Patient invalid (an unknown gender) is reported as
    valid as given and invalid rewritten, with the defect it added."""
    monkeypatch.setitem(bench.REWRITES, "break", lambda doc: {**doc, "gender": "none-such"})
    bench.run(iter([bench.Item("p", PATIENT, base_source())]), ["reorder", "break"], show=1)
    out = capsys.readouterr().out
    assert "reorder: 1 rewritten; valid both ways 1; valid as given, invalid rewritten 0" in out
    assert "break: 1 rewritten; valid both ways 0; valid as given, invalid rewritten 1" in out
    assert "code-invalid" in out and "p: Patient.gender" in out


# ---- bench/fhirpath_differential.py: the recorder and the tally (fhirpath.js itself runs only in the bench) -----


def test_recorder_keeps_each_invariant_call_with_our_answer() -> None:
    sys.path.insert(0, str(BENCH))
    diff = load_script("bench/fhirpath_differential.py")
    from conformance.fhirval import invariants

    patient = {**PATIENT, "name": [{"family": "Doe", "period": {"start": "2020-02-01", "end": "2020-01-01"}}]}
    recorder = diff.Recorder(invariants.evaluate, "p")
    real = invariants.evaluate
    invariants.evaluate = recorder
    try:
        errors = _errors(patient)
    finally:
        invariants.evaluate = real
    assert any("per-1" in e for e in errors)
    per1 = [c for c in recorder.calls if "start <= end" in c.expr]
    assert len(per1) == 1 and per1[0].fails and per1[0].item == {"start": "2020-02-01", "end": "2020-01-01"}
    assert recorder.resources[per1[0].resource]["resourceType"] == "Patient"
    tally = diff.Tally()
    # fhirpath.js answering true where we failed is a latent false alarm; an empty answer agrees with a failure
    tally.add(per1, [{"ok": True, "n": 1, "value": True, "text": "[true]"}])
    tally.add(per1, [{"ok": True, "n": 0, "value": None, "text": "[]"}])
    tally.add(per1, [{"ok": False, "error": "Invalid regular expression: x"}])
    assert tally.agree == 1 and sum(map(len, tally.ours_only.values())) == 1
    assert tally.not_run["Invalid regular expression"] == 1
