"""`runs`, `org list`, `capabilities`, `explain`, `latest`, `suites list`, `compare`'s "not tested", and the
one-line configuration errors a newcomer meets (an empty variable, a URL without a scheme)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.evidence.store import EvidenceStore
from conformance.model import CheckResult, RunInfo, RunResult, Status

CHECK = "fhir-rest.crud.patient.read"


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def result(run_id: str, finished: str, status: Status, ods: str = "RXX01", aborted: str = "") -> RunResult:
    info = RunInfo(id=run_id, started=finished, finished=finished, harness_version="t", suites=["fhir-rest"],
                   aborted=aborted,
                   target={"name": "EPR", "footprint": "XFP01", "organisation": {"ods_code": ods, "name": "Trust"},
                           "system": {"vendor": "Acme", "product": "EPR", "version": "5"}})
    check = CheckResult(id=CHECK, suite="fhir-rest", group="fhir-rest.crud", title="Patient read",
                        status=status, required=True, requirements=["FHIR-R4:http.html#read"],
                        capabilities=["open-api"], message="expected 200, got 404" if status is Status.FAIL else "",
                        duration_ms=3.0)
    return RunResult(run=info, results=[check])


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    with EvidenceStore(url, find_key=False) as s:
        s.finish_run(result("r-old", "2026-01-01T10:00:00Z", Status.PASS))
        s.finish_run(result("r-new", "2026-02-01T10:00:00Z", Status.FAIL, ods="RYY02"))
        s.finish_run(result("r-aborted", "2026-03-01T10:00:00Z", Status.PASS, aborted="the target stopped"))
    return url


def test_runs_lists_status_and_filters(store: str) -> None:
    code, out, _ = invoke("runs", "--store", store)
    lines = out.splitlines()
    assert code == 0 and [line.split()[0] for line in lines] == ["r-aborted", "r-new", "r-old"]
    assert "aborted" in lines[0] and "complete" in lines[1] and "Acme EPR 5" in lines[1] and "XFP01" in lines[1]
    assert "footprint XFP01 (not in the store)" in lines[1]  # named by the target file, never imported
    code, out, _ = invoke("runs", "--store", store, "--org", "RXX01", "--json")
    assert code == 0 and {r["id"] for r in json.loads(out)} == {"r-old", "r-aborted"}
    code, out, _ = invoke("runs", "--store", store, "--system", "nobody")
    assert code == 0 and "no runs stored matching" in out


def test_latest_is_the_newest_complete_run_and_explain_shows_its_verdict(store: str) -> None:
    code, out, err = invoke("explain", CHECK, "--run", "latest", "--store", store)
    assert code == 0, err
    assert "run r-new (complete): FAIL" in out and "expected 200, got 404" in out  # not the aborted r-aborted
    assert "requirements:" in out and "sandbox faults that fail it:" in out
    code, out, _ = invoke("explain", CHECK, "--json")
    info = json.loads(out)
    assert code == 0 and info["id"] == CHECK and info["faults"] and info["verifies"] != "(no description)"
    code, _, err = invoke("explain", "no.such.check")
    assert code == 2 and "no check 'no.such.check'" in err


def test_latest_in_an_empty_store_says_how_to_make_one(tmp_path: Path) -> None:
    code, _, err = invoke("explain", CHECK, "--run", "latest", "--store", f"sqlite:///{tmp_path / 'e.db'}")
    assert code == 2 and "no complete run yet" in err and "Traceback" not in err


def test_compare_latest_says_not_tested(store: str) -> None:
    code, out, err = invoke("compare", "latest", "r-old", "--store", store)
    assert code == 0, err
    assert "not tested (scored 0):" in out
    assert any(line.split()[:2] == ["not", "tested"] for line in out.splitlines())  # each cell by name
    assert any(line.split()[:1] == ["fail"] and "fhir-read" in line for line in out.splitlines())


def test_org_list_capabilities_and_suites_list(store: str) -> None:
    code, out, _ = invoke("org", "list", "--store", store)
    assert code == 0 and "RXX01" in out and "RYY02" in out
    code, out, _ = invoke("capabilities", "--json")
    caps = json.loads(out)
    assert code == 0 and caps and all({"id", "title", "requirements"} <= set(c) for c in caps)
    assert any(req["checks"] for c in caps for req in c["requirements"])
    code, out, _ = invoke("suites", "list")
    line = next(x for x in out.splitlines() if x.strip().startswith(CHECK + " "))
    from conformance.runner import load_suites

    spec = load_suites().suites["fhir-rest"].checks[CHECK]
    assert code == 0 and spec.requirements and all(r in line for r in (*spec.requirements, *spec.capabilities))


def test_empty_variable_and_url_without_scheme_are_named(tmp_path: Path) -> None:
    target = tmp_path / "t.toml"
    target.write_text('[endpoints]\nfhir = "https://fhir.example.test"\n[auth]\ntype = "bearer"\ntoken_env = "TOK"\n')
    code, _, err = invoke("run", "--target", str(target), env={"TOK": ""})
    assert code == 2 and "environment variable TOK is empty" in err
    target.write_text('[endpoints]\nfhir = "fhir.example.test/r4"\n')
    code, _, err = invoke("run", "--target", str(target))
    assert code == 2 and "has no scheme: write https://fhir.example.test/r4" in err
    code, _, err = invoke("run", "--target", "fhir.example.test/r4")
    assert code == 2 and "has no scheme" in err and len(err.strip().splitlines()) == 1
