"""The invariant path's shortcuts (fvperf6) give what they replace: fhirpath_hoist's paths evaluated once an
evaluation answer as evaluated each time, and source.deep_copy copies as copy.deepcopy does."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.fhirval.fhirpath import engine
from conformance.fhirval.fhirpath_syntax import parse
from conformance.fhirval.source import deep_copy


def _outcome(run: Any) -> Any:
    try:
        return ("value", repr(run()))
    except Exception as exc:  # the error is part of what must agree
        return ("error", type(exc).__name__, str(exc))


class _Odd:
    def __init__(self, value: Any) -> None:
        self.value = value


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, True, None, "s", {"b": []}]}, [[], {}], "text", 3, None,
    {1: "int key"}, {("t",): [1]},
])
def test_deep_copy_is_deepcopy(value: Any) -> None:
    copied = deep_copy(value)
    assert copied == value == copy.deepcopy(value)
    assert repr(copied) == repr(copy.deepcopy(value))
    if isinstance(value, dict | list) and value:
        assert copied is not value


def test_deep_copy_copies_every_level_and_keeps_what_is_shared_shared() -> None:
    shared = {"code": "x"}
    value = {"type": [shared, shared], "other": shared, "deep": {"list": [[shared]]}}
    copied = deep_copy(value)
    reference = copy.deepcopy(value)
    assert copied == reference
    assert copied["type"][0] is copied["type"][1] is copied["other"] is copied["deep"]["list"][0][0]
    assert copied["type"][0] is not shared and copied["deep"] is not value["deep"]
    copied["other"]["code"] = "y"
    assert shared["code"] == "x" and copied["type"][1]["code"] == "y"


def test_deep_copy_hands_other_types_to_deepcopy() -> None:
    odd = _Odd({"x": [1]})
    copied = deep_copy({"k": odd, "again": odd})
    assert isinstance(copied["k"], _Odd) and copied["k"] is not odd and copied["k"].value == {"x": [1]}
    assert copied["again"] is copied["k"]  # one memo for both
    keyed = {1: {"v": []}}
    assert deep_copy(keyed) == keyed and deep_copy(keyed)[1] is not keyed[1]


SD: dict[str, Any] = {
    "resourceType": "StructureDefinition", "kind": "resource", "type": "Patient",
    "snapshot": {"element": [{"path": "Patient"}, {"path": "Patient.name"}, {"path": "Patient.active"}]},
    "differential": {"element": [{"path": "Patient.name"}, {"path": "Other.x"}]},
}


@pytest.mark.parametrize("expression,kept", [
    ("%resource.snapshot.element.first().path", True),
    ("%resource.differential.element.first().path.replaceMatches('\\\\..*', '')", True),
    ("%resource.snapshot.element.count()", True), ("%resource.type.substring(0, 3)", True),
    ("%resource.snapshot.element.where(path = 'Patient')", False),  # iterates: sets $this and $index
    ("%resource.snapshot.element.exists(path = 'Patient')", False), ("%resource.snapshot.element.exists()", True),
    ("%resource.type.substring(0, $this.length())", False),  # an argument that reads the focus
    ("%resource.type.startsWith(path)", False), ("snapshot.element.first().path", False),
    ("%resource.snapshot.element.trace('x')", False), ("$this.path", False),
])
def test_only_a_path_from_a_variable_through_pure_steps_is_kept(expression: str, kept: bool) -> None:
    from conformance.fhirval import fhirpath_hoist

    assert fhirpath_hoist.closed(parse(expression)["children"][0]) is kept


@pytest.mark.parametrize("expression", [
    "snapshot.element.tail().all(path.startsWith(%resource.snapshot.element.first().path & '.'))",
    "differential.element.all(path.startsWith(%resource.differential.element.first().path"
    ".replaceMatches('\\\\..*', '') & '.'))",
    "snapshot.element.select(%resource.snapshot.element.count() + path.length())",
    "snapshot.element.where(path.startsWith(%resource.type)).count()",
    "snapshot.element.select(%resource.snapshot.element.first().path.substring(0, 3) | path).distinct()",
])
def test_a_kept_path_gives_what_it_gives_evaluated_each_time(expression: str) -> None:
    from fhirpathpy.engine.evaluators import evaluators

    from conformance.fhirval import fhirpath_hoist

    tree = parse(expression)["children"][0]
    other = {**SD, "type": "Other", "snapshot": {"element": [{"path": "Other"}, {"path": "Other.x"}]}}
    for resource in (SD, other):  # a new evaluation, a new value: nothing kept from the one before
        env = {"resource": resource, "rootResource": resource}
        kept = _outcome(lambda: engine(tree, SD, "StructureDefinition", env))  # noqa: B023 - called at once
        evaluators["InvocationExpression"] = fhirpath_hoist._FHIRPATHPY_INVOCATION
        try:
            each = _outcome(lambda: engine(tree, SD, "StructureDefinition", env))  # noqa: B023 - called at once
        finally:
            evaluators["InvocationExpression"] = fhirpath_hoist.invocation_expression
        assert kept == each


def test_a_kept_path_is_evaluated_once_an_evaluation() -> None:
    from conformance.fhirval import fhirpath_hoist

    calls: list[Any] = []
    original = fhirpath_hoist._FHIRPATHPY_INVOCATION

    def counting(ctx: Any, parent: Any, node: Any) -> Any:
        calls.append(node.get("text"))
        return original(ctx, parent, node)
    fhirpath_hoist._FHIRPATHPY_INVOCATION = counting
    try:
        tree = parse("snapshot.element.all(path.startsWith(%resource.snapshot.element.first().path))")["children"][0]
        assert engine(tree, SD, "StructureDefinition", {"resource": SD, "rootResource": SD}) == [True]
    finally:
        fhirpath_hoist._FHIRPATHPY_INVOCATION = original
    assert calls.count("%resource.snapshot.element.first().path") == 1
