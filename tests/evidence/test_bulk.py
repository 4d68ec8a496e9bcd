"""The bulk write path (evidence/bulk.py): what it stores reads back whole and verifies against the
verifier's own digests, awkward values included (NaN, non-JSON metrics, shared evidence); a run stored
twice before sealing keeps only its second outcomes; the same organisation sealed in order."""

from __future__ import annotations

import math

from conformance.evidence.store import EvidenceStore
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status


def _result(run_id: str, n: int, duration: float = 1.5) -> RunResult:
    info = RunInfo(id=run_id, started="2026-01-01T00:00:00.000Z", finished="2026-01-01T00:00:01.000Z",
                   harness_version="t", target={"name": "bulk", "organisation": {"ods_code": "BULK1"}})
    shared = Evidence("http", "GET /same", {"status": 200})
    results = [CheckResult(id=f"c.{k}", suite="c", group="c", title=f"check {k}", status=Status.PASS, required=True,
                           requirements=("R:1",), capabilities=["cap"], duration_ms=duration,
                           metrics={"p50": math.nan, "at": {1, 2} if k == 0 else "x", 3: "int key"},
                           evidence=[shared, Evidence("text", f"own {k}", {"k": k, "inf": math.inf})])
               for k in range(n)]
    return RunResult(run=info, results=results)


def test_bulk_rows_read_back_and_verify(store_url: str) -> None:
    with EvidenceStore(store_url, find_key=False) as store:
        store.start_run(_result("bulk-1", 1).run)
        store.finish_run(_result("bulk-1", 5, duration=math.nan))
        store.finish_run(_result("bulk-2", 3))
        back, status = store.get_result("bulk-1")
        count, problems = store.verify()
        with store.transaction("read") as session:
            from sqlalchemy import func, select

            from conformance.evidence.schema import BlobRow, SealRow

            blobs = session.scalar(select(func.count()).select_from(BlobRow))
            seals = session.execute(select(SealRow.run_id, SealRow.sequence).order_by(SealRow.sequence)).all()
    assert (count, problems, status) == (2, [], "complete")
    assert [r.id for r in back.results] == [f"c.{k}" for k in range(5)]
    assert back.results[2].evidence[1].data == {"k": 2, "inf": None}
    assert back.results[0].metrics["p50"] is None and back.results[0].metrics["3"] == "int key"
    assert blobs == 1 + 5  # the shared item once, then one per outcome of bulk-1 (bulk-2's are the same)
    assert [tuple(s) for s in seals] == [("bulk-1", 1), ("bulk-2", 2)]


def test_compressed_evidence_is_zlib_that_any_reader_opens() -> None:
    """Small items are stored (level 0: deflate makes them no smaller), the rest deflated with state sized
    to them: zlib.decompress opens every one, and the sizing costs no compression worth the name."""
    import random
    import zlib

    from conformance.evidence.bulk import STORE_BELOW, compressed

    rng = random.Random(23)
    for size in [*range(0, 300), *range(300, 40000, 997)]:
        raw = bytes(rng.choice(b'{"kind":"http","data":[0,1,2]} ') for _ in range(size))
        packed = compressed(raw)
        assert zlib.decompress(packed) == raw, size
        if size < STORE_BELOW:
            assert packed == zlib.compress(raw, 0), size
        else:
            assert len(packed) <= len(zlib.compress(raw, 6)) * 1.02 + 8, size
