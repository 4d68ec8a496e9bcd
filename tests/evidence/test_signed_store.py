"""Seals signed as the store writes them: a store forged with every digest recomputed (no key, or re-signed
with another key) fails against the trusted key without any checkpoint; an unsigned seal fails when a
trusted key is asked for; a keyless store is "unsigned, integrity only" (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from conformance.cli import main
from conformance.evidence.keys import Signer, init_key
from conformance.evidence.schema import SealRow, SignatureRow
from conformance.evidence.signing import UNSIGNED_NOTE, sign_seal
from conformance.evidence.store import EvidenceStore
from conformance.evidence.verify import verify_pack_signed
from tests.evidence.test_seal import run, sql
from tests.evidence.test_signing import forge_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return init_key(tmp_path / "keys" / "signing-key.pem")


def signed_store(url: str, signer: Signer | None, *ids: str) -> EvidenceStore:
    store = EvidenceStore(url, signer=signer, find_key=signer is not None)
    for n, rid in enumerate(ids):
        store.finish_run(run(rid, started=f"2026-01-0{n + 1}T10:00:00.000Z"))
    return store


def resign(store: EvidenceStore, signer: Signer) -> None:
    """What a forger with their own key does after recomputing every digest."""
    with Session(store.engine) as session:
        session.execute(delete(SignatureRow))
        for seal in session.scalars(select(SealRow)):
            session.add(sign_seal(seal, signer))
        session.commit()


def test_an_intact_signed_store_verifies_against_its_key(store_url: str, signer: Signer) -> None:
    store = signed_store(store_url, signer, "r1", "r2", "r3")
    count, problems, note = store.verify_signed(signer.fingerprint)
    assert (count, problems) == (3, [])
    assert note == f"3 seals signed by {signer.fingerprint} (trusted key)"
    assert store.verify_signed(None)[2] == f"3 seals signed by {signer.fingerprint} (untrusted: give --trusted-key)"


def test_a_forged_store_with_no_key_fails_against_the_trusted_key(store_url: str, signer: Signer) -> None:
    store = signed_store(store_url, signer, "r1", "r2", "r3")
    forge_store(store)  # every fail now a pass, every digest and link recomputed
    count, problems, _ = store.verify_signed(None)
    # the old signatures no longer verify over the new digests, even with no trusted key given
    assert count == 3 and {p.where for p in problems} == {"signature"}
    assert {p.run_id for p in problems} == {"r1", "r2", "r3"} and all("does not verify" in p.what for p in problems)
    sql(store_url, "DELETE FROM signatures")  # the forger drops them: integrity alone is satisfied again
    assert store.verify_signed(None)[1:] == ([], f"3 seals {UNSIGNED_NOTE}")
    problems = store.verify_signed(signer.fingerprint)[1]
    assert [(p.run_id, p.where) for p in problems] == [("r1", "signature"), ("r2", "signature"), ("r3", "signature")]
    assert all("unsigned" in p.what for p in problems)


def test_a_forged_store_re_signed_with_another_key_fails(store_url: str, signer: Signer, tmp_path: Path) -> None:
    store = signed_store(store_url, signer, "r1", "r2")
    forge_store(store)
    forger = init_key(tmp_path / "forger.pem")
    resign(store, forger)
    assert store.verify_signed(None)[1] == []  # self-consistent: only the trusted key tells
    problems = store.verify_signed(signer.public_b64)[1]
    assert len(problems) == 2 and all("not the trusted key" in p.what for p in problems)


def test_an_unsigned_seal_fails_when_a_trusted_key_is_given(store_url: str, signer: Signer) -> None:
    keyless = signed_store(store_url, None, "r1")
    keyless.close()
    store = EvidenceStore(store_url, signer=signer)
    store.finish_run(run("r2", started="2026-01-05T10:00:00.000Z"))
    count, problems, note = store.verify_signed(None)
    assert (count, problems) == (2, [])
    assert note == f"1 seal signed by {signer.fingerprint} (untrusted: give --trusted-key); 1 seal {UNSIGNED_NOTE}"
    problems = store.verify_signed(signer.fingerprint)[1]
    assert [(p.run_id, p.where) for p in problems] == [("r1", "signature")]


def test_a_keyless_store_seals_unsigned_and_says_so(store_url: str) -> None:
    store = EvidenceStore(store_url)  # the autouse fixture points the key lookup at a missing file
    store.finish_run(run("r1"))
    assert store.signer is None
    assert store.verify_signed(None) == (1, [], f"1 seal {UNSIGNED_NOTE}")


@pytest.mark.parametrize("forgery", [
    "UPDATE systems SET vendor = 'Rival'",  # every run of Acme's system now reads as Rival's
    "INSERT INTO systems (id, vendor, product, version) VALUES (99, 'Rival', 'EPR', '1')",  # then re-point r2:
    "UPDATE runs SET target_name = 'Rival EPR' WHERE id = 'r2'",
])
def test_a_run_filed_under_another_system_or_name_is_found(store_url: str, signer: Signer, forgery: str) -> None:
    # Compare and maturity read a run's vendor system and target name from columns the seal does not
    # cover; moving evidence to another vendor must fail verify, like any other change.
    store = signed_store(store_url, signer, "r1", "r2")
    sql(store_url, forgery)
    if forgery.startswith("INSERT"):
        sql(store_url, "UPDATE runs SET system_id = 99 WHERE id = 'r2'")
    problems = store.verify_signed(signer.fingerprint)[1]
    assert problems and all(p.where == "run" and "filed under" in p.what for p in problems), problems
    assert "r2" in {p.run_id for p in problems}


def test_a_renumbered_or_removed_log_index_is_found(store_url: str, signer: Signer) -> None:
    store = signed_store(store_url, signer, "r1", "r2", "r3")
    sql(store_url, "UPDATE seals SET log_index = 7 WHERE run_id = 'r3'")
    problems = store.verify_signed(None)[1]
    assert [(p.run_id, p.where) for p in problems] == [("r3", "log"), ("r3", "signature")]


def test_verify_store_cli_with_a_trusted_key(tmp_path: Path, signer: Signer) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = signed_store(url, signer, "r1", "r2")
    cli = CliRunner()
    ok = cli.invoke(main, ["evidence", "verify", "--store", url, "--trusted-key", signer.fingerprint])
    assert ok.exit_code == 0 and f"2 seals signed by {signer.fingerprint} (trusted key)" in ok.output
    forge_store(store)
    resign(store, init_key(tmp_path / "forger.pem"))
    store.close()
    bad = cli.invoke(main, ["evidence", "verify", "--store", url, "--trusted-key", signer.fingerprint])
    assert bad.exit_code == 1 and "not the trusted key" in bad.output and "Traceback" not in bad.output


def demo_run(store: str, out: Path, key: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CONFORMANCE_SIGNING_KEY": str(key)}
    return subprocess.run([sys.executable, "-m", "conformance.cli", "demo", "--store", store, "--out", str(out),
                           "--suite", "hl7v2-sender"], cwd=out.parent, env=env, capture_output=True, timeout=180)


def test_a_run_signs_its_seal_and_the_private_key_reaches_no_report_log_or_store(tmp_path: Path,
                                                                               signer: Signer) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    done = demo_run(url, tmp_path / "reports", tmp_path / "keys" / "signing-key.pem")
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert b"sealed unsigned" not in done.stderr
    with EvidenceStore(url, find_key=False) as store:
        assert store.verify_signed(signer.fingerprint)[:2] == (1, [])
        run_id = store.list_runs()[0]["id"]
        store.export(run_id, tmp_path / "reports" / "run.pack", signer)
    raw = signer.private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                       serialization.NoEncryption())
    pem = (tmp_path / "keys" / "signing-key.pem").read_bytes()
    pem_body = b"".join(pem.splitlines()[1:-1])
    secrets = [raw, raw.hex().encode(), raw.hex().upper().encode(), base64.b64encode(raw), pem_body, b"PRIVATE KEY"]
    files = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()] + [tmp_path / "store.db"]
    assert len(files) >= 3
    for blob in [done.stdout, done.stderr, *(p.read_bytes() for p in files)]:
        assert not any(s in blob for s in secrets)


def test_a_keyless_run_is_sealed_unsigned_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    done = demo_run(url, tmp_path / "reports", tmp_path / "absent.pem")
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert b"sealed unsigned (integrity only)" in done.stderr
    assert not (tmp_path / "absent.pem").exists()  # no key is created behind the operator's back
    with EvidenceStore(url, find_key=False) as store:
        assert store.verify_signed(None) == (1, [], f"1 seal {UNSIGNED_NOTE}")


def test_a_broken_key_stops_the_run_before_it_starts(tmp_path: Path) -> None:
    (tmp_path / "bad.pem").write_text("not a key")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    done = demo_run(url, tmp_path / "reports", tmp_path / "bad.pem")
    assert done.returncode == 2 and b"not an unencrypted PEM" in done.stderr and b"Traceback" not in done.stderr
    with EvidenceStore(url, find_key=False) as store:
        assert store.list_runs() == []


def test_every_flipped_byte_of_a_pack_carrying_only_the_seal_signature_is_found(tmp_path: Path,
                                                                                signer: Signer) -> None:
    store = signed_store(f"sqlite:///{tmp_path / 's.db'}", signer, "r1")
    pack = tmp_path / "r1.pack"
    store.export("r1", pack)  # no exporter key: the seal's signature is its only authentication
    assert verify_pack_signed(pack, signer.fingerprint)[1] == []
    data = pack.read_bytes()
    missed = []
    for index in range(len(data)):
        changed = bytearray(data)
        changed[index] ^= 0x01
        pack.write_bytes(bytes(changed))
        if not verify_pack_signed(pack, signer.fingerprint)[1]:
            missed.append(index)
    assert missed == []


@pytest.mark.parametrize("trusted", ["not-a-key", "ab" * 31, "{missing}"])
def test_a_trusted_key_that_names_no_key_is_a_usage_error(tmp_path: Path, signer: Signer, trusted: str) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    signed_store(url, signer, "r1").close()
    if trusted == "{missing}":
        (tmp_path / "pub.pem").write_text("-----BEGIN PUBLIC KEY-----\njunk\n-----END PUBLIC KEY-----\n")
        trusted = str(tmp_path / "pub.pem")
    out = CliRunner().invoke(main, ["evidence", "verify", "--store", url, "--trusted-key", trusted])
    assert out.exit_code == 2 and "trusted key" in out.output and "Traceback" not in out.output
    assert "not the trusted key" not in out.output


def test_a_trusted_key_may_be_a_pem_public_key_file(tmp_path: Path, signer: Signer) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    signed_store(url, signer, "r1").close()
    pem = signer.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "pub.pem").write_bytes(pem)
    out = CliRunner().invoke(main, ["evidence", "verify", "--store", url, "--trusted-key", str(tmp_path / "pub.pem")])
    assert out.exit_code == 0 and "(trusted key)" in out.output


def test_a_rotated_key_verifies_when_both_keys_are_trusted(tmp_path: Path, signer: Signer) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    signed_store(url, signer, "r1").close()
    newer = init_key(tmp_path / "newer.pem")
    with EvidenceStore(url, signer=newer) as store:
        store.finish_run(run("r2", started="2026-01-05T10:00:00.000Z"))
        assert [p.run_id for p in store.verify(signer.fingerprint)[1]] == ["r2"]
        assert store.verify((signer.fingerprint, newer.fingerprint))[1] == []
    args = ["evidence", "verify", "--store", url, "--trusted-key", signer.fingerprint]
    assert CliRunner().invoke(main, args).exit_code == 1
    both = CliRunner().invoke(main, [*args, "--trusted-key", newer.public_b64])
    assert both.exit_code == 0 and "1 seal signed by" in both.output, both.output
