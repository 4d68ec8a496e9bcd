"""The record commands end to end on SQLite and PostgreSQL: import, maturity, roadmap, compare, and
one-line usage errors (exit 2) that leave the store unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main
from conformance.cli.records import demo_record
from conformance.evidence import records
from conformance.evidence.store import EvidenceStore
from conformance.maturity.inputs import DEMO_DIR
from conformance.model import CheckResult, RunInfo, RunResult, Status

EXAMPLE = Path(__file__).resolve().parents[2] / "conformance" / "maturity" / "data" / "example-requirements.toml"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def stored_run(url: str, run_id: str, vendor: str, gs1: Status) -> None:
    info = RunInfo(id=run_id, started="2026-11-01T10:00:00.000Z", finished="2026-11-01T10:01:00.000Z",
                   harness_version="t", suites=["gs1"],
                   target={"name": vendor, "organisation": {"ods_code": "X26", "name": "Demo Sandbox Trust",
                                                            "kind": "provider"},
                           "system": {"vendor": vendor, "product": "EPR", "version": "1"}})
    results = [CheckResult(id=f"gs1.x.{n}", suite="gs1", group="gs1.x", title="t", status=gs1, required=True,
                           requirements=[], capabilities=[]) for n in range(2)]
    EvidenceStore(url).finish_run(RunResult(run=info, results=results))


def test_import_then_record_roadmap_and_compare(store_url: str, tmp_path: Path) -> None:
    assert invoke("org", "import", str(DEMO_DIR / "organisations.csv"), "--store", store_url)[0] == 0
    assert invoke("footprint", "import", str(DEMO_DIR / "footprints.toml"), "--store", store_url)[0] == 0
    code, out, _ = invoke("assessments", "import", str(DEMO_DIR / "assessments.csv"), "--store", store_url)
    assert code == 0 and "9 claim(s)" in out
    stored_run(store_url, "vendor-a", "VendorA", Status.PASS)
    stored_run(store_url, "vendor-b", "VendorB", Status.FAIL)
    code, out, _ = invoke("maturity", "X26", "--store", store_url, "--json", "--as-of", "2026-11-23")
    rows = {r["capability"]: r for r in json.loads(out)["capabilities"]}
    # Two systems' latest runs: one passes gs1, one fails it -> partly met; the trust claimed "met".
    assert rows["uc-medicines-devices-gs1"]["status"] == "partly met"
    assert rows["uc-medicines-devices-gs1"]["flag_for_audit"] == "yes" and code == 1
    html = tmp_path / "fp.html"
    code, out, _ = invoke("roadmap", "XFP01", "--store", store_url, "--html", str(html), "--as-of", "2026-11-23")
    assert code == 0 and "<svg" in html.read_text() and "XLA01" in html.read_text()
    code, out, _ = invoke("compare", "vendor-a", "vendor-b", "--requirements", str(EXAMPLE), "--store", store_url,
                          "--json")
    score = next(r for r in json.loads(out) if r["requirement"] == "score")
    assert code == 0 and float(score["vendor-a"].split()[0]) > float(score["vendor-b"].split()[0])


def test_usage_errors_are_one_line_and_change_nothing(store_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "a.csv"
    bad.write_text("ods_code,capability,claim,assessed_on\nNOPE1,uc-e-referral,met,2026-01-01\n")
    code, _, err = invoke("assessments", "import", str(bad), "--store", store_url)
    assert code == 2 and err.count("\n") == 1 and "unknown organisation 'NOPE1'" in err
    assert records.assessments(EvidenceStore(store_url)) == []
    code, _, err = invoke("maturity", "NOPE1", "--store", store_url)
    assert code == 2 and "no organisation 'NOPE1'" in err
    code, _, err = invoke("compare", "nope", "--requirements", str(EXAMPLE), "--store", store_url)
    assert code == 2 and "no complete run 'nope'" in err


def test_demo_record_pages(store_url: str, tmp_path: Path) -> None:
    stored_run(store_url, "demo", "conformance", Status.PASS)
    pages = demo_record(store_url, tmp_path)
    assert [p.name for p in pages] == ["record.html", "footprint.html"]
    assert "Demo Sandbox Trust" in pages[0].read_text() and "flagged for audit" in pages[0].read_text()


def test_footprint_dates_and_verify_exit_codes(store_url: str, tmp_path: Path) -> None:
    invoke("org", "import", str(DEMO_DIR / "organisations.csv"), "--store", store_url)
    invoke("footprint", "import", str(DEMO_DIR / "footprints.toml"), "--store", store_url)
    code, out, _ = invoke("footprint", "milestone", "XFP01", "open-apis-gs1-2021", "2030-01-01", "--store", store_url)
    assert code == 0 and "due 2030-01-01" in out
    code, out, _ = invoke("roadmap", "XFP01", "--store", store_url, "--json", "--as-of", "2026-11-23")
    state = {r["milestone"]: r for r in json.loads(out)}
    assert state["open-apis-gs1-2021"]["target_date"] == "2030-01-01"
    assert state["open-apis-gs1-2021"]["state"] != "missed"
    # With no runs stored, every member is behind on every capability, and the roadmap names them.
    behind = state["open-apis-gs1-2021"]["behind_members"]
    assert behind and all(c in behind for c in state["open-apis-gs1-2021"]["not_yet_met"].split())
    assert "X26" in behind
    assert invoke("footprint", "milestone", "XFP01", "nope", "2030-01-01", "--store", store_url)[0] == 2
    stored_run(store_url, "r1", "VendorA", Status.PASS)
    assert invoke("evidence", "verify", "--store", store_url)[0] == 0
    pack = tmp_path / "r1.pack"
    assert invoke("evidence", "export", "r1", "-o", str(pack), "--store", store_url)[0] == 0
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0x01
    pack.write_bytes(bytes(data))
    code, out, err = invoke("evidence", "verify", str(pack))
    assert code == 1 and "run r1" in out + err
