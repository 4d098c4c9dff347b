"""Who may write to a signed ledger: actors and their roles (actor), signing keys (key)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import click

from cli.options import format_option, open_store, registration, sign_all, today
from cli.output import render


@click.group()
def actor() -> None:
    """Register who may write to a signed ledger, with their public keys.

    A signed ledger is made signed when it is created, with its first
    controller (perfledger init --signed --controller NAME ...): every event
    is signed by its actor's registered key, and only controllers append.
    Its controllers then register the others; an unsigned ledger stays unsigned.

    \b
    Example:
      perfledger key new cdg
      perfledger init --signed --controller cdg --pubkey cdg.pub --key cdg.key
      perfledger actor add oiv --role oiv --pubkey oiv.pub --key cdg.key --actor cdg
    """


@actor.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["controller", "auditor", "oiv"]), required=True)
@click.option("--pubkey", required=True, type=click.Path(exists=True, dir_okay=False),
              help="NAME's public key.")
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The registering controller's private key.")
@click.option("--actor", "signer", default=None, help="The registering controller. [default: NAME]")
@click.option("--effective-date", default=None, help="YYYY-MM-DD. [default: today]")
@click.pass_context
def actor_add(ctx: click.Context, name: str, role: str, pubkey: str, key_file: str, signer: str | None,
              effective_date: str | None) -> None:
    """Register NAME with a role and a public key (a signed event).

    \b
    Example:
      perfledger actor add mrossi --role controller --pubkey mrossi.pub --key cdg.key --actor cdg
    """
    submission = registration(name, role, pubkey, key_file, signer or name, effective_date)
    with open_store(ctx) as store:
        event = store.append([submission]).written[0]
    click.echo(f"Registered {name} ({role}) as event {event.seq}; the ledger is signed.")


@actor.command(name="revoke")
@click.argument("name")
@click.option("--reason", required=True)
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A controller's private key.")
@click.option("--actor", "signer", required=True, help="The revoking controller.")
@click.option("--effective-date", default=None, help="YYYY-MM-DD. [default: today]")
@click.pass_context
def actor_revoke(ctx: click.Context, name: str, reason: str, key_file: str, signer: str,
                 effective_date: str | None) -> None:
    """Revoke NAME's key: their later events are refused, earlier ones stay (a signed event).

    \b
    Example:
      perfledger actor revoke mrossi --reason "left the office" --key cdg.key --actor cdg
    """
    from events.parse import parse_submission

    obj = {"type": "ActorRevoked", "id": f"revoke-{name}-{uuid.uuid4().hex[:8]}",
           "effective_date": effective_date or today().isoformat(), "actor": signer, "name": name,
           "reason": reason}
    submission = sign_all([parse_submission(obj)], key_file)[0]
    with open_store(ctx) as store:
        event = store.append([submission]).written[0]
    click.echo(f"Revoked {name}'s key as event {event.seq}.")


@actor.command(name="list")
@format_option
@click.pass_context
def actor_list(ctx: click.Context, fmt: str) -> None:
    """List the registered actors, their roles and keys.

    \b
    Example:
      perfledger actor list --format json
    """
    actors: dict[str, dict[str, Any]] = {}
    with open_store(ctx) as store:
        for event in store.events():
            if event.TYPE == "ActorRegistered":
                actors[event.name] = {"name": event.name, "role": event.role, "public_key": event.public_key,  # type: ignore[attr-defined]
                                      "registered": event.seq, "revoked": None}
            elif event.TYPE == "ActorRevoked":
                actors[event.name]["revoked"] = event.seq  # type: ignore[attr-defined]
    columns = ["name", "role", "public_key", "registered", "revoked"]
    click.echo(render(list(actors.values()), fmt, columns=columns))


@click.group()
def key() -> None:
    """Manage Ed25519 signing keys.

    \b
    Example:
      perfledger key new cdg
    """


@key.command(name="new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".", show_default=True)
@click.option("--key-name", default=None,
              help="The key's name in signed notes (a schema-less URL such as oiv.example.it/perfledger)."
              " [default: NAME]")
@click.option("--witness", is_flag=True,
              help="A witness's key (the OIV's): its verifier key is for cosignatures (C2SP cosignature/v1).")
@click.option("--force", is_flag=True, help="Replace NAME's key files if they exist (never by default).")
def key_new(name: str, directory: str, key_name: str | None, witness: bool, force: bool) -> None:
    """Create an Ed25519 key: NAME.key (private, readable by you only), NAME.pub, NAME.vkey.

    NAME.vkey is the verifier key in the C2SP signed-note form
    (name+key ID+base64 key): what an evaluator is given, apart from any
    bundle, to check checkpoints signed (or, with --witness, cosigned) by it.
    An existing key is never replaced without --force.

    \b
    Example:
      perfledger key new oiv --dir ~/.perfledger
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from events.fields import Code
    from ledger import proofs
    from ledger.errors import FileNotWritten
    from ledger.files import refuse_existing, write_new

    name = Code("name").parse(name, "NAME")
    signs_as = proofs.check_key_name(key_name or name)
    files = [Path(directory) / f"{name}.{ext}" for ext in ("key", "pub", "vkey")]
    for path in files if not force else ():
        refuse_existing(path)  # before any is written: a key is never overwritten by accident
    Path(directory).mkdir(parents=True, exist_ok=True)
    secret = Ed25519PrivateKey.generate()
    pem = secret.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    public = secret.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    vkey = proofs.vkey_text(signs_as, raw, proofs.COSIGNATURE if witness else proofs.ED25519)
    write_new(files[0], pem, force=force, mode=0o600)
    try:
        write_new(files[1], public.public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo), force=force)
        write_new(files[2], (vkey + "\n").encode(), force=force)
    except FileNotWritten:
        for path in files[:2]:
            path.unlink(missing_ok=True)  # half a key is no key: the private key goes with its public parts
        raise
    click.echo(f"Wrote {files[0]} (keep it secret), {files[1]} and {files[2]} (give them to whoever"
               f" verifies): {vkey}")


