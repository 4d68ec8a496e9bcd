"""Signed evidence: a pack or store forged with every digest recomputed (no key) fails verification;
a deleted latest run is detected against a signed checkpoint; unsigned v1 packs verify as integrity
only; the private key never appears in a pack, a checkpoint or the store."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from conformance.cli import main
from conformance.evidence import merkle
from conformance.evidence.keys import Signer, SigningKeyError, init_key, load_key
from conformance.evidence.schema import OutcomeRow, RunRow, SealRow, canonical_json
from conformance.evidence.seal import RUN_FIELDS, items_of_rows, outcome_digest, row_fields, run_digest
from conformance.evidence.seallog import leaf
from conformance.evidence.signing import UNSIGNED_NOTE
from conformance.evidence.store import EvidenceStore
from conformance.evidence.verify import verify_pack_signed
from tests.evidence.test_seal import run, sql, stored


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return init_key(tmp_path / "keys" / "signing-key.pem")


def forge_pack(path: Path) -> None:
    """What an attacker can do with the public algorithm: every fail becomes a pass, digests recomputed."""
    body = json.loads(path.read_bytes())
    for o in body["outcomes"]:
        o["status"] = "pass" if o["status"] == "fail" else o["status"]
    items = [[o["check_id"], outcome_digest(o)] for o in body["outcomes"]]
    seal = body["seal"]
    seal["items"] = items
    seal["digest"] = run_digest(body["run"], seal["sequence"], items, seal["previous_digest"], seal["sealed_at"])
    if "log" in body:  # a log of one leaf, its own: the inclusion proof is then consistent again
        seal["log_index"] = 0
        body["log"] = {"leaf_index": 0, "tree_size": 1, "proof": [],
                       "root_hash": merkle.root([leaf(body["run"]["id"], seal["digest"])]).hex()}
    path.write_bytes(canonical_json(body) + b"\n")


def forge_store(store: EvidenceStore) -> None:
    with Session(store.engine) as session:
        for row in session.scalars(select(OutcomeRow).where(OutcomeRow.status == "fail")):
            row.status = "pass"
        session.flush()
        previous: dict[str, str] = {}
        for seal in session.scalars(select(SealRow).order_by(SealRow.ods_code, SealRow.sequence)):
            run = session.get(RunRow, seal.run_id)
            assert run is not None
            session.refresh(run)
            seal.items = items_of_rows(run)
            seal.previous_digest = previous.get(seal.ods_code, "")
            seal.digest = run_digest(row_fields(run, RUN_FIELDS), seal.sequence, seal.items,
                                     seal.previous_digest, seal.sealed_at)
            previous[seal.ods_code] = seal.digest
        session.commit()


def test_a_forged_unsigned_pack_passes_integrity_but_not_a_trusted_key(store_url: str, tmp_path: Path,
                                                                       signer: Signer) -> None:
    pack = tmp_path / "v1.pack"
    stored(store_url, "r1").export("r1", pack)
    forge_pack(pack)
    run_id, problems, note = verify_pack_signed(pack, None)
    assert (run_id, problems, note) == ("r1", [], UNSIGNED_NOTE)  # the weakness signing closes
    _, problems, _ = verify_pack_signed(pack, signer.fingerprint)
    assert [p.where for p in problems] == ["signature"]


def test_a_forged_signed_pack_fails_even_re_signed_by_another_key(store_url: str, tmp_path: Path,
                                                                  signer: Signer) -> None:
    store = stored(store_url, "r1", "r2")
    pack = tmp_path / "v2.pack"
    store.export("r2", pack, signer)
    assert verify_pack_signed(pack, signer.public_b64)[1] == []
    assert json.loads(pack.read_bytes())["format_version"] == 3
    forge_pack(pack)
    assert any(p.where == "signature" for p in verify_pack_signed(pack, None)[1])
    store.export("r2", pack, init_key(tmp_path / "forger.pem"))  # a valid signature by the wrong key
    assert verify_pack_signed(pack, None)[1] == []
    problems = verify_pack_signed(pack, signer.fingerprint)[1]
    assert len(problems) == 1 and problems[0].what.startswith("its pack signed by ")
    assert problems[0].what.endswith("not by the trusted key")


def test_a_forged_store_fails_against_a_checkpoint(store_url: str, signer: Signer) -> None:
    store = stored(store_url, "r1", "r2", "r3")
    checkpoint = store.checkpoint(signer)
    assert store.check_checkpoint(checkpoint, signer.fingerprint)[0] == []
    forge_store(store)
    assert store.verify()[1] == []  # every digest recomputed: integrity alone cannot tell
    problems, _ = store.check_checkpoint(checkpoint, signer.fingerprint)
    assert len(problems) == 1 and "removed or rewritten" in problems[0]


def test_a_deleted_latest_run_is_detected_against_a_checkpoint(store_url: str, signer: Signer) -> None:
    store = stored(store_url, "r1", "r2", "r3")
    checkpoint = store.checkpoint(signer)
    store.finish_run(run("r4", started="2026-01-09T10:00:00.000Z"))
    assert store.check_checkpoint(checkpoint, None)[0] == []  # a log that only grew is consistent
    for statement in ("DELETE FROM evidence WHERE outcome_id IN (SELECT id FROM outcomes WHERE run_id IN "
                      "('r3', 'r4'))", "DELETE FROM outcomes WHERE run_id IN ('r3', 'r4')",
                      "DELETE FROM seals WHERE run_id IN ('r3', 'r4')", "DELETE FROM runs WHERE id IN ('r3', 'r4')"):
        sql(store_url, statement)
    assert store.verify()[1] == []  # the chain is intact up to r2: the deletion is invisible without a checkpoint
    problems, _ = store.check_checkpoint(checkpoint, None)
    assert len(problems) == 1 and "runs were removed" in problems[0]


def test_a_tampered_checkpoint_or_a_wrong_key_fails(store_url: str, signer: Signer, tmp_path: Path) -> None:
    store = stored(store_url, "r1")
    body = json.loads(store.checkpoint(signer))
    body["tree_size"] = 0
    assert any("does not verify" in p for p in store.check_checkpoint(canonical_json(body), None)[0])
    other = init_key(tmp_path / "other.pem")
    assert any("not the trusted key" in p for p in store.check_checkpoint(store.checkpoint(other),
                                                                           signer.fingerprint)[0])


def test_the_private_key_is_never_in_a_pack_checkpoint_or_store(tmp_path: Path, signer: Signer) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = stored(url, "r1")
    store.export("r1", tmp_path / "p.pack", signer)
    (tmp_path / "cp.json").write_bytes(store.checkpoint(signer))
    store.close()
    raw = signer.private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                       serialization.NoEncryption())
    secrets = [raw, raw.hex().encode(), base64.b64encode(raw), b"PRIVATE KEY"]
    for path in (tmp_path / "p.pack", tmp_path / "cp.json", tmp_path / "c.db"):
        data = path.read_bytes()
        assert not any(s in data for s in secrets), path


def test_keys_cli_creates_refuses_to_overwrite_and_signs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "k.pem"
    monkeypatch.setenv("CONFORMANCE_SIGNING_KEY", str(key))
    cli = CliRunner()
    first = cli.invoke(main, ["keys", "init"])
    assert first.exit_code == 0 and "fingerprint" in first.output and "PRIVATE" not in first.output
    assert key.stat().st_mode & 0o777 == 0o600
    again = cli.invoke(main, ["keys", "init"])
    assert again.exit_code == 2 and "not overwriting" in again.output
    fp = load_key(key).fingerprint
    url = f"sqlite:///{tmp_path / 's.db'}"
    stored(url, "r1").close()
    assert cli.invoke(main, ["evidence", "export", "r1", "-o", str(tmp_path / "p"), "--store", url]).exit_code == 0
    ok = cli.invoke(main, ["evidence", "verify", str(tmp_path / "p"), "--trusted-key", fp])
    assert ok.exit_code == 0 and f"signed by {fp}" in ok.output
    cp = cli.invoke(main, ["evidence", "checkpoint", "--store", url])
    (tmp_path / "cp").write_text(cp.output)
    good = cli.invoke(main, ["evidence", "verify", "--store", url, "--checkpoint", str(tmp_path / "cp"),
                             "--trusted-key", fp])
    assert good.exit_code == 0, good.output
    key.write_text("not a key")
    bad = cli.invoke(main, ["keys", "show"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_a_key_held_in_the_environment_signs_and_is_never_printed(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A CI secret is handed over as a value: $CONFORMANCE_SIGNING_KEY holding the PEM itself was taken
    # for a path, and `keys show` printed it in "no signing key at -----BEGIN PRIVATE KEY-----...".
    key = tmp_path / "k.pem"
    signer = init_key(key)
    pem = key.read_text()
    body = pem.strip().splitlines()[1]  # the secret part, as it would appear in a log
    monkeypatch.setenv("CONFORMANCE_SIGNING_KEY", pem)
    cli = CliRunner()
    show = cli.invoke(main, ["keys", "show"])
    assert show.exit_code == 0 and f"fingerprint {signer.fingerprint}" in show.output
    init = cli.invoke(main, ["keys", "init"])
    assert init.exit_code == 2 and "holds a key itself" in init.output
    url = f"sqlite:///{tmp_path / 's.db'}"
    stored(url, "r1").close()
    cp = cli.invoke(main, ["evidence", "checkpoint", "--store", url])
    assert cp.exit_code == 0 and signer.fingerprint in cp.output
    for output in (show.output, init.output, cp.output):
        assert body not in output and "PRIVATE" not in output


def test_a_broken_key_file_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "k.pem").write_text("junk")
    with pytest.raises(SigningKeyError, match="not an unencrypted PEM"):
        load_key(tmp_path / "k.pem")


def test_an_old_v1_pack_fixture_still_verifies_as_unsigned(signer: Signer) -> None:
    fixture = Path(__file__).parent / "fixtures" / "v1.pack"
    assert verify_pack_signed(fixture, None) == ("r1", [], UNSIGNED_NOTE)
    out = CliRunner().invoke(main, ["evidence", "verify", str(fixture)])
    assert out.exit_code == 0 and "not authenticated" in out.output
    required = CliRunner().invoke(main, ["evidence", "verify", str(fixture), "--trusted-key", signer.fingerprint])
    assert required.exit_code == 1 and "unsigned" in required.output
