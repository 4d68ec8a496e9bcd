"""The vocabulary of a settings file's sections: pydantic models that refuse unknown keys, field types
whose errors are the project's own sentences, and one line ``FILE: section.key: why`` for any problem.

Every section of a target file (and each suite's own section) is a :class:`Section`. pydantic checks
them; :func:`one_line` turns its report into the single line the CLI prints, naming the file and the
key and never the value (a value may be a secret).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo


class Section(BaseModel):
    """A table of a settings file: unknown keys are errors, so a typo cannot silently drop a setting."""

    model_config = ConfigDict(extra="forbid")


class KeyProblem(ValueError):
    """Raised by a section's whole-table check about one of its keys: ``section.KEY: why``."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(why)
        self.key, self.why = key, why


def from_file(info: ValidationInfo) -> bool:
    """Whether a table is being read from a file: whole-table rules (a bearer auth names its token's
    variable) bind a file; code building a section directly may leave a declaration out on purpose."""
    return bool(info.context and info.context.get("file"))


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def text(why: str = "must be a string", *, strip: bool = True) -> BeforeValidator:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(why)
        return value.strip() if strip else value

    return BeforeValidator(check)


def flag(why: str = "must be true or false") -> BeforeValidator:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(why)
        return value

    return BeforeValidator(check)


def positive(why: str = "must be a number greater than 0") -> BeforeValidator:
    def check(value: Any) -> float:
        if not _is_number(value) or not 0 < value < float("inf"):
            raise ValueError(why)
        return float(value)

    return BeforeValidator(check)


def whole(why: str, low: int, high: int | None = None) -> BeforeValidator:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            raise ValueError(why)
        return value

    return BeforeValidator(check)


def strings(why: str, *, non_empty: bool = False, each: Callable[[str], str] | None = None) -> BeforeValidator:
    """A list of strings (``non_empty``: each string non-empty); ``each`` normalises or raises ValueError."""

    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and (v or not non_empty) for v in value):
            raise ValueError(why)
        return [each(v) for v in value] if each else list(value)

    return BeforeValidator(check)


def http_url(value: str) -> str:
    """An http(s) URL with a host, or "" (not set); else ValueError saying so."""
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def accepted_by(check: Callable[[str], object], *, optional: bool = False) -> Callable[[str], str]:
    """A field validator from a parser whose ValueError says what is wrong (``mllp_address``);
    ``optional``: "" means not set, and is not parsed."""

    def validate(value: str) -> str:
        if value or not optional:
            check(value)
        return value

    return validate


Text = Annotated[str, text()]
Flag = Annotated[bool, flag()]


def one_line(exc: ValidationError, source: str, model: type[BaseModel]) -> str:
    """The first of pydantic's errors as ``SOURCE: section.key: why`` (unknown keys reported first)."""
    errors = sorted(exc.errors(include_url=False, include_input=False),
                    key=lambda e: e["type"] != "extra_forbidden")
    error = errors[0]
    loc: list[str] = []
    for part in error["loc"]:  # an item of an array of tables is named as people count: requirement[1]
        if isinstance(part, int) and loc:
            loc[-1] += f"[{part + 1}]"
        elif not isinstance(part, int):
            loc.append(str(part))
    if loc and loc[-1] == "[key]":  # a table's key itself is wrong (its message quotes it): name the table
        loc = loc[:-2]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, KeyProblem):
        loc, why = [*loc, cause.key], cause.why
    elif isinstance(cause, ValueError):
        why = str(cause)
    elif error["type"] == "extra_forbidden":
        fields = [f.alias or name for name, f in _model_at(model, loc[:-1]).model_fields.items()]
        why = f"unknown key (expected one of {', '.join(fields)})"
    elif error["type"] == "missing":
        why = "missing"
    elif error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        why = f"must be a table ([{'.'.join(loc)}])"
    else:
        why = str(error["msg"])
    key = ".".join(loc)
    return f"{source}: {key}: {why}" if key else f"{source}: {why}"


def _model_at(model: type[BaseModel], loc: list[str]) -> type[BaseModel]:
    """The section model a location inside ``model`` points at (for the list of keys it allows)."""
    for part in loc:
        key = part.split("[", 1)[0]  # requirement[2] -> the requirement field's item model
        field = next((f for name, f in model.model_fields.items() if key in (name, f.alias)), None)
        if field is None:
            break
        inner = _section_type(field.annotation)
        if inner is None:
            break
        model = inner
    return model


def _section_type(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None:
        for arg in get_args(annotation):
            found = _section_type(arg)
            if found is not None:
                return found
    return None
