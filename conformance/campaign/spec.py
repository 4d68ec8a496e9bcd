"""A campaign file: which targets, which suites, when, and how hard the harness may press each host.

```toml
name = "north-example-nightly"
suites = ["fhir-rest"]            # default: every suite
select = ["fhir-rest.crud.*"]     # optional: only these checks (as `run --select`)
schedule = "0 2 * * *"            # cron (UTC) for `conformance worker --beat`; `campaign run` runs now
targets = ["targets/*.toml"]      # target files (globs, relative to this file)
footprints = ["North Example"]    # optional filters on the targets' footprint, ODS code, "vendor/product"
organisations = []
systems = []

[limits]
concurrency = 32                  # targets in flight in one process (worker or embedded pool)
per_host = 4                      # requests in flight to one host, across every worker
attempts = 3                      # tries of a target that does not answer, then recorded as aborted
backoff = 2.0                     # seconds before the second try, doubled after each
check_concurrency = 4             # checks in flight within one target's run
deadline = 900                    # seconds one target's run may take
```

A target is known by its file's path relative to the campaign file (the campaign's run key is
(campaign name, that path, attempt)). Bad input is a :class:`CampaignError` naming the file and key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.targets import Target, TargetError, load


class CampaignError(Exception):
    """The campaign file cannot be used: one line naming the file and key (exit 2)."""


@dataclass(frozen=True)
class Limits:
    concurrency: int = 32
    per_host: int = 4
    attempts: int = 3
    backoff: float = 2.0
    check_concurrency: int = 4
    deadline: float = 900.0


@dataclass
class Campaign:
    name: str
    path: Path
    suites: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    schedule: str = ""
    limits: Limits = field(default_factory=Limits)
    targets: dict[str, Path] = field(default_factory=dict)  # run key's target part -> target file

    def target(self, key: str) -> Target:
        """The target file behind ``key``, parsed now (a worker reads it when it runs it)."""
        try:
            return load(self.targets[key])
        except KeyError:
            raise CampaignError(f"{self.path}: campaign {self.name!r} has no target {key!r}") from None


def load_campaign(path: str | Path) -> Campaign:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CampaignError(f"{path}: cannot read the campaign file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CampaignError(f"{path}: not a TOML file: {exc}") from None
    return parse(data, path)


def parse(data: dict[str, Any], path: Path) -> Campaign:
    def err(key: str, why: str) -> CampaignError:
        return CampaignError(f"{path}: {key}: {why}")

    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise err("name", "a campaign needs a name (text, at most 100 characters)")
    lists = {}
    for key in ("suites", "select", "targets", "footprints", "organisations", "systems"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise err(key, "expected a list of strings")
        lists[key] = value
    schedule = data.get("schedule", "")
    if not isinstance(schedule, str) or (schedule and len(schedule.split()) != 5):
        raise err("schedule", f"expected a five-field cron expression such as \"0 2 * * *\", got {schedule!r}")
    campaign = Campaign(name=name.strip(), path=path, suites=lists["suites"], select=lists["select"],
                        schedule=schedule,
                        limits=_limits(data.get("limits", {}), err))
    base = path.parent
    for pattern in lists["targets"]:
        found = sorted(base.glob(pattern)) if any(c in pattern for c in "*?[") else [base / pattern]
        if not found or not all(p.is_file() for p in found):
            raise err("targets", f"{pattern!r} names no target file under {base}")
        for file in found:
            try:
                target = load(file)
            except TargetError as exc:
                raise CampaignError(f"{path}: targets: {exc}") from None
            if _selected(target, lists):
                campaign.targets[file.relative_to(base).as_posix()] = file
    if not campaign.targets:
        raise err("targets", "no target file matches the campaign's footprints, organisations and systems")
    return campaign


def _limits(table: Any, err: Any) -> Limits:
    if not isinstance(table, dict):
        raise err("limits", "expected a table")
    defaults = Limits()
    values: dict[str, Any] = {}
    for key, default in defaults.__dict__.items():
        value = table.get(key, default)
        kind = int if isinstance(default, int) else float
        if isinstance(value, bool) or not isinstance(value, int | float) or value < (1 if kind is int else 0):
            raise err(f"limits.{key}", f"expected a positive {'whole ' if kind is int else ''}number, got {value!r}")
        if kind is int and not isinstance(value, int):
            raise err(f"limits.{key}", f"expected a whole number, got {value!r}")
        values[key] = kind(value)
    unknown = sorted(set(table) - set(values))
    if unknown:
        raise err(f"limits.{unknown[0]}", f"unknown limit (known: {', '.join(values)})")
    return Limits(**values)


def _selected(target: Target, lists: dict[str, list[str]]) -> bool:
    system = f"{target.system.vendor}/{target.system.product}"
    return ((not lists["footprints"] or target.footprint in lists["footprints"])
            and (not lists["organisations"] or target.organisation.ods_code in lists["organisations"])
            and (not lists["systems"] or system in lists["systems"]))
