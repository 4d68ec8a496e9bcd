"""bench/fhir_reference_agreement.py on a synthetic manifest: steps, supporting files, options, and the counts."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.fhirval.scripts import load_script


def _bench() -> ModuleType:
    return load_script("bench/fhir_reference_agreement.py")


def _outcome(*errors: str) -> dict[str, object]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invalid", "details": {"text": e}} for e in errors]}


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    v = tmp_path / "validator"
    (v / "outcomes" / "java").mkdir(parents=True)
    ext_url = "http://example.net/StructureDefinition/flag"
    ext = {"resourceType": "StructureDefinition", "id": "flag", "url": ext_url, "name": "Flag", "status": "draft",
           "kind": "complex-type", "abstract": False, "context": [{"type": "element", "expression": "Patient"}],
           "type": "Extension", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
           "derivation": "constraint", "differential": {"element": [
               {"id": "Extension.url", "path": "Extension.url", "fixedUri": ext_url},
               {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "boolean"}]}]}}
    (v / "flag.json").write_text(json.dumps(ext))
    good = {"resourceType": "Patient", "extension": [{"url": ext_url, "valueBoolean": True}]}
    (v / "good.json").write_text(json.dumps(good))
    (v / "bad.json").write_text(json.dumps({"resourceType": "Patient", "birthDate": "1980-13-01"}))
    (v / "outcomes" / "java" / "good.json").write_text(json.dumps(_outcome()))
    (v / "outcomes" / "java" / "bad.json").write_text(json.dumps(_outcome("birthDate")))
    manifest = {"test-cases": [
        {"name": "good", "file": "good.json", "version": "4.0", "supporting": ["flag.json"], "java": "java/good.json"},
        {"name": "bad", "file": "bad.json", "version": "4.0", "java": "java/bad.json"},
        {"name": "bad-said-valid", "file": "bad.json", "version": "4.0", "java": "java/good.json"},
        {"name": "refs", "file": "good.json", "version": "4.0", "validateReference": "CHECK_VALID",
         "java": "java/good.json"},  # good.json's hash is odd: a held-out case, so the option is not offered
        {"name": "r5", "file": "bad.json", "version": "5.0", "java": "java/bad.json"},
        {"name": "ig", "file": "bad.json", "version": "4.0", "packages": ["x#1"], "java": "java/bad.json"},
        {"name": "tx", "file": "bad.json", "version": "4.0", "module": "cda", "java": "java/bad.json"}]}
    (v / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_steps_load_supporting_files_and_list_options(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    steps, optioned = bench.select(corpus)
    assert [s.name for s in steps] == ["good [base]", "bad [base]", "bad-said-valid [base]"]
    assert optioned == {"validateReference": ["refs"]}
    bench.run(steps)
    # the extension is defined only by the supporting file: without it, "good" would be a false alarm
    assert [s.got_errors for s in steps] == [0, 1, 1]
    bench.report("all", steps)
    line = capsys.readouterr().out
    assert "verdict agreement 2/3" in line
    assert "false-valid (missed errors) 0; false-invalid (false alarms) 1" in line


def test_options_ours_has_are_passed_on_and_others_listed(corpus: Path) -> None:
    """A case setting an option ours has is run with it (HL7's runner's value); one ours lacks, or a value ours does
    not take, is listed with the option."""
    v = corpus / "validator"
    manifest = json.loads((v / "manifest.json").read_text())
    manifest["test-cases"] += [
        {"name": "secure", "file": "bad.json", "version": "4.0", "security-checks": True, "java": "java/bad.json"},
        {"name": "no-ex", "file": "bad.json", "version": "4.0", "examples": False, "validateContains": "IGNORE",
         "for-publication": "true", "best-practice": "Error", "noHtmlInMarkdown": True, "crumb-trail": True,
         "java": "java/bad.json"},
        {"name": "odd", "file": "bad.json", "version": "4.0", "validateContains": "SOMETIMES", "java": "java/bad.json"},
        {"name": "rest", "file": "bad.json", "version": "4.0", "java": "java/bad.json", "profile": {
            "source": "flag.json", "assumeValidRestReferences": True, "java": "java/bad.json"}}]
    (v / "manifest.json").write_text(json.dumps(manifest))
    bench = _bench()
    steps, optioned = bench.select(corpus)
    by_name = {s.name: s.options for s in steps}
    assert by_name["secure [base]"].security_checks and not by_name["bad [base]"].security_checks
    no_ex = by_name["no-ex [base]"]
    assert (no_ex.allow_examples, no_ex.contained, no_ex.for_publication, no_ex.best_practice,
            no_ex.html_in_markdown, no_ex.crumb_trails) == (False, "ignore", True, "error", "error", True)
    assert by_name["bad [base]"].wrong_displays == "error"  # HL7's runner's default
    # HL7's runner: assumeValidRestReferences false unless set, and for a profile step from the profile's entry
    assert not by_name["rest [base]"].assume_valid_rest_references
    assert by_name["rest [profile]"].assume_valid_rest_references
    assert optioned == {"validateReference": ["refs"], "validateContains": ["odd"]}


def test_cases_needing_more_are_counted_by_need(corpus: Path) -> None:
    bench = _bench()
    assert bench.left_out(corpus) == {"packages": ["ig"], "terminology server module cda": ["tx"]}


def test_terminology_cases_run_only_when_their_code_systems_are_held(corpus: Path) -> None:
    v = corpus / "validator"
    cs_url = "https://conformance.example/cs/local"
    (v / "cs.json").write_text(json.dumps({"resourceType": "CodeSystem", "url": cs_url, "status": "active",
                                           "content": "complete", "concept": [{"code": "a"}]}))
    local = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": cs_url, "code": "b"}]},
             "valueQuantity": {"value": 1, "system": "http://unitsofmeasure.org", "code": "mg"},
             "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:1"}]}
    snomed = {**local, "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}}
    (v / "local.json").write_text(json.dumps(local))
    (v / "snomed.json").write_text(json.dumps(snomed))
    manifest = json.loads((v / "manifest.json").read_text())
    manifest["test-cases"] += [
        {"name": "tx-local", "file": "local.json", "version": "4.0", "module": "tx", "supporting": ["cs.json"],
         "java": "java/bad.json"},
        {"name": "tx-snomed", "file": "snomed.json", "version": "4.0", "module": "tx", "java": "java/good.json"},
        {"name": "tx-no-support", "file": "local.json", "version": "4.0", "module": "tx", "java": "java/bad.json"},
        {"name": "cda", "file": "local.json", "version": "4.0", "module": "cda", "supporting": ["cs.json"],
         "java": "java/bad.json"}]
    (v / "manifest.json").write_text(json.dumps(manifest))
    bench = _bench()
    steps, _ = bench.select(corpus)
    chosen = [s for s in steps if s.terminology]
    # SNOMED CT is only a not-present stub in base R4, and the local system needs its supporting file
    assert [s.name for s in chosen] == ["tx-local [base]"]
    bench.run(chosen)
    assert chosen[0].got_errors == 1  # 'b' is not a code of the held system


def test_package_cases_run_when_their_packages_are_local(corpus: Path, tmp_path: Path) -> None:
    from tests.fhirval.test_definitions_package_deps import make_tgz

    v = corpus / "validator"
    flag = json.loads((v / "flag.json").read_text())
    (v / "packages").mkdir()
    make_tgz(v / "packages" / "ext#1.0.0.tgz", {"package/package.json": {"name": "ext", "version": "1.0.0"},
                                                "package/flag.json": flag})
    (v / "pp.json").write_text(json.dumps({
        "resourceType": "StructureDefinition", "url": "http://example.net/StructureDefinition/pp", "name": "PP",
        "status": "draft", "kind": "resource", "abstract": False, "type": "Patient", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "differential": {"element": [{"id": "Patient.gender", "path": "Patient.gender", "min": 0}]}}))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    make_tgz(downloads / "ext.npm-2.0.0.tgz", {"package/package.json": {"name": "ext.npm", "version": "2.0.0"},
                                               "package/flag.json": flag})
    manifest = json.loads((v / "manifest.json").read_text())
    manifest["test-cases"] += [
        {"name": "pkg-local", "file": "good.json", "version": "4.0", "packages": ["packages/ext#1.0.0.tgz"],
         "java": "java/good.json"},
        {"name": "pkg-npm", "file": "good.json", "version": "4.0", "packages": ["ext.npm#2.0.0"],
         "wrong-displays": "warning", "java": "java/good.json"},
        {"name": "pkg-profile", "file": "good.json", "version": "4.0", "java": "java/good.json",
         "profile": {"source": "pp.json", "packages": ["packages/ext#1.0.0.tgz"], "java": "java/good.json"}},
        {"name": "pkg-profile-missing", "file": "good.json", "version": "4.0", "supporting": ["flag.json"],
         "java": "java/good.json",
         "profile": {"source": "pp.json", "packages": ["not.here#1.0.0"], "java": "java/good.json"}}]
    (v / "manifest.json").write_text(json.dumps(manifest))
    bench = _bench()
    without, optioned = bench.select(corpus)
    assert [s.name for s in without if s.packages] == ["pkg-local [base]", "pkg-profile [profile]"]
    assert "pkg-profile [base]" in [s.name for s in without]  # the base step needs no package
    assert optioned["profile step: packages"] == ["pkg-profile-missing"]
    assert bench.left_out(corpus)["packages"] == ["ig", "pkg-npm"]
    cache = bench.PackageCache(downloads)
    steps, _ = bench.select(corpus, cache)
    package_steps = [s for s in steps if s.packages]
    assert [s.name for s in package_steps] == ["pkg-local [base]", "pkg-npm [base]", "pkg-profile [profile]"]
    bench.run(package_steps, cache)
    # the extension is defined only by the package: without it, these would be false alarms
    assert [s.got_errors for s in package_steps] == [0, 0, 0]
    assert bench.left_out(corpus, cache)["packages"] == ["ig"]


def test_a_missing_outcome_file_falls_back_to_the_runners_name(corpus: Path) -> None:
    v = corpus / "validator"
    (v / "outcomes" / "java" / "R4.renamed-base.json").write_text(json.dumps(_outcome("birthDate")))
    manifest = json.loads((v / "manifest.json").read_text())
    manifest["test-cases"] += [
        {"name": "renamed", "file": "bad.json", "version": "4.0", "java": "java/R4.renamed.json"},
        {"name": "gone", "file": "bad.json", "version": "4.0", "java": "java/R4.gone.json"}]
    (v / "manifest.json").write_text(json.dumps(manifest))
    bench = _bench()
    steps, _ = bench.select(corpus)
    renamed = [s for s in steps if s.renamed_outcome]
    assert [(s.name, s.expected_errors) for s in renamed] == [("renamed [base]", 1)]
    assert "gone [base]" not in [s.name for s in steps]


def test_a_profile_source_given_by_url_is_fetched_from_what_is_loaded(corpus: Path) -> None:
    """ValidationTests: a profile ``source`` that is an absolute URL is fetched from the context (a package's or a
    supporting file's); a file name is loaded. The URL used to be read as a file name that does not exist."""
    bench = _bench()
    v = corpus / "validator"
    manifest = json.loads((v / "manifest.json").read_text())
    manifest["test-cases"] = [{"name": "by-url", "file": "good.json", "version": "4.0", "supporting": ["flag.json"],
                               "java": "java/good.json", "profile": {
                                   "source": "http://hl7.org/fhir/StructureDefinition/Patient",
                                   "java": "java/good.json"}}]
    (v / "manifest.json").write_text(json.dumps(manifest))
    steps, _ = bench.select(corpus)
    assert [s.name for s in steps] == ["by-url [base]", "by-url [profile]"]
    assert steps[1].profile is None and steps[1].profile_url == "http://hl7.org/fhir/StructureDefinition/Patient"
    assert steps[1].supporting == (v / "flag.json",)
    bench.run(steps)
    assert [(s.got_errors, s.problem) for s in steps] == [(0, ""), (0, "")]


def test_the_runners_extensions_package_is_loaded_for_every_step(corpus: Path, tmp_path: Path) -> None:
    """HL7's runner loads hl7.fhir.uv.extensions.r4 for every case: found in --packages or a folder of archives
    in it, a core-namespace extension R4 lacks is judged by its definition there (else only a warning)."""
    from tests.fhirval.test_default_packages import LATER, extensions_package

    v = corpus / "validator"
    (v / "later.json").write_text(json.dumps({"resourceType": "Patient", "extension": [
        {"url": LATER, "valueString": "not a boolean"}]}))
    manifest = json.loads((v / "manifest.json").read_text())
    manifest["test-cases"] = [{"name": "later", "file": "later.json", "version": "4.0", "java": "java/bad.json"},
                              {"name": "later-own", "file": "later.json", "version": "4.0",
                               "supporting": ["flag.json"], "java": "java/bad.json"}]
    (v / "manifest.json").write_text(json.dumps(manifest))
    bench = _bench()
    plain = bench.PackageCache(tmp_path / "downloads")
    steps, _ = bench.select(corpus, plain)
    bench.run(steps, plain)
    assert [s.got_errors for s in steps] == [0, 0]  # a warning: the package is not there
    extensions_package(tmp_path / "downloads" / "ig")
    bench = _bench()  # a new run: the runner's packages are looked for once per run
    assert [p.name for p in bench.runner_packages(plain.root)] == ["hl7.fhir.uv.extensions.r4-5.3.0-ballot-tc1.tgz"]
    bench.run(steps, plain)
    assert [s.got_errors for s in steps] == [1, 1]  # base-only steps and steps with files of their own


def test_validate_reference_is_offered_to_tuning_cases_only(corpus: Path) -> None:
    """validateReference and enforceAggregationOutsideBundles came after their cases were seen as diagnostics: an
    even-hash (tuning) case runs with them, reading references from the case folder as HL7's runner's fetcher does;
    an odd-hash one stays listed, so the held-out half is the same set of steps as before."""
    v = corpus / "validator"
    manifest = json.loads((v / "manifest.json").read_text())
    manifest["test-cases"].append({"name": "tuned-refs", "file": "bad.json", "version": "4.0",
                                   "validateReference": "CHECK_EXISTS_AND_TYPE",
                                   "enforceAggregationOutsideBundles": False, "java": "java/bad.json"})
    (v / "manifest.json").write_text(json.dumps(manifest))
    steps, optioned = _bench().select(corpus)
    tuned = next(s for s in steps if s.name == "tuned-refs [base]")
    assert not tuned.held_out and tuned.options.validate_reference == "check_exists_and_type"
    assert tuned.options.reference_folders[-1] == str(v) and not tuned.options.enforce_aggregation_outside_bundles
    assert next(s for s in steps if s.name == "bad [base]").options.validate_reference == "ignore"
    assert optioned["validateReference"] == ["refs"]


def test_the_tuning_view_prints_no_held_out_total(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--tuning-only (and --show tune) keep the held-out totals out of sight while a change is being made."""
    bench = _bench()
    steps, _ = bench.select(corpus)
    bench.run(steps)
    assert {s.held_out for s in steps} == {False, True}  # both halves present, so the test can fail
    bench.summaries(steps, tuning_only=True)
    shown = capsys.readouterr().out
    assert "tuning half" in shown and "held out" not in shown and "\nall:" not in shown
    bench.summaries(steps)
    assert "held out (odd hash, never seen)" in capsys.readouterr().out


def test_a_held_out_step_read_while_tuning_is_counted_apart(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A held-out step whose file was read (SEEN) leaves the held-out totals for a line of its own; held-out
    disagreements are never counted by module."""
    bench = _bench()
    steps, _ = bench.select(corpus)
    bench.run(steps)
    held = [s for s in steps if s.held_out]
    held[0].seen = "read in a test"
    bench.summaries(steps)
    shown = capsys.readouterr().out
    unseen = f"{len(held) - 1} steps" if len(held) > 1 else "no steps"
    assert f"held out (odd hash, never seen): {unseen}" in shown
    assert "held out, read or shown while tuning (counted apart; SEEN): 1 steps" in shown
    assert "by module, held out" not in shown and "by module, tuning half" in shown


def test_a_step_whose_files_cannot_be_loaded_is_not_run_never_a_verdict(corpus: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A supporting file the harness cannot read gives no verdict: counted apart as not run and as a disagreement,
    neither a false alarm on a valid resource nor an agreement on an invalid one."""
    bench = _bench()
    (corpus / "validator" / "flag.json").write_text("{ not json")
    steps, _ = bench.select(corpus)
    bench.run(steps)
    assert steps[0].got_errors == -1 and steps[0].problem
    bench.report("all", steps)
    line = capsys.readouterr().out
    assert "verdict agreement 1/3" in line
    assert "false-invalid (false alarms) 1; not run (files the harness could not load) 1" in line
    assert "false-valid (missed errors) 0" in line
