"""Reading the model's TOML files: every problem is ``FILE: key: why``, raised at once.

Shared by the capability model and the scoring rules (whose tables pydantic checks, see
conformance/sections.py), so that every data file a user edits fails the same way: naming the file
and the key, never a traceback.
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
