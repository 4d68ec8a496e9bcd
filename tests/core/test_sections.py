"""The settings vocabulary: one line naming file and key for any pydantic error, and the layering rule
that transports are configured without reading target files."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import Field, ValidationError

from conformance.sections import Section, Text, one_line
from conformance.targets import TargetError, parse


class Item(Section):
    name: Text


class Sheet(Section):
    items: list[Item]
    named: dict[str, Item] = Field(default_factory=dict)


def line_for(data: object) -> str:
    with pytest.raises(ValidationError) as info:
        Sheet.model_validate(data)
    return one_line(info.value, "f.toml", Sheet)


def test_array_items_are_counted_from_one_and_unknown_keys_list_the_allowed_ones() -> None:
    assert line_for({"items": [{"name": "a"}, {"name": "b", "colour": 1}]}) == \
        "f.toml: items[2].colour: unknown key (expected one of name)"
    assert line_for({"items": [{"name": 5}]}) == "f.toml: items[1].name: must be a string"
    assert line_for({}) == "f.toml: items: missing"
    assert line_for({"items": [], "named": {"x": 3}}) == "f.toml: named.x: must be a table ([named.x])"


def test_a_wrong_value_is_never_echoed_by_pydantic() -> None:
    """Only the project's own sentences reach the line; pydantic's ``input_value=...`` never does."""
    message = line_for({"items": "s3cr3t-token-value"})
    assert "s3cr3t" not in message and message.startswith("f.toml: items: ")


def test_target_errors_stay_one_line_naming_the_key() -> None:
    with pytest.raises(TargetError) as info:
        parse({"endpoints": {"fhir": "https://x.test/fhir"}, "http": {"read_timeout": "soon"}}, "t.toml")
    assert str(info.value) == "t.toml: http.read_timeout: must be float"


def test_transports_do_not_import_the_target_reader() -> None:
    code = ("import sys, conformance.transports.http, conformance.transports.mllp; "
            "print('conformance.targets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
