"""Sealing and verification: any changed, removed or re-ordered byte of stored evidence, or of an
exported pack, is detected and located; intact stores and packs verify clean (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from conformance.evidence.store import EvidenceStore, StoreError
from conformance.evidence.verify import verify_pack
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status


def run(run_id: str, ods: str = "RXX01", started: str = "2026-01-01T10:00:00.000Z") -> RunResult:
    info = RunInfo(id=run_id, started=started, finished=started, harness_version="t", suites=["s"],
                   target={"name": "T", "organisation": {"ods_code": ods, "name": "Trust", "kind": "provider"},
                           "system": {"vendor": "Acme", "product": "EPR", "version": "1"},
                           "endpoints": {"fhir": "http://fhir.example.test"}})

    def outcome(cid: str, status: Status, bodies: list[str]) -> CheckResult:
        return CheckResult(id=cid, suite="s", group="s.g", title=cid, status=status, required=True,
                           requirements=["R1"], capabilities=[],
                           evidence=[Evidence("http", f"GET {b}", {"body": b}) for b in bodies])

    return RunResult(run=info, results=[outcome("s.g.one", Status.PASS, ["a", "b"]),
                                        outcome("s.g.two", Status.FAIL, [f"c-{run_id}"]),
                                        outcome("s.g.three", Status.SKIP, [])])


def stored(url: str, *ids: str) -> EvidenceStore:
    store = EvidenceStore(url)
    for n, rid in enumerate(ids):
        store.finish_run(run(rid, started=f"2026-01-0{n + 1}T10:00:00.000Z"))
    return store


def sql(url: str, statement: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_intact_store_verifies_and_runs_chain_per_organisation(store_url: str) -> None:
    store = stored(store_url, "r1", "r2", "r3")
    store.finish_run(run("other", ods="XOTH1"))
    count, problems = store.verify()
    assert (count, problems) == (4, [])


@pytest.mark.parametrize(("statement", "where", "what"), [
    ("UPDATE outcomes SET message = 'edited' WHERE check_id = 's.g.two' AND run_id = 'r2'",
     "outcome s.g.two", "changed"),
    ("UPDATE outcomes SET status = 'pass' WHERE check_id = 's.g.two' AND run_id = 'r2'", "outcome s.g.two",
     "changed"),
    ("DELETE FROM evidence WHERE position = 1 AND outcome_id IN (SELECT id FROM outcomes WHERE run_id = 'r2' "
     "AND check_id = 's.g.one')", "outcome s.g.one", "changed"),
    ("UPDATE evidence SET position = 1 - position WHERE outcome_id IN (SELECT id FROM outcomes WHERE run_id = 'r2' "
     "AND check_id = 's.g.one')", "outcome s.g.one", "re-ordered"),
    ("UPDATE outcomes SET position = 5 - position WHERE run_id = 'r2'", "outcome", "changed"),
    ("UPDATE runs SET finished = '2030-01-01' WHERE id = 'r2'", "seal", "header"),
    ("UPDATE seals SET digest = 'x' || substr(digest, 2) WHERE run_id = 'r1'", "chain", "broken"),
    ("DELETE FROM seals WHERE run_id = 'r3'", "seal", "no seal"),
])
def test_a_change_to_stored_rows_is_found_and_located(store_url: str, statement: str, where: str,
                                                      what: str) -> None:
    stored(store_url, "r1", "r2", "r3").close()
    sql(store_url, statement)
    _, problems = EvidenceStore(store_url).verify()
    assert problems, statement
    assert any(where in p.where and what in p.line() for p in problems), [p.line() for p in problems]


def test_a_removed_run_breaks_the_chain_after_it(store_url: str) -> None:
    stored(store_url, "r1", "r2", "r3").close()
    for statement in ("DELETE FROM seals WHERE run_id = 'r2'", "DELETE FROM runs WHERE id = 'r2'"):
        sql(store_url, statement)
    _, problems = EvidenceStore(store_url).verify()
    # the organisation's chain and the store-wide log index both show the gap
    assert [(p.run_id, p.where) for p in problems] == [("r3", "chain"), ("r3", "log")]


def test_every_flipped_bit_of_every_stored_evidence_content_is_found(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    stored(url, "r1").close()
    engine = create_engine(url)
    with engine.connect() as conn:
        blobs = conn.execute(text("SELECT sha256, content FROM evidence_blobs")).all()
    engine.dispose()
    assert len(blobs) == 3
    for sha, content in blobs:
        for index in range(len(content)):
            changed = bytearray(content)
            changed[index] ^= 0x01
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("UPDATE evidence_blobs SET content = :c WHERE sha256 = :s"),
                             {"c": bytes(changed), "s": sha})
            engine.dispose()
            _, problems = EvidenceStore(url).verify()
            assert any("evidence #" in p.where for p in problems), (sha, index)
            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("UPDATE evidence_blobs SET content = :c WHERE sha256 = :s"),
                             {"c": content, "s": sha})
            engine.dispose()
    assert EvidenceStore(url).verify()[1] == []


def test_every_flipped_byte_of_an_exported_pack_is_found(store_url: str, tmp_path: Path) -> None:
    store = stored(store_url, "r1", "r2")
    pack = tmp_path / "r2.pack"
    store.export("r2", pack)
    assert verify_pack(pack) == ("r2", [])
    data = pack.read_bytes()
    assert len(data) < 5000  # small enough to try every position
    missed = []
    for index in range(len(data)):
        changed = bytearray(data)
        changed[index] ^= 0x01
        pack.write_bytes(bytes(changed))
        if not verify_pack(pack)[1]:
            missed.append(index)
    assert missed == []


def test_a_run_that_is_not_complete_cannot_be_exported(store_url: str, tmp_path: Path) -> None:
    store = EvidenceStore(store_url)
    store.start_run(run("r1").run)
    with pytest.raises(StoreError, match="not sealed"):
        store.export("r1", tmp_path / "x.pack")
