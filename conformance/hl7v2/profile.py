"""Message profiles: a readable TOML form of the NIST constraints on the standard, and its loader.

A profile narrows the standard for one message type, as a trust's interface specification does:
segment usage and repeats; per field or component (``3``, ``3.4``, ``3.4.1``) usage R / RE / O / X /
C (with a condition), cardinality, length, datatype, a table or a list of values, a fixed value, a
pattern or a named format; and conformance statements (“PID-3 contains an NHS number with assigning
authority NHS”). ``extends`` names a profile in the same folder whose rules this one inherits and
overrides key by key. Profiles are written by hand, so every mistake names its file and key.
TOML because Python reads it without a dependency and it keeps one rule per line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.hl7v2.datatypes import FORMATS

PROFILE_DIR = Path(__file__).resolve().parents[2] / "profiles" / "hl7v2"
USAGES = ("R", "RE", "O", "X", "C")
_SEG = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_KEY = re.compile(r"^\d{1,3}(\.\d{1,2}){0,2}$")
_PATH = re.compile(r"^([A-Z][A-Z0-9]{2})-(\d{1,3}(?:\.\d{1,2}){0,2})$")
_FIELD_KEYS = {"usage", "min", "max", "length", "type", "table", "values", "fixed", "format", "pattern",
               "condition", "otherwise", "name"}


# Receiver policies a profile may require ([receiver] keys), each judged by an optional receiver check.
RECEIVER_RULES = ("rejects-missing-segment", "rejects-unsupported-type", "err-segment")


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SegmentSpec:
    name: str
    usage: str = "O"
    max: int | None = None  # None: as the standard says; -1: unbounded


@dataclass(frozen=True)
class FieldSpec:
    usage: str | None = None
    min: int | None = None
    max: int | None = None
    length: int | None = None
    type: str | None = None
    table: str | None = None
    values: tuple[str, ...] = ()
    fixed: str | None = None
    format: str | None = None
    pattern: re.Pattern[str] | None = None
    condition: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "PV1-2" -> values that make it R
    otherwise: str = "O"


@dataclass(frozen=True)
class Statement:
    id: str
    description: str
    field: str  # "PID-3"
    any_repetition: dict[str, str]  # component ("4" or "4.1") -> value: the repetitions the statement is about
    pattern: dict[str, re.Pattern[str]]
    check: dict[str, str]  # component -> named format
    required: bool = True  # False: only checked when such a repetition exists


@dataclass
class Profile:
    id: str
    title: str
    message: str  # ADT^A01
    source: Path
    versions: tuple[str, ...] = ()
    z_segments: str | frozenset[str] = "allowed"  # "allowed", "forbidden", or the allowed ids
    segments: list[SegmentSpec] = field(default_factory=list)
    fields: dict[str, dict[str, FieldSpec]] = field(default_factory=dict)  # "PID" -> "3.4" -> spec
    statements: list[Statement] = field(default_factory=list)
    # What the profile requires of a receiver beyond the standard ([receiver] in the TOML): policy id
    # (RECEIVER_RULES) -> the rule's text, quoted in the verdict that it makes required.
    receiver: dict[str, str] = field(default_factory=dict)

    def allows_z(self, name: str) -> bool:
        if isinstance(self.z_segments, str):
            return self.z_segments == "allowed"
        return name in self.z_segments

    def segment(self, name: str) -> SegmentSpec | None:
        return next((s for s in self.segments if s.name == name), None)


def find(ref: str | Path) -> Path:
    """A profile file from a path, or an id naming ``profiles/hl7v2/<id>.toml``."""
    path = Path(ref)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ProfileError(f"{path}: no such profile file")
        return path
    candidate = PROFILE_DIR / f"{ref}.toml"
    if not candidate.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))) or "none"
        raise ProfileError(f"no HL7 v2 profile {str(ref)!r} (known: {known})")
    return candidate


def load_profile(ref: str | Path) -> Profile:
    """Load and check a profile with what it extends; :class:`ProfileError` names the file and key."""
    path = find(ref)
    return _build(_merged(path, ()), path)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None


def _merged(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    if path in seen:
        raise ProfileError(f"{path}: extends: circular ({' -> '.join(p.stem for p in (*seen, path))})")
    data = _read(path)
    base_id = data.pop("extends", None)
    if base_id is None:
        return data
    if not isinstance(base_id, str) or not (path.parent / f"{base_id}.toml").is_file():
        raise ProfileError(f"{path}: extends: no profile {base_id!r} in {path.parent}")
    base = _merged(path.parent / f"{base_id}.toml", (*seen, path))
    out = {**base, **{k: v for k, v in data.items() if k not in ("segments", "fields", "statements")}}
    segs = {s.get("name"): s for s in base.get("segments", []) if isinstance(s, dict)}
    for s in data.get("segments", []):
        segs[s.get("name") if isinstance(s, dict) else None] = s
    out["segments"] = list(segs.values())
    fields = {k: dict(v) for k, v in base.get("fields", {}).items()}
    for seg, specs in data.get("fields", {}).items():
        fields.setdefault(seg, {}).update(specs if isinstance(specs, dict) else {"?": specs})
    out["fields"] = fields
    out["statements"] = [*base.get("statements", []), *data.get("statements", [])]
    return out


def _build(data: dict[str, Any], path: Path) -> Profile:
    def need_str(key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise ProfileError(f"{path}: {key}: required, a non-empty string")
        return value

    message = need_str("message")
    if not re.fullmatch(r"[A-Z0-9]{3}\^[A-Z0-9]{3}", message):
        raise ProfileError(f"{path}: message: {message!r} is not CODE^EVENT such as ADT^A01")
    versions = data.get("versions", [])
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise ProfileError(f"{path}: versions: must be a list of strings such as [\"2.4\", \"2.5.1\"]")
    z = data.get("z_segments", "allowed")
    if isinstance(z, list):
        if not all(isinstance(x, str) and x.startswith("Z") and _SEG.match(x) for x in z):
            raise ProfileError(f"{path}: z_segments: a list of Z-segment ids such as [\"ZU1\"]")
        z = frozenset(z)
    elif z not in ("allowed", "forbidden"):
        raise ProfileError(f"{path}: z_segments: \"allowed\", \"forbidden\" or a list of ids, not {z!r}")
    known = {s.get("name") for s in data.get("segments", []) if isinstance(s, dict)}
    return Profile(
        id=need_str("id"), title=data.get("title", ""), message=message, source=path,
        versions=tuple(versions), z_segments=z,
        segments=[_segment(s, f"{path}: segments[{i}]") for i, s in enumerate(data.get("segments", []))],
        fields={seg: {k: _field(v, f"{path}: fields.{seg}.{k}") for k, v in specs.items() if _key(seg, k, path)}
                for seg, specs in data.get("fields", {}).items()},
        statements=[_statement(s, f"{path}: statements[{i}]", known) for i, s in
                    enumerate(data.get("statements", []))],
        receiver=_receiver(data.get("receiver", {}), path),
    )


def _receiver(table: Any, path: Path) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ProfileError(f"{path}: receiver: a table of rules such as rejects-missing-segment = \"...\"")
    for key, rule in table.items():
        if key not in RECEIVER_RULES:
            raise ProfileError(f"{path}: receiver.{key}: unknown rule (known: {', '.join(RECEIVER_RULES)})")
        if not isinstance(rule, str) or not rule.strip():
            raise ProfileError(f"{path}: receiver.{key}: the rule's text, as the profile states it")
    return dict(table)


def _key(seg: str, key: str, path: Path) -> bool:
    if not _SEG.match(seg):
        raise ProfileError(f"{path}: fields.{seg}: not a segment id (three upper-case letters or digits)")
    if not _KEY.match(key):
        raise ProfileError(f"{path}: fields.{seg}.{key}: key must be a field number, or FIELD.COMPONENT[.SUB]")
    return True


def _cardinal(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if value == "*":
        return -1
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProfileError(f"{where}: a whole number >= 0 or \"*\", not {value!r}")
    return value


def _segment(spec: Any, where: str) -> SegmentSpec:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not _SEG.match(spec["name"]):
        raise ProfileError(f"{where}: name: a segment id such as \"PID\" is required")
    usage = spec.get("usage", "O")
    if usage not in ("R", "RE", "O", "X"):
        raise ProfileError(f"{where} ({spec['name']}): usage: one of R, RE, O, X, not {usage!r}")
    unknown = set(spec) - {"name", "usage", "max"}
    if unknown:
        raise ProfileError(f"{where} ({spec['name']}): unknown key {sorted(unknown)[0]!r}")
    return SegmentSpec(spec["name"], usage, _cardinal(spec.get("max"), f"{where} ({spec['name']}): max"))


def _field(spec: Any, where: str) -> FieldSpec:
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: must be a table such as {{ usage = \"R\" }}")
    unknown = set(spec) - _FIELD_KEYS
    if unknown:
        raise ProfileError(f"{where}: unknown key {sorted(unknown)[0]!r} (known: {', '.join(sorted(_FIELD_KEYS))})")
    usage = spec.get("usage")
    if usage is not None and usage not in USAGES:
        raise ProfileError(f"{where}: usage: one of {', '.join(USAGES)}, not {usage!r}")
    condition = spec.get("condition", {})
    if usage == "C" and not condition:
        raise ProfileError(f"{where}: usage C needs a condition such as {{ \"PV1-2\" = [\"I\"] }}")
    if not isinstance(condition, dict) or not all(
            _PATH.match(k) and isinstance(v, list) for k, v in condition.items()):
        raise ProfileError(f"{where}: condition: a table of \"SEG-N\" = [values], such as {{ \"PV1-2\" = [\"I\"] }}")
    if spec.get("otherwise", "O") not in ("O", "X", "RE"):
        raise ProfileError(f"{where}: otherwise: O, RE or X")
    if spec.get("format") is not None and spec["format"] not in FORMATS:
        raise ProfileError(f"{where}: format: unknown {spec['format']!r} (known: {', '.join(sorted(FORMATS))})")
    values = spec.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ProfileError(f"{where}: values: a list of strings")
    table = spec.get("table")
    if table is not None and not re.fullmatch(r"\d{4}", str(table)):
        raise ProfileError(f"{where}: table: a four-digit HL7 table number such as \"0001\"")
    minimum, maximum = _cardinal(spec.get("min"), f"{where}: min"), _cardinal(spec.get("max"), f"{where}: max")
    if minimum is not None and maximum not in (None, -1) and minimum > maximum:
        raise ProfileError(f"{where}: min {minimum} is more than max {maximum}")
    return FieldSpec(
        usage=usage, min=minimum, max=maximum, length=_cardinal(spec.get("length"), f"{where}: length"),
        type=spec.get("type"), table=table, values=tuple(values), fixed=spec.get("fixed"),
        format=spec.get("format"), pattern=_regex(spec.get("pattern"), f"{where}: pattern"),
        condition={k: tuple(v) for k, v in condition.items()}, otherwise=spec.get("otherwise", "O"),
    )


def _regex(value: Any, where: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(str(value))
    except re.error as exc:
        raise ProfileError(f"{where}: not a regular expression: {exc}") from None


def _statement(spec: Any, where: str, segments: set[Any]) -> Statement:
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: must be a table with id, description, field")
    for key in ("id", "description", "field"):
        if not isinstance(spec.get(key), str):
            raise ProfileError(f"{where}: {key}: required, a string")
    if not re.fullmatch(r"[A-Z][A-Z0-9]{2}-\d{1,3}", spec["field"]):
        raise ProfileError(f"{where} ({spec['id']}): field: \"SEG-N\" such as \"PID-3\", not {spec['field']!r}")
    checks = spec.get("check", {})
    for comp, name in checks.items():
        if name not in FORMATS:
            raise ProfileError(f"{where} ({spec['id']}): check.{comp}: unknown format {name!r}")
    for key in ("any_repetition", "pattern", "check"):
        if not all(_KEY.match(str(k)) for k in spec.get(key, {})):
            raise ProfileError(f"{where} ({spec['id']}): {key}: keys are component numbers such as \"4\" or \"4.1\"")
    return Statement(
        id=spec["id"], description=spec["description"], field=spec["field"],
        any_repetition={str(k): str(v) for k, v in spec.get("any_repetition", {}).items()},
        pattern={str(k): _regex(v, f"{where}: pattern.{k}") or re.compile("")
                 for k, v in spec.get("pattern", {}).items()},
        check={str(k): str(v) for k, v in checks.items()}, required=bool(spec.get("required", True)),
    )
