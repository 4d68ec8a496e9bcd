"""The ``conformance`` command group and what every command shares: its guard (every failure a message and
an exit code, never a traceback), the one-line error, the store option's help and ``latest``.

Exit codes (DESIGN.md): 0 all required checks passed / input valid; 1 failures found; 2 usage or
configuration error, with one line and no traceback; 3 the harness itself failed (or the run was
aborted: the target stopped answering, the run deadline passed); 130 interrupted by Ctrl-C.

Command modules import this one and register on :data:`main`; this module imports none of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from conformance import __version__
from conformance.errors import EXIT_BROKEN_PIPE, EXIT_HARNESS, EXIT_INTERRUPTED, HarnessError, exit_code

STORE_HELP = "Evidence store URL (default: sqlite:///reports/conformance.db under the working directory)."
LATEST = "latest"


def _say(message: str) -> None:
    """One line on stderr, scrubbed of every secret the run met (an exception may quote one)."""
    from conformance.scrub import RUN

    click.echo(RUN.text(message), err=True)


def guard(fn: Callable[[], int]) -> None:
    """Run a command body; turn every failure into a message and an exit code, never a traceback."""
    try:
        code = fn()
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except HarnessError as exc:  # errors.py maps each to its exit code: 2 usage/configuration, 3 unreachable
        _say(f"conformance: {exc}")
        code = exit_code(exc)
    except KeyboardInterrupt:
        click.echo("conformance: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`conformance suites list | head`): nothing to report, but the output and the verdict
        # it ended with were not all delivered, so not success either: 128 + SIGPIPE, as Unix tools end there
        # (`set -o pipefail` then sees it).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    except Exception as exc:
        if os.environ.get("CONFORMANCE_DEBUG"):
            raise
        _say(f"conformance: internal error: {type(exc).__name__}: {exc} (set CONFORMANCE_DEBUG=1 for a traceback)")
        code = EXIT_HARNESS
    sys.exit(code)


def write_output(path: Path | None, text: str) -> None:
    """Write a command's output file (when one is named) and print its path; a path that cannot be written
    is a one-line usage error."""
    if path is not None:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
        click.echo(str(path))


def resolve_run(store: Any, run_id: str) -> str:
    """``latest`` -> the newest complete run's id; any other id unchanged."""
    from conformance.evidence.store import RunNotFound

    if run_id != LATEST:
        return run_id
    complete = [r for r in store.list_runs() if r["evidence"]]
    if not complete:
        raise RunNotFound(f"store {store.url}: no complete run yet, so no 'latest' "
                          "(`conformance demo` or `conformance run --target FILE` stores one)")
    return str(max(complete, key=lambda r: (r["finished"] or "", r["id"]))["id"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conformance")
def main() -> None:
    """Test health IT systems for interoperability and keep the evidence."""
