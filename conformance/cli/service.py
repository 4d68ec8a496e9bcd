"""``conformance serve`` and ``conformance users add|role|list|token|revoke``: the service's commands,
registered on the main group like every other command module of this package."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from conformance.cli.common import STORE_HELP, main
from conformance.cli.common import guard as _guard


@main.command("serve")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: a free one).")
@click.option("--model", "model_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Capability model directory (default: profiles/maturity).")
@click.option("--ssl-certfile", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Serve HTTPS with this certificate (PEM); session cookies are then Secure.")
@click.option("--ssl-keyfile", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="The certificate's private key (PEM).")
def serve(store_url: str | None, host: str, port: int, model_dir: Path | None, ssl_certfile: Path | None,
          ssl_keyfile: Path | None) -> None:
    """The web application and JSON API (/api/v1) over the evidence store, until Ctrl-C."""

    def body() -> int:
        import socket

        import uvicorn

        from conformance.evidence.store import EvidenceStore
        from conformance.maturity.model import load_model
        from conformance.service.app import create_app

        if (ssl_certfile is None) != (ssl_keyfile is None):
            click.echo("conformance: serve: give --ssl-certfile and --ssl-keyfile together", err=True)
            return 2
        # The operator's key (if any) signs each attestation as it is written, as it signs each seal.
        with EvidenceStore(store_url) as store:
            _ = store.signer  # a broken key file: exit 2 now, not a failed attestation later
            app = create_app(store, load_model(model_dir))
            try:
                sock = socket.create_server((host, port))
                # Accepted connections inherit it: without, responses wait on the client's delayed ACK (40 ms).
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError as exc:
                click.echo(f"conformance: serve: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
                return 2
            from conformance.service.runs_start import Launcher
            from conformance.service.secretbox import ServiceKeyError, key_file_for, load_box

            try:
                box = load_box(key_file_for(store))
            except ServiceKeyError as exc:
                click.echo(f"conformance: serve: {exc}", err=True)
                sock.close()
                return 2
            app.state.launcher = Launcher(store, box, Path("reports"))
            scheme = "https" if ssl_certfile else "http"
            bound_host, bound_port = sock.getsockname()[:2]
            click.echo(f"conformance: serving {store.url} at {scheme}://{bound_host}:{bound_port}/ (Ctrl-C stops)",
                       err=True)
            click.echo(f"conformance: {box.origin}", err=True)  # after: scripts wait for the line above
            config = uvicorn.Config(app, log_level="warning", ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
            try:
                uvicorn.Server(config).run(sockets=[sock])
            finally:
                app.state.launcher.close()  # a run under way is finished and stored before the store closes
        return 0

    _guard(body)


@main.group("users")
def users() -> None:
    """Accounts of the web application: add, grant roles, list, API tokens."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


ROLE_HELP = ("admin | national | commissioner (--scope FOOTPRINT) | member, lead (--scope ODS) | supplier "
             "(--scope VENDOR) | assessor (--scope FOOTPRINT or ODS) | panel (--scope COMPARISON)")


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, help=ROLE_HELP)
@click.option("--scope", "scopes", multiple=True, metavar="WHAT", help="What the role covers (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def users_add(name: str, role: str, scopes: tuple[str, ...], password_stdin: bool, store_url: str | None) -> None:
    """Create an account with a role (the first admin: `conformance users add NAME --role admin`)."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore
        from conformance.service.accounts import add_user

        password = _password(password_stdin)
        with EvidenceStore(store_url, find_key=False) as store:
            add_user(store, name, password, role, scopes)
        click.echo(f"user {name} added as {role}{' of ' + ', '.join(scopes) if scopes else ''}")
        return 0

    _guard(body)


@users.command("role")
@click.argument("name")
@click.option("--role", required=True, help=ROLE_HELP)
@click.option("--scope", "scopes", multiple=True, metavar="WHAT", help="What the role covers (repeatable).")
@click.option("--remove", is_flag=True, help="Withdraw the role instead of granting it.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def users_role(name: str, role: str, scopes: tuple[str, ...], remove: bool, store_url: str | None) -> None:
    """Grant a user a role over a scope (or withdraw it with --remove)."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore
        from conformance.service.accounts import set_role

        with EvidenceStore(store_url, find_key=False) as store:
            set_role(store, name, role, scopes, remove)
        click.echo(f"user {name}: {role} {'withdrawn' if remove else 'granted'}")
        return 0

    _guard(body)


@users.command("list")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def users_list(store_url: str | None) -> None:
    """Every account and its roles."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore
        from conformance.service.accounts import list_users

        with EvidenceStore(store_url, find_key=False) as store:
            for name, roles in list_users(store):
                click.echo(f"{name}: {'; '.join(roles) or 'no role'}")
        return 0

    _guard(body)


@users.command("token")
@click.argument("name")
@click.option("--permission", "permissions", multiple=True, metavar="P",
              help="runs:read, records:read, runs:write (default the two read permissions).")
@click.option("--label", default="", help="What the token is for (shown in the account page).")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def users_token(name: str, permissions: tuple[str, ...], label: str, store_url: str | None) -> None:
    """Make an API token for CI; printed once on stdout (only its SHA-256 is kept)."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore
        from conformance.service.auth import READ_PERMISSIONS, create_token

        with EvidenceStore(store_url, find_key=False) as store:
            token_id, token = create_token(store, name, permissions or READ_PERMISSIONS, label)
        click.echo(f"token {token_id} for {name} (shown once; revoke: conformance users revoke {token_id}):", err=True)
        click.echo(token)
        return 0

    _guard(body)


@users.command("revoke")
@click.argument("token_id", type=int)
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def users_revoke(token_id: int, store_url: str | None) -> None:
    """Revoke an API token by its number."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore
        from conformance.service.auth import revoke_token

        with EvidenceStore(store_url, find_key=False) as store:
            if not revoke_token(store, token_id):
                click.echo(f"conformance: users revoke: no valid token {token_id}", err=True)
                return 2
        click.echo(f"token {token_id} revoked")
        return 0

    _guard(body)


@users.command("oidc")
@click.argument("name")
@click.option("--issuer", required=True, metavar="URL", help="The OpenID provider (as CONFORMANCE_OIDC_ISSUER).")
@click.option("--subject", default="", metavar="SUB", help="The identity's subject (its `sub` claim).")
@click.option("--email", default="", metavar="ADDRESS", help="Or its email, which the provider must say it verified.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def users_oidc(name: str, issuer: str, subject: str, email: str, store_url: str | None) -> None:
    """Let account NAME sign in through an OpenID provider as this identity (its roles stay its own)."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore
        from conformance.service.oidc import register_identity

        with EvidenceStore(store_url, find_key=False) as store:
            register_identity(store, name, issuer, subject, email)
        click.echo(f"user {name}: may sign in through {issuer} as {subject or email}")
        return 0

    _guard(body)


@main.group("comparisons")
def comparisons_group() -> None:
    """Named comparisons of systems' runs, shared with a procurement panel (role panel)."""


@comparisons_group.command("add")
@click.argument("name")
@click.argument("run_ids", nargs=-1, required=True, metavar="RUN...")
@click.option("--title", default="", help="What the panel is choosing (shown as the page's title).")
@click.option("--requirements", "requirements_file", type=click.Path(path_type=Path, dir_okay=False),
              help="The buyer's weighted requirements (as `conformance compare --requirements`); default: the "
                   "shipped example set.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
def comparisons_add(name: str, run_ids: tuple[str, ...], title: str, requirements_file: Path | None,
                    store_url: str | None) -> None:
    """Create (or replace) comparison NAME of the given runs; every run must be in the store."""

    def body() -> int:
        from conformance.evidence.store import EvidenceStore, RunNotFound
        from conformance.maturity.compare import load_requirements
        from conformance.service.accounts import save_comparison

        own = ""
        if requirements_file is not None:
            load_requirements(requirements_file)  # checked now: a bad file is refused, never stored
            own = requirements_file.read_text(encoding="utf-8")
        with EvidenceStore(store_url, find_key=False) as store:
            known = {r["id"] for r in store.list_runs()}
            missing = [r for r in run_ids if r not in known]
            if missing:
                raise RunNotFound(f"store {store.url}: no run {missing[0]!r}")
            save_comparison(store, name, list(run_ids), title, own)
        click.echo(f"comparison {name}: {len(run_ids)} run(s); grant it: conformance users role NAME --role panel "
                   f"--scope {name}")
        return 0

    _guard(body)
