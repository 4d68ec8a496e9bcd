"""HL7's test runner's settings beside ours (fvrun9): the behaviour a setting the runner leaves at its default gives.

- ``codeSystemValidationSizeLimit`` (InstanceValidatorParameters, default ValidatorSettings.
  DEFAULT_CODESYSTEM_VALIDATION_SIZE_LIMIT = 1000; neither ValidationTests nor TestUtilities sets it): a ValueSet
  include with more concepts than the limit has none of them checked, a hint instead (ValueSetValidator.
  validateValueSetInclude, VALUESET_INC_TOO_MANY_CODES); so do a supplement's concepts (CodeSystemValidator,
  CODESYSTEM_CS_SUPP_TOO_MANY_CODES). 0: no limit (HL7's -codesystem-validation-size-limit).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.fhirval.base import base_source
from conformance.fhirval.bidi import unterminated
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.options import Options
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource
from tests.fhirval.scripts import load_script

CS = "https://conformance.example/cs/numbers"
NUMBERS: dict[str, Any] = {"resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
                           "concept": [{"code": f"n{i}"} for i in range(1200)]}


def _issues(resource: dict[str, Any], options: Options | None = None) -> list[tuple[str, str, str]]:
    source = LayeredSource([base_source(), MemorySource([NUMBERS])])
    return [(i.severity, i.defect, i.location)
            for i in validate_resource(resource, source, options=options or Options())]


def _value_set(count: int, bad: str = "kiwi") -> dict[str, Any]:
    concepts = [{"code": f"n{i}"} for i in range(count - 1)] + [{"code": bad}]
    return {"resourceType": "ValueSet", "url": "https://conformance.example/vs/n", "status": "active",
            "compose": {"include": [{"system": CS, "concept": concepts}]}}


def _supplement(count: int, bad: str = "kiwi") -> dict[str, Any]:
    concepts = [{"code": f"n{i}", "display": "x"} for i in range(count - 1)] + [{"code": bad, "display": "x"}]
    return {"resourceType": "CodeSystem", "url": f"{CS}-fr", "status": "active", "content": "supplement",
            "supplements": CS, "concept": concepts}


def test_an_include_within_the_limit_has_its_codes_checked() -> None:
    found = _issues(_value_set(1000))
    assert ("error", "code-unknown", "ValueSet.compose.include[0].concept[999]") in found


def test_an_include_over_the_limit_has_none_checked_and_a_hint_says_so() -> None:
    found = _issues(_value_set(1001))
    assert not [i for i in found if i[0] == "error"]
    assert ("information", "too-many-codes", "ValueSet.compose.include[0]") in found


def test_a_limit_that_is_no_whole_number_is_refused_as_the_other_options() -> None:
    for odd in (-1, 1.5, "10", True):
        with pytest.raises(ValueError, match="code_system_validation_size_limit"):
            Options(code_system_validation_size_limit=odd)  # type: ignore[arg-type]


def test_a_limit_of_zero_checks_every_code_and_another_limit_is_kept() -> None:
    assert ("error", "code-unknown", "ValueSet.compose.include[0].concept[1000]") in _issues(
        _value_set(1001), Options(code_system_validation_size_limit=0))
    assert not [i for i in _issues(_value_set(20), Options(code_system_validation_size_limit=10)) if i[0] == "error"]


def test_a_supplement_over_the_limit_has_its_concepts_unchecked() -> None:
    assert ("error", "code-unknown", "CodeSystem.concept[999]") in _issues(_supplement(1000))
    found = _issues(_supplement(1001))
    assert not [i for i in found if i[0] == "error"]
    assert ("information", "too-many-codes", "CodeSystem") in found


def test_the_limit_is_a_count() -> None:
    with pytest.raises(ValueError):
        Options(code_system_validation_size_limit=-1)


def test_the_cli_flag_sets_the_limit(tmp_path: Path) -> None:
    concepts = [{"code": "male"}] * 1000 + [{"code": "kiwi"}]
    vs = {"resourceType": "ValueSet", "url": "https://conformance.example/vs/g", "status": "active",
          "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">g</div>'},
          "compose": {"include": [{"system": "http://hl7.org/fhir/administrative-gender", "concept": concepts}]}}
    path = tmp_path / "vs.json"
    path.write_text(json.dumps(vs), encoding="utf-8")
    run = CliRunner().invoke
    assert run(main, ["validate", "fhir", str(path)]).exit_code == 0
    assert run(main, ["validate", "fhir", "--codesystem-validation-size-limit", "0", str(path)]).exit_code == 1
    assert run(main, ["validate", "fhir", "--codesystem-validation-size-limit", "-1", str(path)]).exit_code == 2


def _case_options() -> ModuleType:
    return load_script("bench/fhir_case_options.py")


def test_the_bench_runs_a_silent_case_with_html_in_markdown_a_warning() -> None:
    """ValidationTests sets HtmlInMarkdownCheck.ERROR for noHtmlInMarkdown and nothing otherwise, so its validator
    keeps InstanceValidatorParameters' WARNING (ValidationEngine.getValidator -> initializeFromParameters)."""
    options = _case_options().case_options
    assert options({"name": "x", "file": "x.json"}).html_in_markdown == "warning"
    assert options({"name": "x", "file": "x.json", "noHtmlInMarkdown": False}).html_in_markdown == "error"


def test_the_bench_takes_both_extension_domain_keys() -> None:
    """ValidationTests adds allowed-extension-domain and each of allowed-extension-domains."""
    options = _case_options().case_options
    assert options({"name": "x", "file": "x.json", "allowed-extension-domain": "http://a.org",
                    "allowed-extension-domains": ["http://b.org", "http://c.org"]}).extension_domains == (
        "http://a.org", "http://b.org", "http://c.org")


def test_a_no_tx_case_runs_without_the_recorded_terminology(tmp_path: Path) -> None:
    """ValidationTests: no-tx "true" sets NoTerminologyServer and no caching, so --tx-cache does not stand in."""
    bench = load_script("bench/fhir_reference_agreement.py")
    steps = [bench.Step("a [base]", tmp_path / "a.json", 0, False),
             bench.Step("b [base]", tmp_path / "b.json", 0, False, no_tx=True)]
    bench.with_tx_cache(steps, tmp_path)
    assert [s.options.tx_cache for s in steps] == [str(tmp_path), None]
    assert _case_options().runs_without_terminology({"no-tx": True})
    assert not _case_options().runs_without_terminology({"no-tx": "false"})


# noUnicodeBiDiControlChars (InstanceValidatorParameters default false; neither the runner nor HL7's CLI sets it):
# InstanceValidator.checkPrimitive then warns UNICODE_BIDI_CONTROLS_CHARS_MATCH where UnicodeUtilities.
# checkUnicodeWellFormed finds a control left open; no error.
def _bidi(text: str, where: str = "text") -> list[tuple[str, str, str]]:
    patient: dict[str, Any] = {"resourceType": "Patient", "name": [{where: text}] if where == "text" else [],
                               "birthDate": "2000-01-01"}
    if where != "text":
        patient[where] = text
    return [i for i in _issues(patient) if i[1] == "bidi"]


def test_an_unterminated_bidi_override_is_a_warning() -> None:
    assert _bidi("abcdefg\u202ehij") == [("warning", "bidi", "Patient.name[0].text")]
    assert unterminated("abcdefg\u202ehij") == "Unicode Character RLO at index 7 has no terminating match " \
                                                "(preceding text = 'cdefg')"


def test_closed_controls_and_line_feeds_are_not() -> None:
    assert _bidi("ab\u202ecd\u202cef") == []  # RLO ... PDF
    assert _bidi("ab\u2067cd\u200f\u2069") == []  # RLI, RLM, PDI: back to the isolate
    assert _bidi("ab\u202ecd\nef") == []  # HL7's PARA empties the stack
    assert _bidi("caf\u00e9 \u05e9\u05dc\u05d5\u05dd") == []  # no control at all


def test_hl7s_quirks_are_kept() -> None:
    assert _bidi("\u05e9\u05dc\u05d5\u05dd\u200f") == [("warning", "bidi", "Patient.name[0].text")]  # a lone mark
    assert unterminated("\u202bab\u202c") is None  # RLE is never pushed; PDF pops nothing
    assert unterminated("\u202eab\u2069") is not None  # PDI pops only back to an isolate


def test_every_primitive_is_looked_at() -> None:
    assert _bidi("x\u202e", "gender") != []  # a code (also not a gender) gets the warning too
