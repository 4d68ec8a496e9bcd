"""XML and JSON give the same findings (bench/fhir_format_parity.py): the JSON -> XML writer, and each divergence the
parity bench found, pinned with a small synthetic resource that failed before its fix."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes
from conformance.fhirval.xml import xml_to_json
from conformance.fhirval.xml_write import NotExpressible, json_to_xml
from tests.fhirval.test_agreement_classes import errors
from tests.fhirval.test_ig_false_alarms import EXT, _extension


def _round_trip(resource: dict[str, Any]) -> Any:
    return xml_to_json(json_to_xml(resource, base_source()), base_source(), parse_float=Decimal)


def test_writer_round_trips_through_the_reader() -> None:
    patient = {"resourceType": "Patient", "id": "p", "active": True,
               "name": [{"given": ["a", "b"], "_given": [None, {"id": "g2"}]}],
               "_birthDate": {"extension": [{"url": EXT, "valueBoolean": True}]},
               "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'},
               "contained": [{"resourceType": "Organization", "id": "o", "name": "O"}],
               "multipleBirthInteger": 2, "managingOrganization": {"reference": "#o"}}
    back = _round_trip(patient)
    assert back == patient


def test_writer_puts_elements_in_definition_order_and_keeps_decimals() -> None:
    obs = json.loads('{"valueQuantity": {"value": 1.50, "unit": "g"}, "status": "final", "resourceType": '
                     '"Observation", "code": {"text": "t"}}', parse_float=Decimal)
    xml = json_to_xml(obs, base_source()).decode()
    assert xml.index("<status") < xml.index("<code") < xml.index("<valueQuantity")
    assert '<value value="1.50"/>' in xml
    assert [i for i in validate_bytes(xml.encode(), base_source()) if i.defect == "element-order"] == []


def test_writer_refuses_what_xml_cannot_say() -> None:
    try:
        json_to_xml({"resourceType": "Patient", "a b": 1}, base_source())
    except NotExpressible:
        pass
    else:
        raise AssertionError("a property name that is no XML name has no XML form")


# ---- a FHIRPath result memoised with the first resource's nodes -----------------------------------------

def test_fhirpath_context_is_judged_on_each_resource_own_nodes(tmp_path: Path) -> None:
    # ext-ctxt-good-address: the same resource validated twice (its XML after its JSON) was valid, then an
    # extension-context error: the memo of `address.where(use = 'home')` handed back the first resource's address
    source = _extension(tmp_path, [{"type": "fhirpath", "expression": "Patient.address.where(use = 'home')"}])
    res: dict[str, Any] = {"resourceType": "Patient", "id": "p1", "address": [
        {"extension": [{"url": EXT, "valueBoolean": True}], "use": "home"}]}
    assert errors(copy.deepcopy(res), source) == []
    assert errors(copy.deepcopy(res), source) == []
    res["address"][0]["use"] = "work"
    assert errors(res, source) == [("extension-context", "Patient.address[0].extension[0]")]
