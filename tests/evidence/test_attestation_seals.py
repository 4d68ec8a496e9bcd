"""Attestations are part of the signed record: each is sealed into the store-wide log and signed, and
`conformance evidence verify` finds a changed, moved, removed or forged one (issue 22)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from conformance.cli import main
from conformance.evidence import attestations
from conformance.evidence.keys import Signer, init_key
from conformance.evidence.schema import AssessmentRow, OrganisationRow
from conformance.evidence.store import EvidenceStore
from tests.evidence.test_seal import run, sql


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return init_key(tmp_path / "keys" / "signing-key.pem")


def say(store: EvidenceStore, action: str, check: str = "s.g.one", run_id: str | None = "r1",
        assessment_id: int | None = None) -> int:
    with store.transaction("attest") as session:
        row = attestations.record(session, store.signer, action=action, reason=f"{action}: synthetic", by="ass",
                                  at="2026-12-01T10:00:00.000Z", run_id=run_id, check_id=check if run_id else "",
                                  assessment_id=assessment_id, postgresql=store.backend == "postgresql")
        return row.id


def a_claim(store: EvidenceStore) -> int:
    with store.transaction("claim") as session:
        row = AssessmentRow(ods_code="RXX01", capability="cap.one", claim="yes", assessed_on="2026-11-01", note="")
        session.add(row)
        session.flush()
        return row.id


def world(url: str, signer: Signer | None) -> EvidenceStore:
    store = EvidenceStore(url, signer=signer, find_key=signer is not None)
    store.finish_run(run("r1"))
    say(store, "dispute")
    store.finish_run(run("r2", started="2026-01-02T10:00:00.000Z"))
    say(store, "resolve")
    return store


def verify(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["evidence", "verify", "--store", url, *args])
    return result.exit_code, result.output


def test_attestations_take_their_place_in_the_log_and_verify_signed(store_url: str, signer: Signer) -> None:
    store = world(store_url, signer)
    with store.transaction("read") as session:
        with_claim = session.scalar(select(OrganisationRow.ods_code))
    assert with_claim == "RXX01"
    count, problems, note = store.verify_signed(signer.fingerprint)
    assert (count, problems) == (2, [])
    assert f"2 attestations signed by {signer.fingerprint}" in note
    code, out = verify(store_url, "--trusted-key", signer.fingerprint)
    assert code == 0 and "2 attestations signed" in out
    # seals and attestations share one gap-free log: r1, dispute, r2, resolve
    with store.transaction("read") as session:
        from conformance.evidence import seallog
        assert [w for w, _ in seallog.log_leaves(session)] == ["r1", "attestation #1", "r2", "attestation #2"]
    store.close()


def test_a_tampered_attestation_row_is_found(store_url: str, signer: Signer) -> None:
    store = world(store_url, signer)  # attestations #1 (dispute), #2 (resolve)
    say(store, "attest", check="s.g.two")  # 3
    say(store, "attest")  # 4
    say(store, "attest")  # 5
    store.close()
    for statement in ("UPDATE attestations SET reason = 'nothing to see', action = 'attest' WHERE id = 1",
                      "UPDATE attestations SET check_id = 's.g.two' WHERE id = 2",
                      "DELETE FROM attestations WHERE id = 3",
                      "UPDATE attestations SET digest = NULL, log_index = NULL WHERE id = 5"):
        sql(store_url, statement)
    code, out = verify(store_url)
    assert code == 1
    for said in ("attestation #1 (check s.g.one): its action, reason, author, time or subject were changed",
                 "attestation #2 (check s.g.two): it is filed under another verdict",
                 "attestation #5 (check s.g.one): it is not sealed",
                 "log: attestation #4: its log index is 5, the log's next is 4"):
        assert said in out, (said, out)


def test_a_rewritten_attestation_with_its_digest_recomputed_fails_its_signature(store_url: str,
                                                                                signer: Signer) -> None:
    store = world(store_url, signer)
    with store.transaction("forge") as session:
        row = session.get(attestations.AttestationRow, 1)
        assert row is not None
        row.reason = "forged"
        row.digest = attestations.digest(row)
    code, out = verify(store_url)
    assert code == 1 and "does not verify: it was changed after signing" in out
    store.close()


def test_unsigned_attestations_are_integrity_only_and_fail_a_trusted_key(store_url: str, signer: Signer) -> None:
    world(store_url, None).close()
    code, out = verify(store_url)
    assert code == 0 and "2 attestations unsigned, integrity only" in out
    code, out = verify(store_url, "--trusted-key", signer.fingerprint)
    assert code == 1 and "attestation #2 (check s.g.one): it is unsigned" in out


def test_a_claim_is_attested_with_a_copy_of_what_it_said(store_url: str, signer: Signer) -> None:
    store = world(store_url, signer)
    claim = a_claim(store)
    ident = say(store, "dispute", run_id=None, assessment_id=claim)
    with store.transaction("read") as session:
        row = session.get(attestations.AttestationRow, ident)
        assert row is not None and row.subject["claim"] == "yes" and row.run_id is None
    assert store.verify_signed(signer.fingerprint)[1] == []
    sql(store_url, f"UPDATE attestations SET subject = '{{\"claim\": \"no\"}}' WHERE id = {ident}")
    code, out = verify(store_url)
    assert code == 1 and f"attestation #{ident} (claim #{claim})" in out
    with pytest.raises(attestations.NoSubject):
        say(store, "attest", run_id=None, assessment_id=9999)
    store.close()


def test_a_removed_latest_attestation_shows_against_a_checkpoint(store_url: str, signer: Signer,
                                                                 tmp_path: Path) -> None:
    store = world(store_url, signer)
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_bytes(store.checkpoint(signer))
    store.close()
    sql(store_url, "DELETE FROM attestations WHERE id = 2")
    assert verify(store_url)[0] == 0  # the latest entry of a log: only a checkpoint can tell
    code, out = verify(store_url, "--checkpoint", str(checkpoint))
    assert code == 1 and "checkpoint has 4 sealed runs, the store only 3" in out


def test_attestations_stored_before_0006_are_sealed_by_the_migration(tmp_path: Path) -> None:
    from alembic import command

    from conformance.evidence import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = EvidenceStore(url, find_key=False)
    store.finish_run(run("r1"))
    with store.engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0005")
    store.close()
    sql(url, "INSERT INTO attestations (run_id, check_id, action, reason, by, at) VALUES "
             "('r1', 's.g.two', 'dispute', 'kept from before', 'ass', '2026-11-30T10:00:00.000Z')")
    with EvidenceStore(url, find_key=False) as reopened:
        assert reopened.migrated == ("0005", migrate.head())
        count, problems, note = reopened.verify_signed(None)
        assert (count, problems) == (1, []) and "1 attestation unsigned" in note
    sql(url, "UPDATE attestations SET reason = 'rewritten' WHERE id = 1")
    code, out = verify(url)
    assert code == 1 and "attestation #1 (check s.g.two)" in out


def test_a_pack_carries_its_runs_attestations_and_a_changed_one_is_found(tmp_path: Path, signer: Signer) -> None:
    import json

    from conformance.evidence.schema import canonical_json
    from conformance.evidence.verify import verify_pack_signed

    store = world(f"sqlite:///{tmp_path / 'c.db'}", signer)
    pack = tmp_path / "r1.pack"
    store.export("r1", pack)
    store.export("r2", tmp_path / "r2.pack")
    store.close()
    body = json.loads(pack.read_bytes())
    assert [a["action"] for a in body["attestations"]] == ["dispute", "resolve"]
    assert "attestations" not in json.loads((tmp_path / "r2.pack").read_bytes())  # nobody attested r2
    assert verify_pack_signed(pack, signer.fingerprint)[1] == []
    body["attestations"][0]["reason"] = "nothing to see"
    pack.write_bytes(canonical_json(body) + b"\n")
    _, problems, _ = verify_pack_signed(pack, None)
    assert [(p.where, p.what) for p in problems] == [
        ("attestation #1", "its action, reason, author, time or subject were changed after it was sealed")]
    del body["attestations"][0]["signature"]
    body["attestations"][0]["reason"] = "dispute: synthetic"
    pack.write_bytes(canonical_json(body) + b"\n")
    result = CliRunner().invoke(main, ["evidence", "verify", str(pack), "--trusted-key", signer.fingerprint])
    assert result.exit_code == 1 and "attestation #1: it is unsigned" in result.output, result.output
