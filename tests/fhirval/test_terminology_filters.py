"""Local ValueSet expansion: filters on the hierarchy, the code and concept properties, from a loaded CodeSystem."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.bindings import Terminology
from conformance.fhirval.source import MemorySource

CS = "https://conformance.example/cs/colours"
VS = "https://conformance.example/vs/colours"

CODE_SYSTEM: dict[str, Any] = {
    "resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
    "property": [{"code": "warm", "type": "boolean"}, {"code": "group", "type": "code"}],
    "concept": [
        {"code": "red", "display": "Red", "property": [{"code": "warm", "valueBoolean": True},
                                                       {"code": "group", "valueCode": "primary"}],
         "concept": [{"code": "crimson", "display": "Crimson"}, {"code": "scarlet", "display": "Scarlet"}]},
        {"code": "blue", "display": "Blue", "property": [{"code": "warm", "valueBoolean": False},
                                                         {"code": "group", "valueCode": "primary"}]},
        {"code": "teal", "display": "Teal"}]}


def codes(*filters: dict[str, str], exclude: tuple[dict[str, str], ...] = ()) -> set[str] | None:
    compose: dict[str, Any] = {"include": [{"system": CS, "filter": list(filters)}]}
    if exclude:
        compose["exclude"] = [{"system": CS, "filter": list(exclude)}]
    vs = {"resourceType": "ValueSet", "url": VS, "status": "active", "compose": compose}
    expansion = Terminology(MemorySource([CODE_SYSTEM, vs])).expand(VS)
    assert expansion is not None
    if CS in expansion.open_systems:
        return None  # not followed: codes are then not judged
    return expansion.codes[CS]


def test_regex_on_the_code() -> None:
    assert codes({"property": "concept", "op": "regex", "value": "[a-c].*"}) == {"blue", "crimson"}
    assert codes({"property": "code", "op": "regex", "value": "s.*"}) == {"scarlet"}


def test_property_equals_and_in() -> None:
    assert codes({"property": "warm", "op": "=", "value": "true"}) == {"red"}
    assert codes({"property": "group", "op": "in", "value": "primary, secondary"}) == {"red", "blue"}
    assert codes({"property": "group", "op": "not-in", "value": "primary"}) == {"crimson", "scarlet", "teal"}


def test_exists_and_display() -> None:
    assert codes({"property": "warm", "op": "exists", "value": "false"}) == {"crimson", "scarlet", "teal"}
    assert codes({"property": "display", "op": "regex", "value": "T.*"}) == {"teal"}


def test_hierarchy_filters_with_exclude() -> None:
    assert codes({"property": "concept", "op": "is-a", "value": "red"}) == {"red", "crimson", "scarlet"}
    assert codes({"property": "concept", "op": "is-a", "value": "red"},
                 exclude=({"property": "concept", "op": "=", "value": "crimson"},)) == {"red", "scarlet"}
    assert codes({"property": "concept", "op": "generalizes", "value": "scarlet"}) == {"red", "scarlet"}
    assert codes({"property": "parent", "op": "=", "value": "red"}) == {"crimson", "scarlet"}


def test_a_filter_not_understood_leaves_the_system_open() -> None:
    assert codes({"property": "concept", "op": "regex", "value": "(unclosed"}) is None
    assert codes({"property": "warm", "op": "descendent-of", "value": "x"}) is None


def test_a_flat_code_system_with_parent_properties_has_a_hierarchy() -> None:
    flat: dict[str, Any] = {
        "resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
        "property": [{"code": "parent", "type": "code"}],
        "concept": [{"code": "red"}, {"code": "crimson", "property": [{"code": "parent", "valueCode": "red"}]},
                    {"code": "blue"}]}
    vs = {"resourceType": "ValueSet", "url": VS, "status": "active", "compose": {"include": [
        {"system": CS, "filter": [{"property": "concept", "op": "is-a", "value": "red"}]}]}}
    expansion = Terminology(MemorySource([flat, vs]), find_package=False).expand(VS)
    assert expansion is not None and expansion.codes[CS] == {"red", "crimson"}


def test_a_regex_filter_has_javas_character_classes() -> None:
    """HL7's PropertyFilter and RegexFilter match with RegexTimeout.matches, a Java regex with no flag: \\S takes a
    no-break space and \\w is ASCII, so 'Bleu clair' (no-break space) is \\S+ and 'Écarlate' is not \\w+."""
    system = {**CODE_SYSTEM, "concept": [{"code": "bleu", "display": "Bleu\u00a0clair"},
                                         {"code": "ecarlate", "display": "\u00c9carlate"},
                                         {"code": "vert", "display": "Vert"}]}
    vs = {"resourceType": "ValueSet", "url": VS, "status": "active", "compose": {"include": [
        {"system": CS, "filter": [{"property": "display", "op": "regex", "value": "\\S+"}]}]}}
    expansion = Terminology(MemorySource([system, vs])).expand(VS)
    assert expansion is not None and expansion.codes[CS] == {"bleu", "ecarlate", "vert"}
    vs["compose"]["include"][0]["filter"][0]["value"] = "\\w+"
    expansion = Terminology(MemorySource([system, vs])).expand(VS)
    assert expansion is not None and expansion.codes[CS] == {"vert"}
