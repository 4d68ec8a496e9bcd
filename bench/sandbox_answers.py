#!/usr/bin/env python3
"""Do two source trees' sandboxes give the same answers? Checks that a change for speed changed no answer.

    .venv/bin/python bench/sandbox_answers.py --trees /tmp/main,. [--faults ,etag-missing,...]
                                              [--select PATTERN,...] [--targets 2]

For each fault: the harness runs ``--targets`` targets one after another against a sandbox of the first tree,
every request it sends recorded (method, URL, headers, body); then the same requests are replayed, in order,
against a fresh sandbox of each tree, and the answers compared: status, headers (in order) and body bytes,
with instants and HTTP dates (lastUpdated, the statement's date, Date, Last-Modified) masked, since they are
read from the clock. Ids come from a counter, so a fresh sandbox gives the recorded requests the same ids.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.campaign_throughput import campaign_file, embedded  # noqa: E402
from bench.sandbox_cpu import start  # noqa: E402

_INSTANT = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
_HTTP_DATE = re.compile(rb"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT")
Request = tuple[str, str, list[tuple[str, str]], bytes]


def record(tmp: Path, url: str, select: list[str], targets: int) -> list[Request]:
    """The requests the harness sends, in order, running ``targets`` targets one after another."""
    from tests.campaign.helpers import write_targets

    sent: list[Request] = []
    send = httpx.AsyncClient.send

    async def recorded(self: httpx.AsyncClient, request: httpx.Request, *args: object,
                       **kwargs: object) -> httpx.Response:
        sent.append((request.method, str(request.url), list(request.headers.multi_items()), request.content))
        return await send(self, request, *args, **kwargs)  # type: ignore[arg-type]

    httpx.AsyncClient.send = recorded  # type: ignore[method-assign]
    try:
        write_targets(tmp / "targets", [url] * targets)
        embedded(f"sqlite:///{tmp / 'record.db'}", campaign_file(tmp, "record", select, 1), 1)
    finally:
        httpx.AsyncClient.send = send  # type: ignore[method-assign]
    return sent


def replay(requests: list[Request], recorded_base: str, base: str) -> list[bytes]:
    """Each answer as one masked byte string: status line, headers in order, body."""
    answers = []
    with httpx.Client(timeout=30) as client:
        for method, url, headers, body in requests:
            kept = [(k, v) for k, v in headers if k.lower() not in ("host", "content-length")]
            response = client.request(method, url.replace(recorded_base, base), headers=kept, content=body)
            lines = [f"{response.status_code}".encode()]
            lines += [f"{k}: {v}".encode() for k, v in response.headers.multi_items() if k.lower() != "date"]
            text = b"\n".join([*lines, b"", response.content]).replace(base.encode(), b"BASE")
            answers.append(_HTTP_DATE.sub(b"HTTP-DATE", _INSTANT.sub(b"INSTANT", text)))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", required=True, help="two source trees, comma-separated (a PATH+asyncio tree "
                                                       "runs without uvloop, as in bench/sandbox_cpu.py)")
    parser.add_argument("--faults", default=",etag-missing,history-oldest-first,metadata-fhir-version-3")
    parser.add_argument("--select", default="fhir-rest.*")
    parser.add_argument("--targets", type=int, default=2)
    args = parser.parse_args()
    from tests.campaign.helpers import stop

    trees = [Path(t).absolute() for t in args.trees.split(",") if t.strip()]
    select = [p.strip() for p in args.select.split(",") if p.strip()]
    differ = 0
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for n, fault in enumerate(args.faults.split(",")):
            proc, url = start(trees[0], fault, 0, None, tmp)
            try:
                requests = record(tmp / f"rec-{n}", url, select, args.targets)
            finally:
                stop(proc)
            answers = []
            for tree in trees:
                proc, base = start(tree, fault, 0, None, tmp)
                try:
                    answers.append(replay(requests, url.removesuffix("/fhir"), base.removesuffix("/fhir")))
                finally:
                    stop(proc)
            diffs = [i for i, (a, b) in enumerate(zip(*answers, strict=True)) if a != b]
            differ += len(diffs)
            print(f"fault {fault or 'none'}: {len(requests)} requests replayed, {len(diffs)} answers differ")
            for i in diffs[:3]:
                print(f"  {requests[i][0]} {requests[i][1]}\n  < {answers[0][i][:600]!r}\n  > {answers[1][i][:600]!r}")
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
