"""``conformance sandbox``: serve the built-in reference systems on loopback for a target file to point at.

``--port 0`` / ``--mllp-port 0`` pick free ports (printed, so a script or test can read them);
``--env-file`` hands the sandbox's per-process OAuth client secret and key to a harness in another
process, the one thing a target file cannot name itself.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import click

from conformance.cli.common import guard, main
from conformance.session import EXIT_USAGE


def write_env_file(path: Path) -> None:
    """``export NAME='value'`` lines for the sandbox's registered client, readable by the owner only."""
    from conformance.sandbox.api import sandbox_credentials

    lines = [f"export {name}={shlex.quote(value)}\n" for name, value in sandbox_credentials().items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("# conformance sandbox credentials: valid while that sandbox process runs. `. ./FILE`\n")
        out.writelines(lines)


@main.command()
@click.option("--fault", "faults", multiple=True, metavar="NAME[=VALUE]", help="Switch on a fault (repeatable).")
@click.option("--list-faults", is_flag=True, help="List the fault switches and the checks each must make fail.")
@click.option("--json", "as_json", is_flag=True, help="With --list-faults: print JSON.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 for FHIR, the API, OAuth2 and real-time endpoint B; 0 picks a free one.")
@click.option("--mllp-port", default=2575, show_default=True, type=click.IntRange(0, 65535),
              help="Port on 127.0.0.1 for the HL7 v2 MLLP receiver; 0 picks a free one.")
@click.option("--env-file", "env_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the sandbox's OAuth client secret and key here (mode 0600) as `export` lines: "
                   "`. ./FILE` before `conformance run --target examples/targets/sandbox.toml`.")
def sandbox(faults: tuple[str, ...], list_faults: bool, as_json: bool, port: int, mllp_port: int,
            env_file: Path | None) -> None:
    """Serve the built-in reference FHIR server, MLLP receiver, booking API, OAuth2 server (with optional
    faults) on loopback, until Ctrl-C. examples/targets/ has target files that point at it."""

    def body() -> int:
        from conformance.sandbox.faults import FAULTS, parse_faults

        if list_faults:
            rows = [{"name": f.name, "description": f.description, "checks": list(f.checks)}
                    for f in FAULTS.values()]
            if as_json:
                click.echo(json.dumps(rows, indent=2))
            else:
                for row in rows:
                    click.echo(f"{row['name']}: {row['description']}\n    fails: {', '.join(row['checks'])}")
            return 0
        try:
            active = parse_faults(list(faults))
        except ValueError as exc:
            click.echo(f"conformance: --fault: {exc}", err=True)
            return EXIT_USAGE
        if env_file is not None:
            try:
                write_env_file(env_file)
            except OSError as exc:
                click.echo(f"conformance: sandbox: --env-file {env_file}: {exc.strerror or exc}", err=True)
                return EXIT_USAGE
        from conformance.sandbox.server import serve_forever

        try:
            serve_forever(active, port, mllp_port)
        except OSError as exc:
            click.echo(f"conformance: sandbox: {exc}", err=True)
            return EXIT_USAGE
        return 0

    guard(body)
