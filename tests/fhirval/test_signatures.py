"""A Bundle's JOSE signature data is base64 (BundleValidator.validateSignature: BUNDLE_SIGNATURE_CHECKED_DATA_B64,
BUNDLE_SIGNATURE_NOT_CHECKED_DATA_B64; issue 21 rule matrix). Both failed before: nothing was said."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource


def found(data: str, sig_format: str = "application/jose") -> list[tuple[str, str]]:
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection", "signature": {
        "type": [{"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.1"}],
        "when": "2020-01-01T00:00:00Z", "who": {"reference": "Practitioner/x"}, "sigFormat": sig_format,
        "data": data}}
    return [(i.defect, i.location) for i in validate_resource(bundle, base_source()) if i.defect == "signature"]


def test_jose_data_must_be_base64() -> None:
    assert found("ZXlKaGJHY2lPaUpTVXpJMU5pSjkuLmMybG4=") == []  # base64 of a detached JWS
    assert found("eyJhbGciOiJSUzI1NiJ9_-x") == []  # the URL-safe alphabet is base64 to HL7
    assert found("eyJhbGciOiJSUzI1NiJ9..c2ln") == [("signature", "Bundle.signature")]  # an unencoded JWS
    assert found("not base64: at all!") == [("signature", "Bundle.signature")]
    assert found("not base64: at all!", sig_format="image/png") == []  # not a digital signature
