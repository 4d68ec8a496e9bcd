"""``conformance evidence verify|export|checkpoint`` and ``conformance keys init|show``: sealed evidence and
the key that signs it."""

from __future__ import annotations

from pathlib import Path

import click

from conformance.cli.common import STORE_HELP, guard, main, resolve_run, write_output

KEY_HELP = ("Signing key (PEM, Ed25519); default $CONFORMANCE_SIGNING_KEY, else "
            "~/.config/conformance/signing-key.pem.")


@main.group()
def evidence() -> None:
    """Verify and export sealed evidence: exit 0 intact, 1 a change was found, 2 usage."""


@evidence.command("verify")
@click.argument("pack", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--trusted-key", "trusted_keys", metavar="KEY", multiple=True,
              help="Require signatures by this key (every seal in a store; a pack, its seal, a checkpoint): "
                   "its fingerprint, base64 public key, or a file of either. Repeat to trust several (rotation).")
@click.option("--checkpoint", "checkpoint", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Also prove the store's seal log extends this published checkpoint (no run removed or "
                   "rewritten), or that the PACK's seal is in the log it commits to.")
def evidence_verify(pack: Path | None, store_url: str | None, trusted_keys: tuple[str, ...],
                    checkpoint: Path | None) -> None:
    """Recompute every seal, chain and evidence digest in the store, or in one exported PACK."""

    def body() -> int:
        from conformance.evidence.keys import trusted_fingerprint
        from conformance.evidence.store import EvidenceStore
        from conformance.evidence.verify import Problem, verify_pack_signed

        for key in trusted_keys:
            trusted_fingerprint(key)  # a key that names nothing: exit 2 now, not "signed by another key"
        trusted = trusted_keys or None
        if pack is not None:
            if store_url:
                click.echo("conformance: evidence verify: give a PACK or --store, not both", err=True)
                return 2
            if not pack.is_file():
                click.echo(f"conformance: evidence verify: {pack}: no such file", err=True)
                return 2
            cp = checkpoint.read_bytes() if checkpoint is not None else None
            run_id, problems, note = verify_pack_signed(pack, trusted, cp)
            what = f"pack {pack} (run {run_id or '?'})"
        else:
            with EvidenceStore(store_url, find_key=False) as store:
                count, problems, note = store.verify_signed(trusted)
                what = f"store {store.url} ({count} sealed run{'s' * (count != 1)})"
                if checkpoint is not None:
                    found, cp_note = store.check_checkpoint(checkpoint.read_bytes(), trusted)
                    problems.extend(Problem("", "checkpoint", p) for p in found)
                    note = f"{note}; {cp_note}"
                else:
                    note += " (a removed latest run shows only against a checkpoint: --checkpoint)"
        for problem in problems:
            click.echo(problem.line())
        if problems:
            click.echo(f"FAILED: {what}: {len(problems)} problem{'s' * (len(problems) != 1)}", err=True)
            return 1
        click.echo(f"OK: {what}: every digest and link verified; {note}")
        return 0

    guard(body)


@evidence.command("export")
@click.argument("run_id", metavar="RUN_ID|latest")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Write the pack here.")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--key", "key", type=click.Path(path_type=Path, dir_okay=False), help=KEY_HELP)
@click.option("--checkpoint", "checkpoint", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Prove the run is in the log this published checkpoint commits to (verifiable offline).")
def evidence_export(run_id: str, output: Path, store_url: str | None, key: Path | None,
                    checkpoint: Path | None) -> None:
    """Write sealed run RUN_ID as one file that `conformance evidence verify PACK` checks anywhere."""

    def body() -> int:
        from conformance.evidence.keys import find_signer
        from conformance.evidence.store import EvidenceStore

        signer = find_signer(key)
        with EvidenceStore(store_url, find_key=False) as store:
            size = store.export(resolve_run(store, run_id), output, signer,
                                checkpoint.read_bytes() if checkpoint else None)
        how = (f"signed by {signer.fingerprint}" if signer else
               "no pack signature (no signing key: `conformance keys init`); the seal's own signature, if any, is kept")
        click.echo(f"{output} ({size:,} bytes, {how})")
        return 0

    guard(body)


@evidence.command("checkpoint")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the checkpoint here (default: standard output).")
@click.option("--store", "store_url", metavar="URL", help=STORE_HELP)
@click.option("--key", "key", type=click.Path(path_type=Path, dir_okay=False), help=KEY_HELP)
def evidence_checkpoint(output: Path | None, store_url: str | None, key: Path | None) -> None:
    """Sign the seal log's size and RFC 9162 root: publish it, and `verify --checkpoint` detects later loss."""

    def body() -> int:
        from conformance.evidence.keys import SigningKeyError, find_signer
        from conformance.evidence.store import EvidenceStore

        signer = find_signer(key)
        if signer is None:
            raise SigningKeyError("no signing key: create one with `conformance keys init`")
        with EvidenceStore(store_url, find_key=False) as store:
            data = store.checkpoint(signer)
        if output is None:
            click.echo(data.decode("ascii"), nl=False)
        else:
            write_output(output, data.decode("ascii"))
        return 0

    guard(body)


@main.group()
def keys() -> None:
    """The Ed25519 key that signs packs and checkpoints (never written into any report or pack)."""


@keys.command("init")
@click.option("--key", "key", type=click.Path(path_type=Path, dir_okay=False), help=KEY_HELP)
def keys_init(key: Path | None) -> None:
    """Create a signing key (refuses to overwrite one); prints its public key fingerprint."""

    def body() -> int:
        from conformance.evidence.keys import init_key, key_path

        path = key_path(key)
        signer = init_key(path)
        click.echo(f"{path}: new Ed25519 key; public key {signer.public_b64}; fingerprint {signer.fingerprint}")
        return 0

    guard(body)


@keys.command("show")
@click.option("--key", "key", type=click.Path(path_type=Path, dir_okay=False), help=KEY_HELP)
def keys_show(key: Path | None) -> None:
    """Print the signing key's public key and fingerprint (give these to whoever verifies)."""

    def body() -> int:
        from conformance.evidence.keys import SigningKeyError, find_signer, key_path

        signer = find_signer(key)
        if signer is None:
            raise SigningKeyError(f"no signing key at {key_path(key)}: create one with `conformance keys init`")
        click.echo(f"public key {signer.public_b64}\nfingerprint {signer.fingerprint}")
        return 0

    guard(body)
