"""The invariant path's shortcuts (fvperf6) give what they replace: fhirpath_invoke's calls with a registry merged
once answer as fhirpathpy's own doInvoke / infix_invoke, and source.deep_copy copies as copy.deepcopy does."""

from __future__ import annotations

import copy
from typing import Any

import fhirpathpy.engine as fp_engine
import pytest

from conformance.fhirval import fhirpath, fhirpath_invoke
from conformance.fhirval.fhirpath import engine
from conformance.fhirval.fhirpath_syntax import parse
from conformance.fhirval.source import deep_copy

PATIENT: dict[str, Any] = {
    "resourceType": "Patient", "id": "p", "active": True, "birthDate": "1970-01-01",
    "_birthDate": {"extension": [{"url": "http://x", "valueString": "t"}]},
    "name": [{"use": "usual", "family": "Doe", "given": ["Jo", "Ann"]}, {"family": "Roe"}],
    "telecom": [{"system": "phone", "value": "1"}, {"system": "email"}],
}
EXPRESSIONS = [
    "name.where(use = 'usual').family", "name.given.count() > 2", "name.family.subsetOf(name.family)",
    "telecom.all(value.exists())", "telecom.select(system).isDistinct()", "birthDate.toString().substring(0, 4)",
    "iif(active, 'a', 'b') = 'a'", "name.first().given.union(name.last().given)", "(1 | 2 | 3).sum()",
    "name.family.combine(name.given).distinct().count()", "birthDate < @2000-01-01", "%resource.id & '-' & id",
    "name.exists(family.startsWith('D')) and telecom.exists(system = 'email') implies active",
    "birthDate.extension('http://x').value", "telecom.value.hasValue()", "name.given.join(',')",
]


def _both(expression: str) -> tuple[Any, Any]:
    """The expression's value through the merged registry, and through fhirpathpy's own doInvoke and infix_invoke
    (put back for the second run)."""
    tree = parse(expression)["children"][0]
    env = {"resource": PATIENT, "rootResource": PATIENT}
    ours = _outcome(lambda: engine(tree, PATIENT, "Patient", env))
    try:
        fp_engine.doInvoke = fhirpath_invoke._FHIRPATHPY_DO_INVOKE
        fp_engine.infix_invoke = fhirpath_invoke._FHIRPATHPY_INFIX_INVOKE
        theirs = _outcome(lambda: engine(tree, PATIENT, "Patient", env))
    finally:
        fp_engine.doInvoke, fp_engine.infix_invoke = fhirpath_invoke.do_invoke, fhirpath_invoke.infix_invoke
    return ours, theirs


def _outcome(run: Any) -> Any:
    try:
        return ("value", repr(run()))
    except Exception as exc:  # the error is part of what must agree
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("expression", [*EXPRESSIONS, "name.noSuchFunction()", "name.count(1)", "name.empty(1)"])
def test_calls_through_the_merged_registry_answer_as_fhirpathpy(expression: str) -> None:
    ours, theirs = _both(expression)
    assert ours == theirs


def test_the_engine_context_carries_the_merged_registry_and_it_is_the_union() -> None:
    merged = fhirpath_invoke.registry(fhirpath._TABLE)
    assert merged is fhirpath_invoke.registry(fhirpath._TABLE)  # made once
    assert set(merged) == set(fhirpath_invoke._BASE) | set(fhirpath._TABLE)
    assert all(merged[k] is fhirpath._TABLE[k] for k in fhirpath._TABLE)  # the validator's entries win
    seen: list[Any] = []
    original = fhirpath._TABLE["hasValue"]["fn"]
    fhirpath._TABLE["hasValue"]["fn"] = lambda ctx, inputs: seen.append(ctx) or original(ctx, inputs)  # type: ignore[func-returns-value]
    try:
        engine(parse("active.hasValue()")["children"][0], PATIENT, "Patient", {})
    finally:
        fhirpath._TABLE["hasValue"]["fn"] = original
    assert seen and seen[0][fhirpath_invoke.REGISTRY] is merged


def test_a_table_that_grows_is_merged_again() -> None:
    table: dict[str, Any] = {"x": {"fn": len}}
    first = fhirpath_invoke.registry(table)
    table["y"] = {"fn": len}
    assert "y" in fhirpath_invoke.registry(table) and "y" not in first


def test_names_are_unquoted_as_fhirpathpy_unquotes_them() -> None:
    from fhirpathpy.engine.evaluators import evaluators

    for text in ['given', '"given"', '"a"b"', '`family`', '""', '"']:
        node = {"text": text}
        assert evaluators["Identifier"]({}, [], node) == fhirpath_invoke._FHIRPATHPY_IDENTIFIER({}, [], node)


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
