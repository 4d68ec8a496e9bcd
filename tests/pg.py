"""A throwaway PostgreSQL server on 127.0.0.1 for the store tests: initdb into a temp dir, start the
postmaster, yield its URL, stop it by its pid.

Needs PostgreSQL's server binaries (Debian's ``postgresql`` package, which ``.ci/run`` installs). A
missing server is a test failure with that instruction, never a silent skip. As root, the server runs
as the ``postgres`` user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 30.0


def _bindir() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "postgres").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server not installed: `apt-get install postgresql` (as .ci/run does)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield ``postgresql+psycopg://conformance@127.0.0.1:PORT/postgres``."""
    bindir = _bindir()
    user = "postgres" if os.geteuid() == 0 else None
    workdir = Path(tempfile.mkdtemp(prefix="conformance-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
    data = workdir / "data"
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "conformance", "-E", "UTF8",
                    "--no-sync"], check=True, capture_output=True, user=user, timeout=120)
    port = _free_port()
    # Its log goes to a file: a pipe nobody reads fills up over a long session and the server then
    # blocks on a log write (seen as a 30 s wait for the fast shutdown at the end of the tests).
    log_path = workdir / "postgres.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(workdir),
             "-c", "fsync=off", "-c", "max_connections=50"],
            stdout=subprocess.DEVNULL, stderr=log, user=user)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                err = log_path.read_text(errors="replace")
                raise RuntimeError(f"PostgreSQL did not start: {err[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not accept connections within 30 s") from None
                time.sleep(0.1)
        time.sleep(0.3)  # the port opens a moment before the server accepts logins
        yield f"postgresql+psycopg://conformance@127.0.0.1:{port}/postgres"
    finally:
        proc.send_signal(signal.SIGINT)  # fast shutdown
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def fresh_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server and return its URL (each test gets an empty one)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name
