"""UCUM unit codes judged offline (ucum.py), in Quantities and in Codings of the UCUM system."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.fhirval import ucum
from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource

ESSENCE_ENV = "UCUM_ESSENCE_XML"  # a ucum-essence.xml (e.g. fhir-test-cases' ucum/ucum-essence.xml); read only


@pytest.mark.parametrize("code", ["mm[Hg]", "kg/m2", "10*3/uL", "/min", "{beats}/min", "mL/min/{1.73_m2}",
                                  "g/(8.h){shift}", "Cel", "[degF]", "%", "1", "ug/(kg.h)", "[iU]/L", "kg.m-2"])
def test_units_ucum_defines(code: str) -> None:
    assert ucum.problem(code) == ""
    assert ucum.is_unit(code) is True


@pytest.mark.parametrize("code", ["mmHg", "fmm[Hg]", "cel", "kg/m^2", "", " mg", "mg /dL", "{unclosed", "m0",
                                  "k[in_i]", "x" * 300])
def test_strings_that_are_not_ucum(code: str) -> None:
    reason = ucum.problem(code)
    assert reason, f"{code!r} was accepted"
    assert ucum.is_unit(code) is False


def test_the_common_units_answered_without_the_parser_are_ucum() -> None:
    from ucumvert import get_ucum_parser, parse_ucum

    parser = get_ucum_parser()
    for code in sorted(ucum.COMMON):
        parse_ucum(code, parser)  # raises InvalidUcumError for a code that is not UCUM


def observation(unit: str) -> dict[str, object]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "blood pressure"},
            "valueQuantity": {"value": 120, "unit": unit, "system": ucum.UCUM, "code": unit}}


def test_a_quantity_with_a_unit_that_is_not_ucum_is_an_error_where_it_stands() -> None:
    issues = [i for i in validate_resource(observation("mmHg"), base_source()) if i.is_error]
    assert [(i.defect, i.location) for i in issues] == [("code-unknown", "Observation.value.ofType(Quantity)")]
    assert "mmHg" in issues[0].message
    assert [i for i in validate_resource(observation("mm[Hg]"), base_source()) if i.is_error] == []


def test_a_quantity_of_another_system_is_not_judged() -> None:
    res = observation("mmHg")
    res["valueQuantity"]["system"] = "https://conformance.example/units"  # type: ignore[index]
    assert [i for i in validate_resource(res, base_source()) if i.is_error] == []


def _essence() -> Path:
    given = os.environ.get(ESSENCE_ENV)
    if not given or not Path(given).is_file():
        pytest.skip(f"set {ESSENCE_ENV} to a ucum-essence.xml (UCUM's definition file, e.g. from "
                    "FHIR/fhir-test-cases ucum/) to check every unit it defines")
    return Path(given)


def test_every_unit_and_prefix_of_the_essence_file() -> None:
    root = ET.parse(_essence()).getroot()
    ns = {"u": root.tag.split("}")[0].strip("{")} if root.tag.startswith("{") else {}
    q = "u:" if ns else ""
    atoms = [(e.get("Code") or "", e.get("isMetric") == "yes") for e in root.findall(f"{q}unit", ns)]
    atoms += [(e.get("Code") or "", True) for e in root.findall(f"{q}base-unit", ns)]
    prefixes = [e.get("Code") or "" for e in root.findall(f"{q}prefix", ns)]
    assert len(atoms) > 250 and len(prefixes) > 20
    rejected = [code for code, _ in atoms if ucum.is_unit(code) is not True]
    assert rejected == []
    metric = [code for code, is_metric in atoms if is_metric]
    prefixed = [p + m for p in prefixes for m in metric[:: max(1, len(metric) // 15)]]
    assert [code for code in prefixed if ucum.is_unit(code) is not True] == []
    assert ucum.is_unit("k[in_i]") is False  # a non-metric atom takes no prefix


def test_the_cli_says_which_unit_is_not_ucum_and_exits_1(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from conformance.cli import main

    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_text(json.dumps(observation("mmHg")))
    res = observation("mm[Hg]")
    res["code"] = {"coding": [{"system": "https://conformance.example/unheld", "code": "bp"}]}
    good.write_text(json.dumps(res))
    result = CliRunner().invoke(main, ["validate", "fhir", "--json", str(bad), str(good)])
    assert result.exit_code == 1, result.output
    outcomes = json.loads(result.stdout)
    errors = [i for i in outcomes[0]["issue"] if i["severity"] == "error"]
    assert [(i["expression"], "mmHg" in i["diagnostics"]) for i in errors] == [
        (["Observation.value.ofType(Quantity)"], True)]
    assert not [i for i in outcomes[1]["issue"] if i["severity"] in ("error", "fatal")]
