"""The seal log: checkpoints detect a deleted latest run and a rewritten older one (runs added later are
fine); a pack's seal is proven in a checkpoint's log; stores from before 0003 and format-2 packs still
verify; two processes sealing at once never share a log index (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from conformance.cli import main
from conformance.evidence import merkle, migrate
from conformance.evidence.keys import Signer, init_key
from conformance.evidence.schema import canonical_json
from conformance.evidence.seallog import CHECKPOINT_FORMAT, leaf
from conformance.evidence.signing import PACK_V2, UNSIGNED_NOTE, sign_pack, signature_block
from conformance.evidence.store import EvidenceStore, StoreError
from conformance.evidence.verify import verify_pack_signed
from tests.evidence.test_migrations import old_store
from tests.evidence.test_seal import run, sql
from tests.evidence.test_signed_store import resign, signed_store
from tests.evidence.test_signing import forge_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return init_key(tmp_path / "keys" / "signing-key.pem")


def delete_runs(url: str, ids: str) -> None:
    for statement in (
        f"DELETE FROM evidence WHERE outcome_id IN (SELECT id FROM outcomes WHERE run_id IN ({ids}))",
        f"DELETE FROM outcomes WHERE run_id IN ({ids})",
        f"DELETE FROM signatures WHERE run_id IN ({ids})",
        f"DELETE FROM seals WHERE run_id IN ({ids})",
        f"DELETE FROM runs WHERE id IN ({ids})",
    ):
        sql(url, statement)


def test_a_deleted_latest_signed_run_passes_alone_but_fails_against_a_checkpoint(store_url: str,
                                                                                signer: Signer) -> None:
    store = signed_store(store_url, signer, "r1", "r2", "r3")
    checkpoint = store.checkpoint(signer)
    delete_runs(store_url, "'r3'")
    assert store.verify_signed(signer.fingerprint)[1] == []  # every remaining seal is genuine and signed
    problems, _ = store.check_checkpoint(checkpoint, signer.fingerprint)
    assert problems == ["the checkpoint has 3 sealed runs, the store only 2: runs were removed"]


def test_a_rewritten_older_run_fails_against_a_checkpoint_later_runs_do_not(store_url: str, signer: Signer,
                                                                           tmp_path: Path) -> None:
    store = signed_store(store_url, signer, "r1", "r2", "r3")
    checkpoint = store.checkpoint(signer)
    for n in (4, 5):
        store.finish_run(run(f"r{n}", started=f"2026-01-0{n}T10:00:00.000Z"))
    assert store.check_checkpoint(checkpoint, signer.fingerprint)[0] == []  # only grew: consistent
    sql(store_url, "UPDATE outcomes SET status = 'pass' WHERE run_id = 'r1' AND status = 'fail'")
    forge_store(store)  # r1 rewritten, every digest and link after it recomputed
    resign(store, init_key(tmp_path / "forger.pem"))
    assert store.verify_signed(None)[1] == []
    problems, _ = store.check_checkpoint(checkpoint, signer.fingerprint)
    assert problems == ["the store's first 3 seals are not the ones checkpointed: a run was removed or rewritten"]


def test_a_pack_is_proven_in_a_checkpoints_log(store_url: str, signer: Signer, tmp_path: Path) -> None:
    store = signed_store(store_url, signer, "r1", "r2", "r3")
    checkpoint = store.checkpoint(signer)
    store.finish_run(run("r4", started="2026-01-04T10:00:00.000Z"))
    pack = tmp_path / "r2.pack"
    store.export("r2", pack, signer)  # proof in today's log of 4: not the checkpoint's
    problems = verify_pack_signed(pack, signer.fingerprint, checkpoint)[1]
    assert [p.what for p in problems] == ["its inclusion proof is for a log of 4 seals, the checkpoint's has 3: "
                                          "export the pack again with `--checkpoint` naming this checkpoint"]
    store.export("r2", pack, None, checkpoint)  # no exporter key: the seal's own signature authenticates it
    run_id, problems, note = verify_pack_signed(pack, signer.fingerprint, checkpoint)
    assert (run_id, problems) == ("r2", [])
    assert f"seal signed by {signer.fingerprint} (trusted key)" in note and "checkpoint of 3 run(s)" in note
    with pytest.raises(StoreError, match="sealed after the checkpoint"):
        store.export("r4", tmp_path / "r4.pack", signer, checkpoint)
    other = signed_store(store_url.replace("conformance.db", "other.db"), signer, "x1", "x2", "x3") \
        if store_url.startswith("sqlite") else None
    if other is not None:  # the same key, another log: the pack's seal is not in it
        problems = verify_pack_signed(pack, signer.fingerprint, other.checkpoint(signer))[1]
        assert [p.what for p in problems] == ["its seal is not in the log the checkpoint commits to: the run was "
                                              "rewritten, or the pack is from another log"]
    delete_runs(store_url, "'r3', 'r4'")
    with pytest.raises(StoreError, match="does not extend the checkpoint"):
        store.export("r2", pack, signer, checkpoint)


def test_pack_against_checkpoint_cli(tmp_path: Path, signer: Signer) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = signed_store(url, signer, "r1", "r2")
    (tmp_path / "cp.json").write_bytes(store.checkpoint(signer))
    store.close()
    cli = CliRunner()
    out = cli.invoke(main, ["evidence", "export", "r1", "-o", str(tmp_path / "p"), "--store", url,
                            "--checkpoint", str(tmp_path / "cp.json")])
    assert out.exit_code == 0, out.output
    ok = cli.invoke(main, ["evidence", "verify", str(tmp_path / "p"), "--checkpoint", str(tmp_path / "cp.json"),
                           "--trusted-key", signer.fingerprint])
    assert ok.exit_code == 0 and "checkpoint of 2 run(s)" in ok.output, ok.output
    other = init_key(tmp_path / "other.pem")
    bad = cli.invoke(main, ["evidence", "verify", str(tmp_path / "p"), "--checkpoint", str(tmp_path / "cp.json"),
                            "--trusted-key", other.fingerprint])
    assert bad.exit_code == 1 and "checkpoint: it is signed by" in bad.output and "Traceback" not in bad.output


def test_a_store_from_before_0003_migrates_and_verifies_as_unsigned(store_url: str, signer: Signer) -> None:
    old_store(store_url, keep_alembic=True)
    engine = create_engine(store_url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0002")
        rows = conn.execute(text("SELECT run_id, digest FROM seals ORDER BY sealed_at, run_id")).all()
    engine.dispose()
    leaves = [leaf(r, d) for r, d in rows]  # the log as it was checkpointed before 0003
    body = {"format": CHECKPOINT_FORMAT, "tree_size": len(leaves), "root_hash": merkle.root(leaves).hex(),
            "timestamp": "2026-01-01T00:00:00.000Z"}
    checkpoint = canonical_json({**body, "signature": signature_block(signer, canonical_json(body))})
    store = EvidenceStore(store_url, signer=signer)
    assert store.migrated == ("0002", migrate.head())
    assert store.verify_signed(None) == (2, [], f"2 seals {UNSIGNED_NOTE}")
    assert store.check_checkpoint(checkpoint, signer.fingerprint)[0] == []
    assert len(store.verify_signed(signer.fingerprint)[1]) == 2  # unsigned seals cannot meet a trusted key
    store.finish_run(run("new", ods="ROLD1", started="2026-02-01T00:00:00.000Z"))
    count, problems, note = store.verify_signed(None)
    assert (count, problems) == (3, []) and note.startswith(f"1 seal signed by {signer.fingerprint}")
    assert store.check_checkpoint(checkpoint, signer.fingerprint)[0] == []


def test_a_format_2_pack_as_the_previous_release_wrote_it_still_verifies(store_url: str, signer: Signer,
                                                                        tmp_path: Path) -> None:
    pack = tmp_path / "v2.pack"
    signed_store(store_url, None, "r1", "r2").export("r2", pack)
    body = json.loads(pack.read_bytes())
    del body["seal"]["log_index"]
    body = sign_pack({**body, "format": PACK_V2, "format_version": 2}, signer)
    pack.write_bytes(canonical_json(body) + b"\n")
    run_id, problems, note = verify_pack_signed(pack, signer.fingerprint)
    assert (run_id, problems, note) == ("r2", [], f"pack signed by {signer.fingerprint} (trusted key)")


def race(store_url: str, tmp_path: Path, writers: list[tuple[str, int, str]]) -> None:
    """One seal_writer process per (organisation, runs, run id prefix), all let go at once, signing with
    the ``signer`` fixture's key; each must succeed."""
    EvidenceStore(store_url, find_key=False).close()  # created once: the writers race on seals, not the schema
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.evidence.seal_writer", store_url,
                               str(tmp_path / "keys" / "signing-key.pem"), org, str(count), str(go), prefix],
                              cwd=ROOT, env=env, stderr=subprocess.PIPE) for org, count, prefix in writers]
    go.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode()[-2000:]


def test_two_processes_sealing_at_once_never_share_a_log_index(store_url: str, signer: Signer,
                                                               tmp_path: Path) -> None:
    race(store_url, tmp_path, [("RAAA1", 8, "RAAA1"), ("RBBB1", 8, "RBBB1")])
    engine = create_engine(store_url)
    with engine.connect() as conn:
        indices = conn.execute(text("SELECT log_index FROM seals ORDER BY log_index")).scalars().all()
    engine.dispose()
    assert indices == list(range(16))
    store = EvidenceStore(store_url, find_key=False)
    assert store.verify_signed(signer.fingerprint)[:2] == (16, [])


def test_writers_of_one_organisation_at_once_extend_one_unbroken_chain(store_url: str, signer: Signer,
                                                                       tmp_path: Path) -> None:
    """Three processes sealing runs of the same organisation at once (as campaign workers do): each seal
    takes the next place in the organisation's chain and in the log, none is lost, all verify signed."""
    race(store_url, tmp_path, [("RSAME", 6, f"w{n}") for n in range(3)])
    engine = create_engine(store_url)
    with engine.connect() as conn:
        chain = conn.execute(text("SELECT sequence, previous_digest, digest, log_index FROM seals "
                                  "WHERE ods_code = 'RSAME' ORDER BY sequence")).all()
    engine.dispose()
    assert [row[0] for row in chain] == list(range(1, 19))
    assert [row[1] for row in chain] == ["", *(row[2] for row in chain[:-1])]
    assert sorted(row[3] for row in chain) == list(range(18))
    store = EvidenceStore(store_url, find_key=False)
    assert store.verify_signed(signer.fingerprint)[:2] == (18, [])


def test_an_old_format_1_pack_cannot_be_placed_in_a_checkpoint_and_says_why(tmp_path: Path, signer: Signer) -> None:
    checkpoint = signed_store(f"sqlite:///{tmp_path / 's.db'}", signer, "r1").checkpoint(signer)
    fixture = Path(__file__).parent / "fixtures" / "v1.pack"
    run_id, problems, _ = verify_pack_signed(fixture, None, checkpoint)
    assert run_id == "r1" and [p.what for p in problems] == [
        "the pack has no inclusion proof (format 1): verify the store against the checkpoint instead"]
    broken = verify_pack_signed(fixture, None, b"{not json")[1]
    assert [p.what for p in broken] == ["checkpoint: not a readable checkpoint"]
