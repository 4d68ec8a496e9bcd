"""The tenancy sweep: every route the app has (enumerated from the app itself, so a new route is swept or
named here), as every role, with every key of the world. Outside the role's scope the answer is 404;
and no answer, whatever its status, holds an identifier of a tenant the role may not see.

Who may see which identifiers is written out by hand (LEGIBLE), not computed by the code under test. A
route with a path parameter this sweep does not know fails the sweep with a sentence saying to add it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import select

from conformance.evidence import records
from conformance.evidence.schema import AssessmentRow
from conformance.evidence.store import EvidenceStore
from conformance.maturity.records import SelfAssessment
from conformance.service.accounts import parse_grant
from conformance.service.auth import Principal, create_token
from conformance.service.secretbox import SecretBox
from conformance.service.targets import register as register_target
from tests.service.world import CHECK, SEES, USERS

# Not tenant-scoped (they sign in or out, or serve the public document and files): left out on purpose.
UNSWEPT = {("POST", "/login"), ("POST", "/logout"), ("GET", "/login/oidc/callback"), ("POST", "/account/tokens"),
           ("GET", "/api/v1/openapi.json"), ("HEAD", "/api/v1/openapi.json")}
PARAM_KIND = {"code": "footprint", "ods_code": "organisation", "run_id": "run", "name": "comparison",
              "ident": "validation", "token_id": "token", "target_id": "target"}
# A registered target of XOUT1 (vendor Other): seen by whoever sees XOUT1's record or Other's runs.
TARGET_SEEN_BY = {"admin", "nat", "ass"}
# A run's live progress exists only for a run the service launched (the world's runs were stored directly):
# in scope these may be 404 too; out of scope they must be.
LAUNCHED_ONLY = {"/runs/{run_id}/live", "/runs/{run_id}/events", "/api/v1/runs/{run_id}/status"}
WORLD_IDS = {"run-a", "run-b", "run-c", "X26", "XCCG1", "XCOM1", "XLA01", "XOUT1", "XFP01", "panel-1"}
FOOTPRINT = {"X26", "XCCG1", "XCOM1", "XLA01", "XFP01"}
# user -> the world's identifiers its pages and answers may name (everything else is another tenant's)
LEGIBLE: dict[str, set[str]] = {
    "admin": WORLD_IDS, "nat": WORLD_IDS,
    "comm": FOOTPRINT | {"run-a", "run-b"},
    "mem": {"X26", "run-a"},
    "lead": {"XCOM1", "run-b"},
    "sup": {"run-b", "XCOM1"},  # its system's run, and whom it was run for
    "ass": {"XOUT1", "run-c"},
    "panel": {"panel-1", "run-b", "run-c", "XCOM1", "XOUT1"},  # the compared runs, and whom they were run for
}


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path template) of every route, through included routers."""
    def walk(items: list[Any]) -> Iterator[Any]:
        for route in items:
            inner = getattr(route, "original_router", None)
            yield from walk(inner.routes) if inner is not None else [route]
    for route in walk(list(app.routes)):
        for method in sorted(getattr(route, "methods", None) or []):
            yield method, route.path


@pytest.fixture(scope="module")
def keys(app: FastAPI, store: EvidenceStore, sessions: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """path parameter -> [(value, owner)]: the owner is the SEES key, a user (validations, tokens) or ''."""
    records.save_assessments(store, [SelfAssessment("XOUT1", "uc-gp-record-access", "met", "2026-11-02", "")])
    with store.transaction("read") as session:
        claim = session.scalars(select(AssessmentRow.id).where(AssessmentRow.ods_code == "XOUT1")).first()
    token_id, _ = create_token(store, "mem", label="swept")
    admin = Principal(1, "admin", (parse_grant("admin", ""),), frozenset())
    box = SecretBox(Fernet(Fernet.generate_key()), "a throwaway key")
    target = register_target(store, box, admin, name="swept target", ods_code="XOUT1", vendor="Other", product="EPR",
                             fhir_url="http://127.0.0.1:9/fhir", sandbox=False, auth_type="none")
    return {"code": [("XFP01", "")], "ods_code": [("X26", ""), ("XCOM1", ""), ("XOUT1", "")],
            "run_id": [("run-a", ""), ("run-b", ""), ("run-c", "")], "name": [("panel-1", "")],
            "check_id": [(CHECK, "")], "claim_id": [(str(claim), "XOUT1")], "token_id": [(str(token_id), "mem")],
            "ident": [("", "sup")], "target_id": [(str(target.id), "swept")]}


Need = tuple[str, str]  # (kind, key) the role must see: a SEES key, ("validation"|"token", owner), ("never", "")


def expand(path: str, keys: dict[str, list[tuple[str, str]]]) -> list[tuple[str, list[Need]]]:
    """Each concrete path of a template, with everything a role must see to open it."""
    params = re.findall(r"{(\w+)}", path)
    unknown = [p for p in params if p not in keys]
    assert not unknown, f"the sweep does not know the parameter {unknown[0]!r} of {path}: add it to keys()"
    out: list[tuple[str, list[Need]]] = [(path, [])]
    for param in params:
        grown = []
        for concrete, needs in out:
            for value, owner in keys[param]:
                need = (PARAM_KIND[param], owner or value) if param in PARAM_KIND else None
                if param == "claim_id" and f"/organisations/{owner}/" not in concrete:
                    need = ("never", "")  # a claim is found only under its own organisation
                grown.append((concrete.replace("{" + param + "}", value), needs + ([need] if need else [])))
        out = grown
    return out


def may_see(user: str, needs: list[Need]) -> bool:
    def one(kind: str, key: str) -> bool:
        if kind == "validation":
            return user in (key, "admin")
        if kind in ("token", "never"):
            return user == key
        if kind == "target":
            return user in TARGET_SEEN_BY
        return user in SEES[(kind, key)]
    return all(one(kind, key) for kind, key in needs)


def foreign(user: str, body: str) -> set[str]:
    return {i for i in WORLD_IDS - LEGIBLE[user] if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", body)}


@pytest.mark.parametrize("user", list(USERS))
async def test_every_route_as_every_role(app: FastAPI, store: EvidenceStore, sessions: dict[str, str],
                                         tokens: dict[str, str], keys: dict[str, list[tuple[str, str]]],
                                         user: str) -> None:
    cookie = {"cookie": f"conformance_session={sessions[user]}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        if not keys["ident"][0][0]:  # one validation, the supplier's (a validation is its author's)
            supplier = {"cookie": f"conformance_session={sessions['sup']}"}
            csrf = _csrf((await http.get("/account", headers=supplier)).text)
            made = await http.post("/validate", data={"csrf": csrf, "kind": "gs1", "text": "(01)09501101530003"},
                                   headers=supplier)
            keys["ident"] = [(made.headers["location"].rsplit("/", 1)[1], "sup")]
        csrf = _csrf((await http.get("/account", headers=cookie)).text)
        swept = 0
        for method, template in routes(app):
            if (method, template) in UNSWEPT or template.startswith("/static"):
                continue
            for path, needs in expand(template, keys):
                if ("token", user) in needs:
                    continue  # revoking its own token is not a tenancy question (and would revoke it)
                api = path.startswith("/api/")
                headers = {"authorization": f"Bearer {tokens[user]}"} if api else cookie
                data = {"csrf": csrf} if method == "POST" else None
                response = await http.request(method, path, headers=headers, data=data)
                swept += 1
                if not may_see(user, needs):
                    assert response.status_code == 404, (user, method, path, response.status_code)
                elif needs and template not in LAUNCHED_ONLY:
                    assert response.status_code != 404, (user, method, path)
                leaked = foreign(user, response.text + response.headers.get("location", ""))
                assert not leaked, (user, method, path, sorted(leaked))
    assert swept > 60  # every route, not a few
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        still = await http.get("/api/v1/me", headers={"authorization": f"Bearer {tokens['mem']}"})
    assert still.status_code == 200  # nobody else could revoke mem's tokens


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)
