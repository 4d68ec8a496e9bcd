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
(campaign name, that path, attempt)). The file is read by pydantic models (unknown keys refused); bad input
is a :class:`CampaignError` (a ConfigError, exit 2): one line naming the file and key, as target files.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, field_validator

from conformance.errors import ConfigError
from conformance.sections import Section, one_line, positive, strings, text, whole
from conformance.targets import Target, TargetError, load


class CampaignError(ConfigError):
    """The campaign file cannot be used: one line naming the file and key (exit 2)."""


Count = Annotated[int, whole("must be a whole number greater than 0", 1)]
Seconds = Annotated[float, positive("must be a number greater than 0")]
Names = Annotated[list[str], strings("must be a list of strings")]


class Limits(Section):
    """``[limits]``: how hard a campaign presses its targets and their hosts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concurrency: Count = 32
    per_host: Count = 4
    attempts: Count = 3
    backoff: Seconds = 2.0
    check_concurrency: Count = 4
    deadline: Seconds = 900.0


class CampaignFile(Section):
    """A campaign file as written."""

    name: Annotated[str, text("a campaign needs a name (text, at most 100 characters)")]
    suites: Names = Field(default_factory=list)
    select: Names = Field(default_factory=list)
    schedule: Annotated[str, text("must be a five-field cron expression such as \"0 2 * * *\"")] = ""
    targets: Names = Field(default_factory=list)
    footprints: Names = Field(default_factory=list)
    organisations: Names = Field(default_factory=list)
    systems: Names = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value or len(value) > 100:
            raise ValueError("a campaign needs a name (text, at most 100 characters)")
        return value

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if value and len(value.split()) != 5:
            raise ValueError(f"expected a five-field cron expression such as \"0 2 * * *\", got {value!r}")
        return value


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
    try:
        doc = CampaignFile.model_validate(data, context={"file": str(path)})
    except ValidationError as exc:
        raise CampaignError(one_line(exc, str(path), CampaignFile)) from None
    campaign = Campaign(name=doc.name, path=path, suites=doc.suites, select=doc.select, schedule=doc.schedule,
                        limits=doc.limits)
    base = path.parent
    for pattern in doc.targets:
        found = sorted(base.glob(pattern)) if any(c in pattern for c in "*?[") else [base / pattern]
        if not found or not all(p.is_file() for p in found):
            raise CampaignError(f"{path}: targets: {pattern!r} names no target file under {base}")
        for file in found:
            try:
                target = load(file)
            except TargetError as exc:
                raise CampaignError(f"{path}: targets: {exc}") from None
            if _selected(target, doc):
                campaign.targets[file.relative_to(base).as_posix()] = file
    if not campaign.targets:
        raise CampaignError(f"{path}: targets: no target file matches the campaign's footprints, organisations "
                            "and systems")
    return campaign


def _selected(target: Target, doc: CampaignFile) -> bool:
    system = f"{target.system.vendor}/{target.system.product}"
    return ((not doc.footprints or target.footprint in doc.footprints)
            and (not doc.organisations or target.organisation.ods_code in doc.organisations)
            and (not doc.systems or system in doc.systems))
