"""Checkpoints: the ledger's signed tree head (C2SP tlog-checkpoint), cosigned by witnesses (the OIV)
as c2sp.org/tlog-witness says, and the consistency proofs a witness asks for."""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import open_store


def _write(path: Path, text: str, force: bool) -> None:
    from ledger.files import write_new_text

    write_new_text(path, text, force=force)


def key_name(key_file: str, name: str | None) -> str:
    """The name a key signs notes with: ``--name``, else the name in the NAME.vkey beside the key
    (written by `perfledger key new`), else the key file's name."""
    from ledger import proofs

    if name is not None:
        return name
    vkey = Path(key_file).with_suffix(".vkey")
    if vkey.exists():
        return proofs.read_verifier(vkey).name
    return Path(key_file).stem


@click.group(invoke_without_command=True)
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False),
              help="The ledger's private key, that signs the checkpoint.")
@click.option("--name", default=None,
              help="The key's name in the signature line."
              " [default: the name in KEY's .vkey, else its file's]")
@click.option("--out", default=None, help="Where to write it. [default: checkpoint-SIZE.txt]")
@click.option("--force", is_flag=True, help="Replace the file if it exists (never by default).")
@click.pass_context
def checkpoint(ctx: click.Context, key_file: str | None, name: str | None, out: str | None,
               force: bool) -> None:
    """Write the ledger's checkpoint: its origin, size and RFC 9162 tree head, signed (C2SP).

    Give it to the OIV at plan approval, at each four-monthly report and with
    the final report: the OIV cosigns it (`checkpoint cosign`), and later
    `verify --checkpoint` and perfledger-verify prove the ledger still extends it.

    \b
    Example:
      perfledger checkpoint --key cdg.key
      perfledger checkpoint prove --from 398 --to 402 > proof-398-402.txt
      perfledger checkpoint cosign checkpoint-402.txt --key oiv.key --log-vkey cdg.vkey \\
          --state oiv-state.json --proof proof-398-402.txt
    """
    if ctx.invoked_subcommand is not None:
        return
    if key_file is None:
        raise click.UsageError("give --key: the private key that signs the checkpoint")
    from ledger import audit as ledger_audit

    signer = key_name(key_file, name)
    with open_store(ctx) as store:
        signed = ledger_audit.checkpoint(store, Path(key_file).read_bytes(), signer)
    target = Path(out or f"checkpoint-{signed.size}.txt")
    _write(target, signed.text(), force)
    click.echo(f"Wrote {target}: {signed.origin}, {signed.size} events, signed by {signer}.")


@checkpoint.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Your (the witness's) private key.")
@click.option("--name", default=None,
              help="Your key's name. [default: the name in KEY's .vkey, else its file's]")
@click.option("--log-vkey", "log_vkey", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The ledger's verifier key: its signature is checked before you cosign.")
@click.option("--state", "state_file", required=True, type=click.Path(dir_okay=False),
              help="Your witness state: the last tree head you cosigned of each ledger (made if absent).")
@click.option("--proof", "proof_file", type=click.Path(exists=True, dir_okay=False),
              help="The consistency proof from your last cosigned size (`checkpoint prove`).")
@click.option("--bundle", type=click.Path(exists=True, file_okay=False),
              help="Or a bundle whose events give the proof.")
@click.option("--new-log", is_flag=True,
              help="Cosign a first checkpoint of an origin whose log key you already follow under another.")
def cosign(file: str, key_file: str, name: str | None, log_vkey: str, state_file: str,
           proof_file: str | None, bundle: str | None, new_log: bool) -> None:
    """Cosign a checkpoint as a witness: only if it extends the last one you cosigned of that ledger.

    A checkpoint of the size you last cosigned must have the same root; a
    larger one needs the consistency proof from that size; a smaller one is
    refused. Your state file is saved first, then the cosigned checkpoint.

    \b
    Example:
      perfledger checkpoint cosign checkpoint-398.txt --key oiv.key --log-vkey cdg.vkey --state oiv-state.json
    """
    from ledger import proofs, witness

    if proof_file is not None and bundle is not None:
        raise click.UsageError("give --proof or --bundle, not both")
    path, state = Path(file), Path(state_file)
    with witness.locked(state):  # one cosign at a time on a state: read, decide, save
        current = proofs.Checkpoint.read(path)
        old, proof = witness.proof_needed(state, current), None
        if old is not None and proof_file is not None:
            proof = witness.read_proof(Path(proof_file), old, current.size)
        elif old is not None and bundle is not None:
            proof = witness.proof_from_bundle(Path(bundle), current, old)
        signer = key_name(key_file, name)
        done = witness.cosign(current, Path(key_file).read_bytes(), signer,
                              proofs.read_verifier(Path(log_vkey)), state, proof, new_log=new_log)
        _write(state, done.state.decode(), True)  # first: never cosign what the state does not hold
        _write(path, done.checkpoint.text(), True)
    click.echo(f"Cosigned {file} as {signer}: {done.reason}.")


@checkpoint.command()
@click.option("--from", "old", required=True, type=click.IntRange(min=0),
              help="The size the witness last cosigned.")
@click.option("--to", "new", type=click.IntRange(min=1), help="The size to prove. [default: the ledger's]")
@click.pass_context
def prove(ctx: click.Context, old: int, new: int | None) -> None:
    """Print the RFC 9162 consistency proof from one tree size to a later one (for `cosign --proof`).

    \b
    Example:
      perfledger checkpoint prove --from 398 --to 402 > proof-398-402.txt
    """
    from ledger import audit as ledger_audit
    from ledger import witness

    with open_store(ctx) as store:
        tree = ledger_audit.merkle_tree(store)
    size = len(tree) if new is None else new
    if size > len(tree):
        raise click.UsageError(f"the ledger has {len(tree)} events: --to may be at most that")
    if old > size:
        raise click.UsageError(f"--from {old} is after --to {size}: a proof goes from a smaller tree to a"
                               " larger one")
    click.echo(witness.proof_text(old, size, tree.consistency(old, size) if 0 < old < size else []), nl=False)
