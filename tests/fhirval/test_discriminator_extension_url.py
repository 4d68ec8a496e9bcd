"""A discriminator path ``extension('url')`` read as HL7's FHIRPathEngine.evaluateDefinition reads it: the extension
slice it names is the one whose (first) type profile, followed up its base definitions to the profile that constrains
Extension itself, has that url. So a slice typed by a guide's own constraint on the extension, or by the extension's
canonical with a ``|version``, is the slice named. Before, only the canonical as written matched: the path found no
element, the slice had nothing to test by, and a valid resource got "the slicing cannot be evaluated"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fhirval.test_profile_rules import errors, profile

KIND = "http://example.test/StructureDefinition/kind"
DERIVED = "http://example.test/StructureDefinition/kind-derived"
EXTENSION = {"resourceType": "StructureDefinition", "url": KIND, "version": "1.0", "name": "Kind", "status": "active",
             "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": False, "type": "Extension",
             "derivation": "constraint", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
             "context": [{"type": "element", "expression": "Patient.contact"}],
             "differential": {"element": [
                 {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                 {"id": "Extension.url", "path": "Extension.url", "fixedUri": KIND},
                 {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "code"}]}]}}
DERIVED_EXTENSION = {**EXTENSION, "url": DERIVED, "name": "KindDerived", "baseDefinition": KIND,
                     "differential": {"element": [{"id": "Extension", "path": "Extension", "short": "a guide's"}]}}


def _profile(type_profile: str) -> dict[str, Any]:
    """Patient.contact sliced (closed) by the value of the kind extension; slice ``e`` takes kind ``E``."""
    return profile("contact-kind", "Patient", [
        {"id": "Patient.contact", "path": "Patient.contact",
         "slicing": {"discriminator": [{"type": "value", "path": f"extension('{KIND}').value"}], "rules": "closed"}},
        {"id": "Patient.contact:e", "path": "Patient.contact", "sliceName": "e", "min": 0, "max": "*"},
        {"id": "Patient.contact:e.extension:kind", "path": "Patient.contact.extension", "sliceName": "kind",
         "min": 1, "max": "1", "type": [{"code": "Extension", "profile": [type_profile]}]},
        {"id": "Patient.contact:e.extension:kind.value[x]", "path": "Patient.contact.extension.value[x]",
         "fixedCode": "E"}])


def _patient(kind: str) -> dict[str, Any]:
    return {"resourceType": "Patient",
            "contact": [{"extension": [{"url": KIND, "valueCode": kind}], "name": {"family": "x"}}]}


@pytest.mark.parametrize("type_profile", [KIND, KIND + "|1.0", DERIVED])
def test_the_slice_named_by_its_extension_s_url_decides(tmp_path: Path, type_profile: str) -> None:
    definitions = [_profile(type_profile), EXTENSION, DERIVED_EXTENSION]
    assert errors(tmp_path, _patient("E"), definitions) == []
    assert errors(tmp_path, _patient("F"), definitions) == [("slice-unmatched", "Patient.contact[0]")]
