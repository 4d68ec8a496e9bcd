"""Schema migrations: a store written by the first release (no Alembic, evidence inline) and a store at
revision 0001 both open on this version with nothing lost, sealed and verifiable."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from conformance.evidence import migrate
from conformance.evidence.schema import evidence_sha256
from conformance.evidence.store import EvidenceStore, StoreError

EVIDENCE = {"request": {"method": "GET", "url": "http://x.test/Patient/1"}, "response": {"status": 200}}


def old_store(url: str, keep_alembic: bool) -> None:
    """Build revision 0001 and fill it the way the first release wrote runs."""
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0001")
        target = {"name": "Old", "organisation": {"ods_code": "ROLD1", "name": "Old Trust"}}
        for n, status in enumerate(("complete", "complete", "incomplete")):
            conn.execute(text(
                "INSERT INTO runs (id, started, finished, target_name, target, ods_code, harness_version, suites, "
                "summary, status) VALUES (:id, :s, :s, 'Old', :t, 'ROLD1', '0.1.0', '[\"fhir-rest\"]', '{}', :st)"),
                {"id": f"old-{n}", "s": f"2025-0{n + 1}-01T00:00:00.000Z", "t": json.dumps(target), "st": status})
            if status != "complete":
                continue
            conn.execute(text(
                "INSERT INTO outcomes (run_id, position, check_id, suite, group_name, title, status, required, "
                "message, duration_ms, requirements, capabilities, metrics) VALUES (:r, 0, 'fhir-rest.x', "
                "'fhir-rest', 'fhir-rest.g', 'X', 'pass', :req, '', 1.5, '[\"R\"]', '[]', '{}')"),
                {"r": f"old-{n}", "req": True})
            oid = conn.execute(text("SELECT id FROM outcomes WHERE run_id = :r"), {"r": f"old-{n}"}).scalar()
            conn.execute(text("INSERT INTO evidence (outcome_id, position, kind, summary, data, sha256) VALUES "
                              "(:o, 0, 'http', 'GET', :d, :h)"),
                         {"o": oid, "d": json.dumps(EVIDENCE), "h": evidence_sha256("http", "GET", EVIDENCE)})
        if not keep_alembic:
            conn.execute(text("DROP TABLE alembic_version"))
    engine.dispose()


@pytest.mark.parametrize("keep_alembic", [True, False], ids=["at-0001", "first-release"])
def test_an_older_store_is_migrated_with_nothing_lost(store_url: str, keep_alembic: bool) -> None:
    old_store(store_url, keep_alembic)
    store = EvidenceStore(store_url)
    assert store.migrated == ("0001", migrate.head())
    result, status = store.get_result("old-1")
    assert status == "complete" and result.results[0].evidence[0].data == EVIDENCE
    assert store.get_result("old-2")[1] == "incomplete"
    assert store.verify() == (2, [])
    tables = set(inspect(store.engine).get_table_names())
    assert {"organisations", "seals", "evidence_blobs", "systems", "assessments"} <= tables
    store.close()
    again = EvidenceStore(store_url)  # opening a current store changes nothing
    assert again.migrated == (migrate.head(), migrate.head())


def test_a_half_store_is_refused_not_migrated(store_url: str) -> None:
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE runs (id VARCHAR(10) PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not this version's schema"):
        EvidenceStore(store_url)
    engine = create_engine(store_url)
    assert set(inspect(engine).get_table_names()) == {"runs"}  # nothing written half-way
    engine.dispose()
