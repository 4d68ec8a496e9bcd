"""bench/fhir_issue_alignment.py on synthetic steps: HL7's recorded issues paired with ours by place and kind, the
rest called extra (ours only) or missing (HL7's only); and a tuning run that never takes a held-out step."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from conformance.fhirval.issues import Issue
from conformance.fhirval.packages import PackageCache
from tests.fhirval.scripts import load_script
from tests.fhirval.test_leftout_diagnostics import _named

TEMPLATES = """Reference_REF_CantResolve = Unable to resolve resource with reference ''{0}''
Type_Specific_Checks_DT_DateTime_TZ = If a date has a time, it must have a timezone
"""


def _bench() -> ModuleType:
    return load_script("bench/fhir_issue_alignment.py")


def _hl7(place: str, text: str) -> dict[str, object]:
    return {"severity": "error", "code": "invalid", "details": {"text": text}, "expression": [place]}


def test_places_are_normalised() -> None:
    bench = _bench()
    assert bench.place("Bundle.entry[0].resource/*Composition/1*/.type.coding[0]") == \
        "Bundle.entry[0].resource.type.coding[0]"
    assert bench.place("/f:Observation/f:component[2]/f:status") == "Observation.component[1].status"
    assert bench.place("Observation.value.ofType(integer)") == "Observation.value"
    assert bench.place("$") == bench.place("(xml)") == ""
    assert bench.related("Observation.subject", "Observation.subject.reference")
    assert not bench.related("Observation.subject", "Observation.subjectX")


def test_issues_pair_by_place_and_kind(tmp_path: Path) -> None:
    bench = _bench()
    messages = tmp_path / "Messages.properties"
    messages.write_text(TEMPLATES)
    templates = bench.load_templates(messages)
    step = bench.Step("case [base]", tmp_path / "x.json", 3, False, expected_issues=(
        _hl7("Observation.subject", "Unable to resolve resource with reference 'Patient/1'"),
        _hl7("Observation.issued", "If a date has a time, it must have a timezone"),
        _hl7("Observation.code", "Something only HL7 says about this code")))
    step.issues = (
        Issue("error", "reference-unresolved", "Observation.subject.reference", "'Patient/1' does not resolve"),
        Issue("error", "invariant", "Observation.issued", "constraint failed: obs-9: made up"),
        Issue("error", "cardinality-min", "Observation.status", "minimum required = 1, but only found 0"))
    marks = [("REFERENCE_REF_CANTRESOLVE", "reference-unresolved", "")]
    a = bench.align(step, "tune", templates, marks)
    assert [(t.key, o.defect) for t, o in a.matched] == [("Reference_REF_CantResolve", "reference-unresolved")]
    assert [(t.key, o.defect) for t, o in a.other] == [("Type_Specific_Checks_DT_DateTime_TZ", "invariant")]
    assert [i.defect for i in a.extra] == ["cardinality-min"] and [t.key for t in a.missing] == ["?"]
    assert "extra (ours only) 1; missing (HL7's only) 1" in bench.totals("tune base", [a])


def test_the_tuning_corpus_never_holds_a_held_out_step(tmp_path: Path) -> None:
    v = tmp_path / "validator"
    (v / "outcomes" / "java").mkdir(parents=True)
    for odd in (True, False):
        (v / _named(odd)).write_text(json.dumps({"resourceType": "Patient", "birthDate": "1980-13-01"}))
    (v / "outcomes" / "java" / "bad.json").write_text(json.dumps({"resourceType": "OperationOutcome", "issue": [
        _hl7("Patient.birthDate", "not a date")]}))
    (v / "manifest.json").write_text(json.dumps({"test-cases": [
        {"name": f"c{odd}", "file": _named(odd), "version": "4.0", "java": "java/bad.json"} for odd in (True, False)]}))
    steps = _bench().corpora(tmp_path, PackageCache(v / "packages"), ["tune"])
    assert [s.name for _, s in steps] == ["cFalse [base]"] and steps[0][1].issues


def test_a_manifest_output_line_is_an_issue() -> None:
    bench = load_script("bench/fhir_reference_agreement.py")
    found = bench._expected(Path("."), {"errorCount": 1, "output": ["ERROR: List.entry[0]: Object must have content"]})
    assert found == [{"severity": "error", "expression": ["List.entry[0]"],
                      "details": {"text": "Object must have content"}}]


def test_what_no_id_pairs_pairs_by_family(tmp_path: Path) -> None:
    # HL7's slicing text no template names, and our slice-min a place away: one broad kind (the old profile bench's
    # pass), counted apart from exact-kind pairs; "other" is no family, so it pairs only by place
    bench = _bench()
    step = bench.Step("case [profile]", tmp_path / "x.json", 2, False, expected_issues=(
        _hl7("Observation.component", "Slice 'Observation.component:dia': a matching slice is required"),
        _hl7("Observation.note", "Something only HL7 says")))
    step.issues = (Issue("error", "slice-min", "Observation", "too few of one part"),
                   Issue("error", "invariant", "Observation.code", "constraint failed: made up"))
    a = bench.align(step, "tune", [], [])
    assert [o.defect for _, o in a.family] == ["slice-min"] and not a.matched and not a.other
    assert [i.defect for i in a.extra] == ["invariant"] and [t.place for t in a.missing] == ["Observation.note"]
    assert "same family 1;" in bench.totals("tune profile", [a])
    assert bench.by_family([a]) == ["extra (ours only), by family: invariant 1",
                                    "missing (HL7's only), by family: other 1"]
    assert bench.by_step([a], "invariant") == ["\n== tune: case [profile] (x.json): HL7 2, ours 2",
                                               "   extra   invariant: Observation.code: [invariant] "
                                               "constraint failed: made up"]


def test_the_root_pairs_by_place_only_with_itself() -> None:
    # an unknown profile at Bundle is no "other reason" for a fixed value deep in an entry (the old profile bench's
    # rule): it stays extra, and HL7's error missing
    bench = _bench()
    assert bench.nearby("Bundle", "Bundle") and bench.nearby("Bundle.entry[1]", "Bundle.entry[1].resource.status")
    assert not bench.nearby("Bundle.entry[1].resource.status", "Bundle")
    # HL7's snapshot errors are at the root, ours in the differential (obs-mz): those pair
    assert bench.nearby("StructureDefinition", "StructureDefinition.differential.element[0]")


def test_a_shared_url_is_no_shared_reason() -> None:
    # an unknown profile and a fixed value named by one profile's URL (shc-bad-1): the URL's words are not the texts'
    bench = _bench()
    url = "http://hl7.org/fhir/uv/shc-vaccination/StructureDefinition/shc-vaccination-dm"
    theirs = bench.Hl7Issue("Bundle.entry[1].resource.status", "?", f"Value is 'Completed' but is fixed to "
                            f"'completed' in the profile {url}|0.6.2#Immunization.status")
    ours = Issue("error", "unknown-profile", "Bundle", f"the profile {url} is not known")
    assert not bench.same_kind(theirs, ours, [])
    assert bench._words("slice Observation.component:dia") == {"slice", "observation", "component", "dia"}


def test_a_kind_known_by_id_pairs_before_one_guessed_from_words(tmp_path: Path) -> None:
    # bundle-ea-testcase: HL7 reports both fullUrls at entry[0]; its second is no reference error inside that
    # entry that shares the URL's words, but our fullUrl error at entry[1] (same id, another place)
    bench = _bench()
    messages = tmp_path / "Messages.properties"
    messages.write_text("BUNDLE_ENTRY_URL_ABSOLUTE = The fullUrl must be an absolute URL (not ''{0}'')\n")
    step = bench.Step("case [base]", tmp_path / "x.json", 2, False, expected_issues=(
        _hl7("Bundle.entry[0]", "The fullUrl must be an absolute URL (not 'a-b')"),
        _hl7("Bundle.entry[0]", "The fullUrl must be an absolute URL (not 'Patient/p-1')")))
    step.issues = (
        Issue("error", "bundle-fullurl", "Bundle.entry[0]", "the fullUrl must be an absolute URL (not 'a-b')"),
        Issue("error", "reference-format", "Bundle.entry[0].resource.subject.reference",
              "the reference must be an absolute URL (not 'Patient/p-1')"),
        Issue("error", "bundle-fullurl", "Bundle.entry[1]", "the fullUrl must be an absolute URL (not 'Patient/p-1')"))
    marks = [("BUNDLE_ENTRY_URL_ABSOLUTE", "bundle-fullurl", "")]
    a = bench.align(step, "tune", bench.load_templates(messages), marks)
    assert [o.location for _, o in a.matched] == ["Bundle.entry[0]", "Bundle.entry[1]"]
    assert [i.defect for i in a.extra] == ["reference-format"]
