"""Users, their argon2-hashed passwords and their scoped roles; named comparisons for panels.

Every role but ``admin`` and ``national`` is scoped to one thing, stored as ``kind:value``: a
commissioner to a footprint, a member or lead to an organisation, a supplier to its systems' vendor,
an assessor to a footprint or an organisation, a procurement panel to a named comparison. The thing
must exist when the role is granted (a typo would otherwise grant nothing, silently).
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from conformance.evidence.schema import FootprintRow, OrganisationRow
from conformance.evidence.store import EvidenceStore, StoreError, now_iso
from conformance.service.tables import ComparisonRow, GrantRow, UserRow

# role -> the kinds of thing it is scoped to ("" = unscoped: the whole store, read-only)
ROLES: dict[str, tuple[str, ...]] = {
    "admin": ("",),
    "national": ("",),
    "commissioner": ("footprint",),
    "member": ("organisation",),
    "lead": ("organisation",),
    "supplier": ("vendor",),
    "assessor": ("footprint", "organisation"),
    "panel": ("comparison",),
}
MIN_PASSWORD = 12
HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 parameters (tests swap in a cheaper one)


class AccountError(StoreError):
    """A user, role or scope that cannot be used: one line (the CLI exits 2)."""


@dataclass(frozen=True)
class Grant:
    role: str
    kind: str  # footprint | organisation | vendor | comparison | "" (unscoped)
    value: str


def parse_grant(role: str, scope: str) -> Grant:
    kind, _, value = scope.partition(":")
    return Grant(role, kind, value) if value else Grant(role, "", "")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    return HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 hash. An empty hash (no such account) matches nothing but
    costs one hashing all the same, so timing does not tell which names exist."""
    if not stored:
        HASHER.hash(password)
        return False
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _resolve_scope(store: EvidenceStore, role: str, scope: str) -> str:
    """``kind:value`` for a role's scope as given on the command line (``XFP01``, ``X26``, ``vendor:Acme``)."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    kinds = ROLES[role]
    if kinds == ("",):
        if scope:
            raise AccountError(f"role {role} is not scoped: give no --scope")
        return ""
    if not scope:
        raise AccountError(f"role {role} needs --scope naming a {' or '.join(kinds)}")
    kind, _, value = scope.partition(":")
    if not value:
        kind, value = "", scope
    if kind and kind not in kinds:
        raise AccountError(f"role {role} is scoped to: {' or '.join(kinds)} (not {kind})")
    with store.transaction("check a role's scope") as session:
        exists = {
            "footprint": session.get(FootprintRow, value) is not None,
            "organisation": session.get(OrganisationRow, value) is not None,
            "comparison": session.get(ComparisonRow, value) is not None,
            "vendor": bool(value.strip()),
        }
    for candidate in ([kind] if kind else list(kinds)):
        if exists[candidate]:
            return f"{candidate}:{value}"
    wanted = [kind] if kind else list(kinds)
    hints = {"footprint": "`conformance footprint import`", "organisation": "`conformance org import`",
             "comparison": "`conformance comparisons add`"}
    raise AccountError(f"no {' or '.join(wanted)} {value!r} in the store (add it first: "
                       f"{' or '.join(hints[k] for k in wanted if k in hints)})")


def add_user(store: EvidenceStore, name: str, password: str, role: str, scopes: tuple[str, ...] = ()) -> None:
    """Create an account with one role (per scope given); refuses an existing name."""
    if not name or len(name) > 128 or any(c.isspace() for c in name):
        raise AccountError(f"user name {name!r}: 1 to 128 characters, no spaces")
    resolved = [_resolve_scope(store, role, s) for s in (scopes or ("",))]
    hashed = hash_password(password)
    with store.transaction(f"add user {name}") as session:
        if session.scalars(select(UserRow.id).where(UserRow.name == name)).first() is not None:
            raise AccountError(f"user {name!r} already exists (`conformance users role` changes its roles)")
        user = UserRow(name=name, password_hash=hashed, created=now_iso(), disabled=False)
        session.add(user)
        session.flush()
        for scope in resolved:
            session.add(GrantRow(user_id=user.id, role=role, scope=scope))


def set_role(store: EvidenceStore, name: str, role: str, scopes: tuple[str, ...] = (), remove: bool = False) -> None:
    """Grant (or with ``remove``, withdraw) a role over each scope given."""
    resolved = [_resolve_scope(store, role, s) for s in (scopes or ("",))]
    with store.transaction(f"change the roles of {name}") as session:
        user_id = session.scalars(select(UserRow.id).where(UserRow.name == name)).first()
        if user_id is None:
            raise AccountError(f"no user {name!r} (`conformance users add` creates one)")
        for scope in resolved:
            if remove:
                session.execute(delete(GrantRow).where(GrantRow.user_id == user_id, GrantRow.role == role,
                                                       GrantRow.scope == scope))
            else:
                store.insert_ignore(session, GrantRow.__table__, {"user_id": user_id, "role": role, "scope": scope})


def grants_of(store: EvidenceStore, user_id: int) -> tuple[Grant, ...]:
    with store.transaction("read a user's roles") as session:
        rows = session.scalars(select(GrantRow).where(GrantRow.user_id == user_id).order_by(GrantRow.id))
        return tuple(parse_grant(r.role, r.scope) for r in rows)


def list_users(store: EvidenceStore) -> list[tuple[str, list[str]]]:
    """(name, ["role", "role of kind:value", ...]) for every account, by name."""
    with store.transaction("list users") as session:
        users = session.scalars(select(UserRow).order_by(UserRow.name)).all()
        grants = session.scalars(select(GrantRow).order_by(GrantRow.id)).all()
        return [(u.name, [g.role + (f" of {g.scope}" if g.scope else "") for g in grants if g.user_id == u.id])
                for u in users]


def save_comparison(store: EvidenceStore, name: str, run_ids: list[str], title: str = "",
                    requirements: str = "") -> None:
    """A named set of runs a panel compares (the panel role's scope), with the buyer's own weighted
    requirements as a requirements file's text ("" = the shipped example); replaces one of the same name."""
    with store.transaction(f"save comparison {name}") as session:
        store.upsert(session, ComparisonRow.__table__, {"name": name, "title": title or name, "run_ids": run_ids,
                                                        "requirements": requirements}, ["name"])
