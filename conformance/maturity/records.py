"""Plain records passed from the evidence store to the maturity code (no database types cross this line)."""

from __future__ import annotations

from dataclasses import dataclass, field

ORG_KINDS = ("commissioner", "provider", "local-authority", "supplier")
CLAIMS = ("met", "partly met", "not met")


@dataclass(frozen=True)
class Organisation:
    ods_code: str  # ODS-style code, e.g. "RXX01"
    name: str
    kind: str  # one of ORG_KINDS


@dataclass(frozen=True)
class Footprint:
    """A local digital roadmap footprint: commissioners, providers and local authorities together."""

    code: str
    name: str
    members: tuple[str, ...]  # ODS codes
    # The footprint's own target dates (milestone id -> ISO date), from its file; they override the model's.
    milestones: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SystemRef:
    vendor: str = ""
    product: str = ""
    version: str = ""

    @property
    def label(self) -> str:
        return " ".join(x for x in (self.vendor, self.product, self.version) if x) or "(unnamed system)"


@dataclass(frozen=True)
class Outcome:
    check_id: str
    status: str  # pass | fail | skip | error
    required: bool
    requirements: tuple[str, ...] = ()
    message: str = ""


@dataclass
class RunOutcomes:
    """One stored run, as the record needs it: who, which system, when, and every outcome."""

    run_id: str
    ods_code: str
    system: SystemRef
    finished: str  # ISO 8601; "" for a run that never finished
    complete: bool
    outcomes: list[Outcome] = field(default_factory=list)
    target_name: str = ""


@dataclass(frozen=True)
class SelfAssessment:
    """What an organisation claims about one capability (imported from CSV)."""

    ods_code: str
    capability: str  # capability id from profiles/maturity/
    claim: str  # one of CLAIMS
    assessed_on: str  # ISO date
    note: str = ""
