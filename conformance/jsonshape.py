"""Reading JSON a server sent without trusting its shape.

A body can parse and still be bent: a list where an object belongs, ``null``, a number for a string.
Checks read such data through these helpers so a bent answer becomes a verdict that quotes it (the
check decides), never a harness ``TypeError``/``AttributeError`` reported as an error.
"""

from __future__ import annotations

import json
from typing import Any


def objects(data: Any, key: str) -> list[dict[str, Any]]:
    """The objects in ``data[key]`` when ``data`` is an object and that value a list; else none."""
    value = data.get(key) if isinstance(data, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def strings(data: Any, key: str) -> list[str]:
    """The strings in ``data[key]`` when that is a list; else none."""
    value = data.get(key) if isinstance(data, dict) else None
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def text(data: Any, key: str) -> str:
    """``data[key]`` when it is a string; else ''."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def quote(value: Any, size: int = 80) -> str:
    """A JSON value as the server sent it, shortened for a verdict message."""
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= size else shown[:size] + "..."
