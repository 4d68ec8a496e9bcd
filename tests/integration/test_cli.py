"""The CLI contract: exit codes, one-line usage errors, listings, and the demo end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_suites_list_json_describes_every_check() -> None:
    code, out, _ = invoke("suites", "list", "--json")
    assert code == 0
    suites = {s["id"]: s for s in json.loads(out)}
    checks = {c["id"]: c for c in suites["fhir-rest"]["checks"]}
    assert "fhir-rest.capability.metadata" in checks
    assert all(c["title"] and c["requirements"] for c in checks.values())


def test_list_faults_json_contract() -> None:
    code, out, _ = invoke("sandbox", "--list-faults", "--json")
    assert code == 0
    faults = json.loads(out)
    assert faults and all(set(f) == {"name", "description", "checks"} and f["checks"] for f in faults)


def test_wrong_target_file_is_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text('[organisation]\nkind = "hospital"\n[endpoints]\nfhir = "http://127.0.0.1:9"\n')
    code, _, err = invoke("run", "--target", str(bad))
    assert code == 2
    assert err.strip() == f"conformance: {bad}: organisation.kind: 'hospital' is not one of " \
                          "commissioner, provider, local-authority, supplier"


def test_unknown_fault_and_unknown_suite_are_usage_errors(tmp_path: Path) -> None:
    code, _, err = invoke("demo", "--fault", "no-such-fault")
    assert code == 2 and "no-such-fault" in err and len(err.strip().splitlines()) == 1
    code, _, err = invoke("run", "--target", "http://127.0.0.1:9/fhir", "--suite", "nope")
    assert code == 2 and "unknown suite 'nope'" in err


def test_bad_store_url_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke("demo", "--select", "fhir-rest.capability", "--store", "nosuchdb://x",
                          "--out", str(tmp_path / "r"))
    assert code == 2 and err.strip().splitlines()[-1].startswith("conformance: ") and "Traceback" not in err


def test_demo_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    """The README's main job, for real: sandbox on a loopback port, reports, store, exit 0."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "demo", "--out", str(tmp_path / "r"),
         "--store", f"sqlite:///{tmp_path / 'c.db'}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["summary"]["fail"] == 0 and report["summary"]["error"] == 0
    assert report["summary"]["pass"] >= 100
    # The HL7 v2 suites ran over real loopback sockets: the sender's messages arrived via the trigger.
    passed = {r["id"] for r in report["results"] if r["status"] == "pass"}
    assert {"hl7v2-sender.delivery.arrives", "hl7v2-sender.message.profile", "hl7v2-receiver.ack.control-id"} <= passed
    assert proc.stdout.strip().endswith("report.html")
    assert (tmp_path / "c.db").stat().st_size > 0


def test_demo_with_a_fault_fails_and_exits_1(tmp_path: Path) -> None:
    from conformance.runner import load_suites
    from conformance.sandbox.faults import FAULTS

    # The first fault that breaks a required check (an optional check's failure does not fail the run).
    required = {c.id for c in load_suites().all_checks() if c.required}
    name = next(n for n in sorted(FAULTS) if set(FAULTS[n].checks) & required)
    code, _, _ = invoke("demo", "--fault", name, "--suite", "fhir-rest", "--out", str(tmp_path / "r"),
                          "--store", f"sqlite:///{tmp_path / 'c.db'}", "--testreport", str(tmp_path / "tr.json"))
    assert code == 1
    testreport = json.loads((tmp_path / "tr.json").read_text())
    assert testreport["entry"][0]["resource"]["result"] == "fail"
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    failed = {r["id"] for r in report["results"] if r["status"] == "fail"}
    assert set(FAULTS[name].checks) <= failed


def test_config_problems_are_refused_before_any_request(tmp_path: Path) -> None:
    """Unset credentials, a non-HTTP URL, an output path that is a file: exit 2, one line, nothing sent."""
    target = tmp_path / "t.toml"
    target.write_text('[endpoints]\nfhir = "http://127.0.0.1:9/fhir"\n[auth]\ntype = "bearer"\n'
                      'token_env = "CONFORMANCE_TEST_UNSET_TOKEN"\n')
    code, _, err = invoke("run", "--target", str(target))
    assert code == 2
    assert err.strip() == (f"conformance: {target}: auth.token_env: environment variable "
                           "CONFORMANCE_TEST_UNSET_TOKEN is not set")
    code, _, err = invoke("run", "--target", "ftp://127.0.0.1/x")
    assert code == 2 and "not an http(s) URL" in err
    afile = tmp_path / "afile"
    afile.write_text("")
    code, out, err = invoke("run", "--target", "http://127.0.0.1:9/fhir", "--out", str(afile))
    assert code == 2 and err.strip() == f"conformance: cannot write reports into {afile}: it is a file"
    assert "could not connect" not in out + err


def test_sandbox_on_a_taken_port_is_one_line_exit_2() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = invoke("sandbox", "--port", str(port))
    assert code == 2 and out == ""
    assert err.strip() == (f"conformance: sandbox: cannot listen on 127.0.0.1:{port}: Address already in use "
                           "(another port: --port N, or --port 0 for a free one)")


def test_sandbox_on_a_taken_mllp_port_names_its_option() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        code, out, err = invoke("sandbox", "--port", "0", "--mllp-port", str(taken.getsockname()[1]))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--mllp-port N, or --mllp-port 0 for a free one" in err and "Traceback" not in err


def test_demo_hl7v2_faults_fail_over_loopback(tmp_path: Path) -> None:
    """The MLLP sandbox over real sockets: a sender fault and a receiver fault fail their checks."""
    from conformance.sandbox.faults import FAULTS

    faults = ["hl7v2-sender-out-of-profile", "hl7v2-ack-wrong-control-id"]
    code, _, _ = invoke("demo", *(x for f in faults for x in ("--fault", f)), "--suite", "hl7v2-receiver",
                        "--suite", "hl7v2-sender", "--out", str(tmp_path / "r"),
                        "--store", f"sqlite:///{tmp_path / 'c.db'}")
    assert code == 1
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    status = {r["id"]: r["status"] for r in report["results"]}
    assert all(status[c] == "fail" for f in faults for c in FAULTS[f].checks), status
    assert "error" not in status.values()


def test_a_reader_that_goes_away_is_not_told_success(tmp_path: Path) -> None:
    """`validate fhir bad.json | head -c 1` under `set -o pipefail`: the output and the verdict it ends with were not
    delivered, so the command ends 141 (128 + SIGPIPE) as Unix tools do, not 0 (it was 0 before)."""
    bad = {"resourceType": "Patient", **{f"x{i}": i for i in range(5000)}}  # 5,000 error lines: more than a pipe holds
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    script = (f'"{sys.executable}" -m conformance.cli validate fhir "{path}" | head -c 1 >/dev/null; '
              'echo "${PIPESTATUS[0]}"')
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.strip() == "141", done.stderr[-2000:]
