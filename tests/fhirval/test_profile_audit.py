"""Profile, slicing and extension rules audited against HL7's InstanceValidator (issue 21, s-fvaud2): each
synthetic resource breaks (or keeps) one rule as the Java validator judges it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_profile_rules import errors, profile


def _two_slices(ordered: bool = False, rules: str = "open") -> dict[str, Any]:
    """Patient.identifier sliced by system and use; ``a`` and ``c`` fix only the system, ``b`` the use too
    (``use`` has a required binding, so HL7 tests it by memberOf where a slice fixes nothing there: an
    identifier without a use is in no slice)."""
    return profile("two-slices", "Patient", [
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}, {"type": "value", "path": "use"}],
                     "ordered": ordered, "rules": rules}},
        {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 0, "max": "*"},
        {"id": "Patient.identifier:a.system", "path": "Patient.identifier.system", "fixedUri": "urn:a"},
        {"id": "Patient.identifier:b", "path": "Patient.identifier", "sliceName": "b", "min": 0, "max": "*"},
        {"id": "Patient.identifier:b.system", "path": "Patient.identifier.system", "fixedUri": "urn:b"},
        {"id": "Patient.identifier:b.use", "path": "Patient.identifier.use", "fixedCode": "official"},
        {"id": "Patient.identifier:c", "path": "Patient.identifier", "sliceName": "c", "min": 0, "max": "*"},
        {"id": "Patient.identifier:c.system", "path": "Patient.identifier.system", "fixedUri": "urn:b"}])


def test_value_matching_two_slices(tmp_path: Path) -> None:
    """matchSlice tries every slice: VALIDATION_VAL_PROFILE_MATCHMULTIPLE (slice ``c`` tests only the system, so an
    official ``urn:b`` identifier is in ``b`` and in ``c``); one slice matched is fine."""
    defs = [_two_slices()]
    two = {"resourceType": "Patient", "identifier": [{"system": "urn:b", "use": "official", "value": "1"}]}
    assert errors(tmp_path, two, defs) == [("slice-unmatched", "Patient.identifier[0]")]
    one = {"resourceType": "Patient", "identifier": [{"system": "urn:b", "use": "usual", "value": "1"},
                                                     {"system": "urn:a", "value": "2"}]}
    assert errors(tmp_path, one, defs) == []


def test_ordered_slices_after_an_unmatched_value(tmp_path: Path) -> None:
    """assignChildren compares a value's slice with the previous value's only (lastSlice, reset by a value in no
    slice): b, other, a passes; b, a is out of order (VALIDATION_VAL_PROFILE_SLICEORDER)."""
    defs = [_two_slices(ordered=True)]
    b, a = {"system": "urn:b", "use": "usual", "value": "1"}, {"system": "urn:a", "use": "usual", "value": "2"}
    other = {"system": "urn:other", "value": "3"}
    assert errors(tmp_path, {"resourceType": "Patient", "identifier": [b, other, a]}, defs) == []
    assert errors(tmp_path, {"resourceType": "Patient", "identifier": [b, a]}, defs) == [
        ("slice-order", "Patient.identifier[1]")]
