"""The FHIRPath a definition carries parses, as HL7's validator (ED_INVARIANT_EXPRESSION_ERROR,
ED_CONTEXT_INVARIANT_EXPRESSION_ERROR, ED_SEARCH_EXPRESSION_ERROR): each on a small synthetic definition that
fails without the rule, beside the same definition with the expression mended."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.fhirpath_syntax import syntax_error
from tests.fhirval.test_agreement_classes import errors

FHIR = "http://hl7.org/fhir/StructureDefinition/"
URL = "http://example.org/StructureDefinition/syn-obs"


def _syntax(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(resource) if e[0] == "fhirpath-syntax"]


def _profile(expression: str, source: str | None = None) -> dict[str, Any]:
    constraint: dict[str, Any] = {"key": "syn-1", "severity": "error", "human": "synthetic", "expression": expression}
    if source is not None:
        constraint["source"] = source
    root = {"id": "Observation", "path": "Observation", "min": 0, "max": "*",
            "base": {"path": "Observation", "min": 0, "max": "*"}, "constraint": [constraint]}
    return {"resourceType": "StructureDefinition", "url": URL, "name": "SynObs", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Observation", "baseDefinition": FHIR + "Observation",
            "derivation": "constraint", "differential": {"element": [{"id": "Observation", "path": "Observation"}]},
            "snapshot": {"element": [root]}}


def test_the_parser_is_strict() -> None:
    # fhirpathpy's parse() accepts every one of these (ANTLR recovers silently, a trailing ')' is left unread)
    for bad in ("code.exists() and", "where(", "code.exists())", "a..b", "x = 'open", "a | | b", "code exists()"):
        assert syntax_error(bad) is not None, bad
    for good in ("code.exists()", "%resource.x", "%`vs-x`.y", "`div`.exists()", "value as Quantity", "1 'mg'",
                 "@2020-01-01T10:00", "$index > 0", "a !~ b", "(a | b).where($this = 'x').exists() implies c"):
        assert syntax_error(good) is None, good


def test_a_profile_invariant_parses() -> None:
    assert _syntax(_profile("code.exists()")) == []
    assert _syntax(_profile("code.exists() and")) == [
        ("fhirpath-syntax", "StructureDefinition.snapshot.element[0].constraint[0].expression")]
    assert _syntax(_profile("code.exists() and", source=URL)) != []


def test_an_invariant_copied_from_elsewhere_is_judged_there() -> None:
    assert _syntax(_profile("code.exists() and", source=FHIR + "Observation")) == []


def _extension(invariant: str, context: str = "element") -> dict[str, Any]:
    ext_url = "http://example.org/StructureDefinition/syn-ext"
    return {"resourceType": "StructureDefinition", "url": ext_url, "name": "SynExt", "status": "draft",
            "kind": "complex-type", "abstract": False, "type": "Extension", "baseDefinition": FHIR + "Extension",
            "derivation": "constraint", "context": [{"type": context, "expression": "Patient"}],
            "contextInvariant": [invariant],
            "differential": {"element": [{"id": "Extension", "path": "Extension"},
                                         {"id": "Extension.url", "path": "Extension.url", "fixedUri": ext_url},
                                         {"id": "Extension.value[x]", "path": "Extension.value[x]",
                                          "type": [{"code": "string"}]}]}}


def test_a_context_invariant_parses() -> None:
    assert _syntax(_extension("%extension.value.exists()")) == []
    assert _syntax(_extension("%extension.value.exists(")) == [
        ("fhirpath-syntax", "StructureDefinition.contextInvariant[0]")]
    # with only fhirpath contexts HL7 has no type to parse it against, and reports nothing
    assert _syntax(_extension("%extension.value.exists(", context="fhirpath")) == []


def _search(expression: str, base: list[str] | None = None) -> dict[str, Any]:
    return {"resourceType": "SearchParameter", "url": "http://example.org/SearchParameter/syn", "name": "syn",
            "status": "draft", "description": "synthetic", "code": "syn", "base": ["Patient"] if base is None else base,
            "type": "token", "expression": expression}


def test_a_search_expression_parses() -> None:
    assert _syntax(_search("Patient.gender")) == []
    assert _syntax(_search("Patient.gender |")) == [("fhirpath-syntax", "SearchParameter.expression")]


def test_a_structure_whose_base_is_not_loaded_is_not_judged() -> None:
    # StructureDefinitionValidator validates the elements (and context) only with the base loaded
    unloaded = {**_profile("code.exists() and"), "baseDefinition": "http://example.org/StructureDefinition/none"}
    assert _syntax(unloaded) == []
