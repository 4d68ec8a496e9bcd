"""Compare a generated snapshot with an expected one, element by element, by attribute class.

For bench/fhir_snapshot_generation.py and bench/fhir_published_snapshots.py. Elements are matched by id (HL7's
generator sets every snapshot element's id, ProfileUtilities.setIds); an expected element we lack is ``missing``,
one we add is ``extra``, the common ones out of the expected order are ``order``. Each matched pair is compared on
what the validator judges by: path, sliceName, min, max, types (code + profile + targetProfile),
fixed[x]/pattern[x], binding strength + valueSet (canonicals without a pinned ``|version``), slicing
(discriminators, rules, ordered), mustSupport and constraint keys. Text (short, definition, comment, mapping) is not
compared: it does not change a verdict.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fhirval.snapshot_compare import props

Json = dict[str, Any]

ATTRIBUTES = ("missing", "extra", "order", "path", "sliceName", "min", "max", "type", "fixed/pattern", "binding",
              "slicing", "mustSupport", "constraint")


def _slicing(el: Json) -> Any:
    s = el.get("slicing")
    if not isinstance(s, dict):
        return None
    return ([(d.get("type"), d.get("path")) for d in s.get("discriminator") or []], s.get("rules"),
            bool(s.get("ordered", False)))


def _unpinned(value: Any) -> Any:
    """A canonical without its ``|version``: recent IG publishers pin the core's canonicals (``Patient|4.0.1``), which
    the validator resolves as the unpinned one in an R4 context; not a generator difference."""
    if isinstance(value, str):
        return value.split("|", 1)[0]
    if isinstance(value, (list, tuple)):
        return type(value)(_unpinned(v) for v in value)
    return value


def _prop(name: str) -> Callable[[Json], Any]:
    if name in ("type", "binding"):
        return lambda el: _unpinned(props(el).get(name))
    return lambda el: props(el).get(name)


GETTERS: dict[str, Callable[[Json], Any]] = {
    **{name: _prop(name) for name in ("path", "sliceName", "min", "max", "type", "binding")},
    "fixed/pattern": lambda el: sorted((k, repr(v)) for k, v in props(el).items()
                                       if k.startswith(("fixed", "pattern"))),
    "slicing": _slicing,
    "mustSupport": lambda el: bool(el.get("mustSupport")),
    "constraint": lambda el: sorted(str(c.get("key")) for c in el.get("constraint") or [] if isinstance(c, dict)),
}


def _id(el: Json) -> str:
    return str(el.get("id") or el.get("path"))


def compare(expected: list[Json], ours: list[Json]) -> tuple[list[str], Counter[str]]:
    """Lines naming each difference, and how many elements differ per attribute class."""
    lines: list[str] = []
    classes: Counter[str] = Counter()
    mine = {_id(el): el for el in ours}
    theirs = {_id(el): el for el in expected}
    missing = [k for k in theirs if k not in mine]
    extra = [k for k in mine if k not in theirs]
    classes.update({"missing": len(missing), "extra": len(extra)})
    classes += Counter()  # drops the zeros: a class counts the tests it affects
    if missing:
        lines.append(f"missing {len(missing)}: {', '.join(missing[:6])}{' ...' if len(missing) > 6 else ''}")
    if extra:
        lines.append(f"extra {len(extra)}: {', '.join(extra[:6])}{' ...' if len(extra) > 6 else ''}")
    common_theirs = [k for k in theirs if k in mine]
    common_mine = [k for k in mine if k in theirs]
    if common_theirs != common_mine:
        first = next(n for n, (a, b) in enumerate(zip(common_theirs, common_mine, strict=True)) if a != b)
        classes["order"] += sum(a != b for a, b in zip(common_theirs, common_mine, strict=True))
        lines.append(f"order: expected {common_theirs[first]} where we have {common_mine[first]}")
    for key in common_theirs:
        for name, get in GETTERS.items():
            want, have = get(theirs[key]), get(mine[key])
            if want != have:
                classes[name] += 1
                lines.append(f"{key} {name}: expected {want!r}, ours {have!r}")
    return lines, classes
