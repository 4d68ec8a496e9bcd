"""``conformance users`` (the first admin, roles, tokens) and the store migration behind the service."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from argon2 import extract_parameters
from click.testing import CliRunner
from sqlalchemy import inspect, select

from conformance.cli import main
from conformance.evidence import migrate, records
from conformance.evidence.store import EvidenceStore
from conformance.maturity.demo import load_demo
from conformance.service.auth import token_principal
from conformance.service.tables import UserRow
from tests.service.world import run_result

PASSWORD = "a long synthetic passphrase\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the demo organisations and footprint, made once and copied for each test."""
    path = tmp_path_factory.mktemp("cli") / "conformance.db"
    orgs, footprints, _ = load_demo()
    with EvidenceStore(f"sqlite:///{path}", find_key=False) as store:
        records.save_organisations(store, orgs)
        records.save_footprint(store, footprints[0])
    return path


@pytest.fixture
def url(tmp_path: Path, template: Path) -> str:
    shutil.copyfile(template, tmp_path / "conformance.db")
    return f"sqlite:///{tmp_path / 'conformance.db'}"


def cli(url: str, *args: str, stdin: str = "") -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--store", url], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_the_first_admin_and_scoped_roles_from_the_command_line(url: str) -> None:
    code, out, _ = cli(url, "users", "add", "root", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert code == 0 and "root added as admin" in out
    assert cli(url, "users", "add", "cc", "--role", "commissioner", "--scope", "XFP01", "--password-stdin",
               stdin=PASSWORD)[0] == 0
    assert cli(url, "users", "role", "cc", "--role", "assessor", "--scope", "X26")[0] == 0
    assert cli(url, "users", "role", "cc", "--role", "supplier", "--scope", "Acme Health")[0] == 0
    code, out, _ = cli(url, "users", "list")
    assert out.splitlines() == ["cc: commissioner of footprint:XFP01; assessor of organisation:X26; "
                                "supplier of vendor:Acme Health", "root: admin"]
    assert cli(url, "users", "role", "cc", "--role", "assessor", "--scope", "X26", "--remove")[0] == 0
    assert "assessor" not in cli(url, "users", "list")[1]
    with EvidenceStore(url, find_key=False) as store, store.transaction("read") as session:
        stored = session.scalars(select(UserRow.password_hash).where(UserRow.name == "root")).one()
    assert stored.startswith("$argon2id$") and PASSWORD.strip() not in stored
    params = extract_parameters(stored)
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2  # at least OWASP's argon2id minimum


@pytest.mark.parametrize(("args", "said"), [
    (["users", "add", "x", "--role", "wizard"], "unknown role 'wizard'"),
    (["users", "add", "x", "--role", "commissioner"], "needs --scope naming a footprint"),
    (["users", "add", "x", "--role", "commissioner", "--scope", "XNOPE"],
     "no footprint 'XNOPE' in the store"),
    (["users", "add", "x", "--role", "member", "--scope", "footprint:XFP01"],
     "scoped to: organisation (not footprint)"),
    (["users", "add", "x", "--role", "national", "--scope", "X26"], "is not scoped"),
    (["users", "add", "x y", "--role", "admin"], "no spaces"),
    (["users", "role", "ghost", "--role", "admin"], "no user 'ghost'"),
    (["users", "token", "ghost"], "no user 'ghost'"),
    (["users", "revoke", "999"], "no valid token 999"),
])
def test_bad_input_is_one_line_and_exit_2(url: str, args: list[str], said: str) -> None:
    extra = ("--password-stdin",) if args[1] == "add" else ()
    code, _, err = cli(url, *args, *extra, stdin=PASSWORD)
    assert code == 2 and said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_short_password_is_refused(url: str) -> None:
    code, _, err = cli(url, "users", "add", "x", "--role", "admin", "--password-stdin", stdin="short\n")
    assert code == 2 and "at least 12 characters" in err


def test_a_token_is_printed_once_and_only_its_digest_kept(url: str) -> None:
    cli(url, "users", "add", "ci", "--role", "member", "--scope", "X26", "--password-stdin", stdin=PASSWORD)
    code, out, err = cli(url, "users", "token", "ci", "--permission", "runs:read", "--label", "pipeline")
    token = out.strip()
    assert code == 0 and token.startswith("cft_") and "shown once" in err and token not in err
    with EvidenceStore(url, find_key=False) as store:
        who = token_principal(store, token)
        assert who is not None and who.name == "ci" and who.permissions == {"runs:read"}
    assert cli(url, "users", "token", "ci", "--permission", "everything")[0] == 2
    assert cli(url, "users", "revoke", "1")[0] == 0
    with EvidenceStore(url, find_key=False) as store:
        assert token_principal(store, token) is None


def test_the_store_migrates_past_0004_with_the_service_tables(url: str) -> None:
    with EvidenceStore(url, find_key=False) as store:
        assert migrate.head() >= "0004"  # 0004 brought the service's tables; later revisions keep them
        tables = set(inspect(store.engine).get_table_names())
    assert {"users", "user_grants", "web_sessions", "api_tokens", "login_failures", "comparisons"} <= tables


def test_serve_refuses_a_port_it_cannot_have(url: str) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, _, err = cli(url, "serve", "--port", str(port))
    assert code == 2 and "cannot listen on 127.0.0.1" in err


def test_a_comparison_names_runs_that_exist(url: str) -> None:
    code, _, err = cli(url, "comparisons", "add", "tender-1", "no-such-run")
    assert code == 2 and "no run 'no-such-run'" in err
    code, _, err = cli(url, "users", "add", "p", "--role", "panel", "--scope", "tender-1", "--password-stdin",
                       stdin=PASSWORD)
    assert code == 2 and "no comparison 'tender-1'" in err and "conformance comparisons add" in err
    with EvidenceStore(url, find_key=False) as store:
        store.finish_run(run_result("run-x", "X26", "Acme", "2026-11-30"))
    code, out, _ = cli(url, "comparisons", "add", "tender-1", "run-x", "--title", "EPR tender")
    assert code == 0 and "comparison tender-1: 1 run(s)" in out
    assert cli(url, "users", "add", "p", "--role", "panel", "--scope", "tender-1", "--password-stdin",
               stdin=PASSWORD)[0] == 0
    assert "p: panel of comparison:tender-1" in cli(url, "users", "list")[1]


BUYER = """[[requirement]]
id = "patients-readable"
title = "Patients can be read"
weight = "must"
checks = ["fhir-rest.crud.patient.read"]
"""


def test_a_comparison_judges_against_the_buyers_own_requirements(url: str, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from conformance.service.app import create_app
    from conformance.service.auth import create_token

    with EvidenceStore(url, find_key=False) as store:
        store.finish_run(run_result("run-x", "X26", "Acme", "2026-11-30"))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[requirement]]\nid = "x"\nweight = "maybe"\ntitle = "t"\nchecks = ["a.*"]\n')
    code, _, err = cli(url, "comparisons", "add", "tender-2", "run-x", "--requirements", str(bad))
    assert code == 2 and str(bad) in err and "weight" in err and "Traceback" not in err
    own = tmp_path / "buyer.toml"
    own.write_text(BUYER)
    assert cli(url, "comparisons", "add", "tender-2", "run-x", "--requirements", str(own))[0] == 0
    assert cli(url, "comparisons", "add", "tender-3", "run-x")[0] == 0
    with EvidenceStore(url, find_key=False) as store:
        assert cli(url, "users", "add", "a", "--role", "admin", "--password-stdin", stdin=PASSWORD)[0] == 0
        _, token = create_token(store, "a")
        with TestClient(create_app(store)) as http:
            mine = http.get("/api/v1/comparisons/tender-2", headers={"authorization": f"Bearer {token}"}).json()
            shipped = http.get("/api/v1/comparisons/tender-3", headers={"authorization": f"Bearer {token}"}).json()
    assert [r["id"] for r in mine["requirements"]] == ["patients-readable"]
    assert mine["systems"][0]["cells"]["patients-readable"]["passed"] == ["fhir-rest.crud.patient.read"]
    assert "patients-readable" not in {r["id"] for r in shipped["requirements"]} and len(shipped["requirements"]) > 1
