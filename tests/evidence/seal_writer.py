"""A separate process that seals runs into a store, for the concurrent-writer test:
``python -m tests.evidence.seal_writer URL KEY ORG COUNT GO_FILE [PREFIX]`` (waits, bounded, for GO_FILE
first); its runs are PREFIX-0, PREFIX-1... (PREFIX defaults to ORG, so writers of one organisation differ)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from conformance.evidence.keys import load_key
from conformance.evidence.store import EvidenceStore
from tests.evidence.test_seal import run


def main(url: str, key: str, org: str, count: int, go: Path, prefix: str) -> None:
    store = EvidenceStore(url, signer=load_key(Path(key)))
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the go file never appeared")
        time.sleep(0.01)
    for n in range(count):
        store.finish_run(run(f"{prefix}-{n}", ods=org))
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), Path(sys.argv[5]),
         sys.argv[6] if len(sys.argv) > 6 else sys.argv[3])
