"""`conformance validate fhir`: exit 0 valid / 1 invalid / 2 usage, one line per issue with its FHIRPath
location, the OperationOutcome with --json, and bad input as an issue rather than a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "validation"
VALID = str(FIXTURES / "patient-valid.json")
PROFILE = "https://conformance.example/fhir/StructureDefinition/test-patient"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["validate", "fhir", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_valid_file_exits_0() -> None:
    code, out, _ = invoke(VALID)
    assert code == 0 and out.splitlines()[0].endswith(": valid")


def test_invalid_file_exits_1_with_a_line_per_issue(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", json.dumps({"resourceType": "Patient", "gender": "x",
                                                  "name": [{"given": ["A", 5]}]}))
    code, out, _ = invoke(bad)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{bad}: invalid (3 errors), 1 warning"  # the bad code is two (test_required_binding_on_code)
    assert f"{bad}: error Patient.name[0].given[1]:" in out and "[json-type]" in out
    assert f"{bad}: error Patient.gender:" in out and "[code-invalid]" in out


def test_json_is_an_operation_outcome_errors_first(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", json.dumps({"resourceType": "Patient", "foo": 1}))
    code, out, _ = invoke("--json", bad)
    outcome = json.loads(out)
    assert code == 1 and outcome["resourceType"] == "OperationOutcome"
    severities = [i["severity"] for i in outcome["issue"]]
    assert severities == sorted(severities, key=["fatal", "error", "warning", "information"].index)
    first = outcome["issue"][0]
    assert first["expression"] == ["Patient.foo"] and first["code"] == "structure"
    assert first["details"]["coding"][0]["code"] == "unknown-element"


def test_several_files_give_an_array_with_ids(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", "{")
    code, out, _ = invoke("--json", VALID, bad)
    rows = json.loads(out)
    assert code == 1 and [r["id"] for r in rows] == [VALID, bad]
    assert rows[0]["issue"][0]["severity"] == "information"  # the all-clear
    assert rows[1]["issue"][0]["severity"] == "fatal"


def test_bad_input_is_an_issue_not_a_traceback(tmp_path: Path) -> None:
    cases = {"text.json": "hello", "array.json": "[]", "no-type.json": '{"id": "x"}',
             "made-up.json": '{"resourceType": "Patients"}', "xml.xml": "<Patient><id value='1'/>",
             "deep.json": '{"resourceType": "Patient", "extension": ' + "[" * 5000 + "]" * 5000 + "}"}
    for name, content in cases.items():
        code, out, _ = invoke(write(tmp_path, name, content))
        assert code == 1 and "invalid" in out.splitlines()[0], (name, out)
        assert "Traceback" not in out


def test_unknown_profile_is_an_issue(tmp_path: Path) -> None:
    code, out, _ = invoke("--profile", "https://example.org/nope", VALID)
    assert code == 1 and "[unknown-profile]" in out


def test_profile_from_a_package_folder() -> None:
    profiled = str(FIXTURES / "patient-profiled-valid.json")
    code, out, _ = invoke("--package", str(FIXTURES / "profiles"), "--profile", PROFILE, profiled)
    assert code == 0, out
    code, out, _ = invoke("--profile", PROFILE, profiled)  # the profile is not loaded without its package
    assert code == 1


def test_usage_errors_exit_2_naming_the_file(tmp_path: Path) -> None:
    code, _, err = invoke("--package", str(tmp_path / "missing"), VALID)
    assert code == 2 and "missing" in err and len(err.strip().splitlines()) == 1
    broken = write(tmp_path, "broken.json", "{not json")
    code, _, err = invoke("--package", broken, VALID)
    assert code == 2 and "broken.json" in err
    code, _, _ = invoke(str(tmp_path / "no-such-file.json"))
    assert code == 2


def test_extension_domain_turns_unknown_extensions_into_information(tmp_path: Path) -> None:
    url = "https://vendor.example/fhir/StructureDefinition/legacy-flag"
    res = json.loads(Path(VALID).read_text())
    res["extension"] = [{"url": url, "valueBoolean": True}]
    path = write(tmp_path, "ext.json", json.dumps(res))
    code, out, _ = invoke(path)
    assert code == 1 and "[extension-unknown]" in out
    code, out, _ = invoke("--extension-domain", "https://vendor.example/", path)
    assert code == 0 and "information" in out and url in out
    res["modifierExtension"] = res.pop("extension")
    path = write(tmp_path, "modext.json", json.dumps(res))
    # an unknown modifier in an allowed domain is allowed too, as HL7's allowUnknownExtension (s-fvaud2)
    assert invoke("--extension-domain", "https://vendor.example/", path)[0] == 0
    assert invoke(path)[0] == 1


def test_wrong_displays_error_fails_a_wrong_display_the_default_warns_of(tmp_path: Path) -> None:
    patient = {"resourceType": "Patient", "id": "p", "meta": {"tag": [
        {"system": "http://hl7.org/fhir/administrative-gender", "code": "male", "display": "Boy"}]}}
    path = write(tmp_path, "display.json", json.dumps(patient))
    code, out, _ = invoke(path)
    assert code == 0 and "[code-display]" in out
    code, out, _ = invoke("--wrong-displays", "error", path)
    assert code == 1 and "[code-display]" in out
    assert invoke("--wrong-displays", "loud", path)[0] == 2


def test_hl7s_switches_are_flags_each_off_by_default(tmp_path: Path) -> None:
    """--security-checks, --contained, --no-example-urls, --no-experimental-content, --for-publication and
    --best-practice reach the walk (tests/fhirval/test_options.py judges each rule)."""
    div = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}
    cases = [
        ({"resourceType": "Patient", "text": div, "name": [{"text": "<b>x<i>y"}]}, ["--security-checks"], "security"),
        ({"resourceType": "Observation", "text": div, "status": "final", "code": {"text": "x"},
          "note": [{"text": "a <b>bold</b> claim"}]}, ["--html-in-markdown", "error"], "markdown-html"),
        ({"resourceType": "Patient", "text": div, "photo": [{"url": "http://example.org/p.png"}]},
         ["--no-example-urls"], "example-url"),
        ({"resourceType": "ValueSet", "text": div, "url": "http://x.org/vs", "status": "draft", "experimental": True},
         ["--no-experimental-content"], "experimental"),
        ({"resourceType": "CodeSystem", "text": div, "url": "http://hl7.org/fhir/cs", "status": "draft",
          "content": "not-present"}, ["--for-publication"], "publication"),
        ({"resourceType": "Patient"}, ["--best-practice", "error"], "invariant"),
    ]
    for i, (resource, flags, defect) in enumerate(cases):
        path = write(tmp_path, f"r{i}.json", json.dumps(resource))
        assert invoke(path)[0] == 0, flags
        code, out, _ = invoke(*flags, path)
        assert code == 1 and f"[{defect}]" in out, (flags, out)
    contained = {"resourceType": "Condition", "text": div, "subject": {"reference": "Patient/1"},
                 "contained": [{"resourceType": "Practitioner", "id": "x" * 65}]}
    path = write(tmp_path, "contained.json", json.dumps(contained))
    assert invoke(path)[0] == 1 and invoke("--contained", "ignore", path)[0] == 0
    assert invoke("--contained", "sometimes", path)[0] == 2


def test_validate_references_looks_references_up_in_a_local_folder(tmp_path: Path) -> None:
    """--validate-references / --reference-folder (HL7's validateReference policy; local files, never a network)."""
    folder = tmp_path / "refs"
    folder.mkdir()
    (folder / "patient-here.json").write_text(json.dumps({"resourceType": "Patient", "id": "here"}))
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "subject": {"reference": "Patient/gone"}, "performer": [{"reference": "Patient/here"}]}
    path = write(tmp_path, "obs.json", json.dumps(obs))
    assert invoke(path)[0] == 0
    code, out, _ = invoke("--validate-references", "check_exists", "--reference-folder", str(folder), path)
    assert code == 1 and "Patient/gone" in out and "Patient/here" not in out
    assert invoke("--validate-references", "sometimes", path)[0] == 2
