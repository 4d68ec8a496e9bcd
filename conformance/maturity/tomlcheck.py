"""Strict reading of the model's TOML files: every problem is ``FILE: key: why``, raised at once.

Shared by the capability model, the scoring rules and the procurement requirements, so that every data
file a user edits fails the same way: naming the file and the key, never a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError


class ModelError(ConfigError, ValueError):
    """A model file that cannot be used: ``FILE: key: why``."""


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a directory, not a TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid TOML: {exc}") from None


def keys(path: Path, where: str, table: Any, allowed: set[str] | None, required: set[str]) -> dict[str, Any]:
    """``table`` as a dict, after checking it is a table with no unknown and no missing keys
    (``allowed=None``: any key, as in a table of named entries)."""
    if not isinstance(table, dict):
        raise ModelError(f"{path}: {where}: must be a table")
    if allowed is not None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise ModelError(f"{path}: {where}.{unknown[0]}: unknown key (expected {', '.join(sorted(allowed))})"
                             .replace("(top).", ""))
    missing = sorted(required - set(table))
    if missing:
        raise ModelError(f"{path}: {where}.{missing[0]}: missing".replace("(top).", ""))
    return table


def text(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ModelError(f"{path}: {where}: must be a non-empty string")
    return value


def strings(path: Path, where: str, value: Any, *, unique: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ModelError(f"{path}: {where}: must be a non-empty list of strings")
    if unique and len(set(value)) != len(value):
        repeated = next(v for n, v in enumerate(value) if v in value[:n])
        raise ModelError(f"{path}: {where}: {repeated!r} is listed twice")
    return tuple(value)
