"""Registered targets: a system under test the service can run suites against on someone's behalf.

Its credentials are sealed with the service key (secretbox.py) the moment they arrive and opened only
in memory for a run (``Auth.given``); no page, API answer, log or store row shows them again. Who may
register a target or start a run on it: an admin, a lead or member of its organisation, a supplier of
its vendor. Who may see it: whoever sees that organisation's or vendor's runs (scope.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from conformance.evidence import records
from conformance.evidence.schema import Base
from conformance.evidence.store import EvidenceStore, now_iso
from conformance.service.auth import Principal
from conformance.service.scope import NotVisible, Scope
from conformance.service.secretbox import SecretBox
from conformance.targets import Auth, Organisation, SystemInfo, Target, TargetError, from_url

AUTH_TYPES = ("none", "bearer", "basic")
BUILTIN = "builtin:sandbox"  # a FHIR base URL that means: the built-in sandbox, started on loopback for the run
MIN_SECRET = 8


class TargetRow(Base):
    __tablename__ = "service_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    ods_code: Mapped[str] = mapped_column(String(32), index=True)
    vendor: Mapped[str] = mapped_column(String(200), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    fhir_url: Mapped[str] = mapped_column(Text)
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_type: Mapped[str] = mapped_column(String(16), default="none")
    secret: Mapped[str] = mapped_column(Text, default="")  # Fernet ciphertext of the credentials; never clear
    created: Mapped[str] = mapped_column(String(40), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class LaunchRow(Base):
    """A run started from the service: who, against what, and its state until (and after) it is stored."""

    __tablename__ = "service_launches"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("service_targets.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    suites: Mapped[list[str]] = mapped_column(JSON, default=list)
    select: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|complete|aborted|failed
    message: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[str] = mapped_column(String(40), default="")
    finished: Mapped[str] = mapped_column(String(40), default="")


@dataclass(frozen=True)
class Registered:
    """A registered target as pages and the API show it: no credential, only whether there is one."""

    id: int
    name: str
    ods_code: str
    vendor: str
    product: str
    fhir_url: str
    sandbox: bool
    auth_type: str

    def as_json(self) -> dict[str, object]:
        return {**vars(self), "credentials": "stored encrypted" if self.auth_type != "none" else "none"}


def _registered(row: TargetRow) -> Registered:
    return Registered(row.id, row.name, row.ods_code, row.vendor, row.product, row.fhir_url, row.sandbox,
                      row.auth_type)


def may_run(who: Principal, ods_code: str, vendor: str) -> bool:
    """An admin, a lead or member of the organisation, or a supplier of the vendor."""
    for g in who.grants:
        if g.role == "admin":
            return True
        if g.role in ("lead", "member") and g.kind == "organisation" and g.value == ods_code:
            return True
        if g.role == "supplier" and g.kind == "vendor" and vendor and g.value == vendor:
            return True
    return False


def sees(scope: Scope, row: Registered | TargetRow) -> bool:
    return scope.everything or row.ods_code in scope.organisations or (bool(row.vendor)
                                                                        and row.vendor in scope.vendors)


def _not_someone_elses_record(store: EvidenceStore, who: Principal, ods_code: str) -> None:
    """A supplier (acting only as one) registers its targets under its own organisation: a run is scored in
    the record of the ODS code it names, and a supplier must not add evidence to a provider's record."""
    if any(g.role == "admin" or (g.role in ("lead", "member") and g.value == ods_code) for g in who.grants):
        return
    found = records.organisations(store).get(ods_code)
    if found is not None and found.kind != "supplier":
        raise TargetError(f"{ods_code} is a {found.kind}: its record counts the runs made under its code, so "
                          "its lead or members register its targets; a supplier registers under its own "
                          "organisation code (kind supplier)")


def register(store: EvidenceStore, box: SecretBox, who: Principal, *, name: str, ods_code: str, vendor: str,
             product: str, fhir_url: str, sandbox: bool, auth_type: str, token: str = "", username: str = "",
             password: str = "") -> Registered:
    """A new registered target; TargetError (a sentence) for bad input, NotVisible where not allowed."""
    name, ods_code, vendor, fhir_url = name.strip(), ods_code.strip(), vendor.strip(), fhir_url.strip()
    if not name or not ods_code or not fhir_url:
        raise TargetError("give the target a name, its organisation's ODS code and its FHIR base URL")
    if not may_run(who, ods_code, vendor):
        raise NotVisible(f"{who.name} may not register targets of {ods_code}")
    _not_someone_elses_record(store, who, ods_code)
    if fhir_url == BUILTIN:
        sandbox = True  # the sandbox is there to be written to
    else:
        from_url(fhir_url)  # TargetError for a URL that is not http(s), or carries a user:password@
    if auth_type not in AUTH_TYPES:
        raise TargetError(f"auth: {auth_type!r} is not one of {', '.join(AUTH_TYPES)}")
    values = {"bearer": {"token": token}, "basic": {"username": username, "password": password}}.get(auth_type, {})
    short = [k for k, v in values.items() if len(v) < MIN_SECRET]
    if short:
        raise TargetError(f"auth: the {' and '.join(short)} must be at least {MIN_SECRET} characters (shorter "
                          "values cannot be kept out of the evidence)")
    with store.transaction("register a target") as session:
        if session.scalars(select(TargetRow.id).where(TargetRow.name == name)).first() is not None:
            raise TargetError(f"a target named {name!r} is already registered; choose another name")
        row = TargetRow(name=name, ods_code=ods_code, vendor=vendor, product=product.strip(),
                        fhir_url=fhir_url.rstrip("/"), sandbox=sandbox, auth_type=auth_type,
                        secret=box.seal(values), created=now_iso(), created_by=who.user_id)
        session.add(row)
        session.flush()
        return _registered(row)


def listed(store: EvidenceStore, scope: Scope) -> list[Registered]:
    with store.transaction("list targets") as session:
        rows = session.scalars(select(TargetRow).order_by(TargetRow.name)).all()
        return [_registered(r) for r in rows if sees(scope, r)]


def one(store: EvidenceStore, scope: Scope, target_id: int) -> Registered:
    """The target, or NotVisible (404) when absent or outside the scope."""
    with store.transaction(f"read target {target_id}") as session:
        row = session.get(TargetRow, target_id)
        if row is None or not sees(scope, row):
            raise NotVisible(f"no target {target_id}")
        return _registered(row)


def for_run(store: EvidenceStore, box: SecretBox, target_id: int) -> Target:
    """The harness's Target for a run, its credentials decrypted into memory only."""
    with store.transaction(f"read target {target_id}") as session:
        row = session.get(TargetRow, target_id)
        if row is None:
            raise NotVisible(f"no target {target_id}")
        found, sealed = _registered(row), row.secret
    if found.fhir_url == BUILTIN:  # the Launcher starts the sandbox and fills in its addresses
        target = Target(name=found.name, source=BUILTIN, endpoints={"fhir": BUILTIN}, sandbox=True)
    else:
        target = from_url(found.fhir_url, sandbox=found.sandbox)
    target.name, target.source = found.name, f"registered target {found.name}"
    target.organisation = Organisation(ods_code=found.ods_code)
    target.system = SystemInfo(vendor=found.vendor, product=found.product)
    values = box.open(sealed)
    if found.auth_type == "bearer":
        target.auth = Auth(type="bearer", token_env="stored:token").give({"stored:token": values["token"]})
    elif found.auth_type == "basic":
        target.auth = Auth(type="basic", username_env="stored:username", password_env="stored:password").give(
            {"stored:username": values["username"], "stored:password": values["password"]})
    return target
