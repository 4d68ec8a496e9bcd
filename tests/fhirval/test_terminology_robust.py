"""Malformed CodeSystems and ValueSets (any JSON where a shape is expected) never break expansion or the
binding check: the walk reports the shape, terminology answers what it can."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.fhirval.base import base_source
from conformance.fhirval.bindings import check_binding, check_coding
from conformance.fhirval.issues import Sink
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.validate import validate_resource

CS = "https://conformance.example/cs/any"
VS = "https://conformance.example/vs/any"

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(["a", "b", CS, VS, "is-a", "concept",
                                                                               "regex", "=", ".*", "(", "exists"]))
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["code", "concept", "system", "filter", "op", "property", "value", "valueSet", "display",
                         "include", "exclude", "contains", "designation"]), inner, max_size=4), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(concepts=json_values, compose=json_values, content=st.sampled_from(["complete", "fragment", 3, None]))
def test_any_shape_expands_or_is_left_open(concepts: Any, compose: Any, content: Any) -> None:
    cs = {"resourceType": "CodeSystem", "url": CS, "content": content, "concept": concepts,
          "property": [{"code": "parent"}]}
    vs = {"resourceType": "ValueSet", "url": VS, "compose": compose}
    term = Terminology(MemorySource([cs, vs]), find_package=False)
    expansion = term.expand(VS)
    assert expansion is not None
    assert expansion.contains(CS, "a") in (True, False, None)
    sink = Sink()
    check_binding(term, {"strength": "required", "valueSet": VS}, "code", "a", "X.code", sink)
    check_coding(term, {"system": CS, "code": "b", "display": "B"}, "X.coding", sink)
    assert all(i.defect in ("code-invalid", "code-unknown", "code-system-unknown", "code-display")
               for i in sink.issues)


@settings(max_examples=60, deadline=None)
@given(concepts=json_values, compose=json_values)
def test_the_resource_rules_take_any_shape(concepts: Any, compose: Any) -> None:
    source = LayeredSource([base_source(), MemorySource()])
    for resource in ({"resourceType": "CodeSystem", "url": CS, "status": "active", "content": "not-present",
                      "supplements": VS, "concept": concepts},
                     {"resourceType": "ValueSet", "url": VS, "status": "active", "compose": compose}):
        issues = validate_resource(resource, source)  # must not raise
        assert all(i.severity in ("fatal", "error", "warning", "information") for i in issues)
