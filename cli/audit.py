"""Proving the ledger: verify (the chain, checkpoints, a bundle and its report), export, checkpoints."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.options import open_store, progress_to
from cli.output import to_json

if TYPE_CHECKING:
    from ledger import Store
    from ledger.proofs import Verifier
    from ledger.verify import VerifyReport
    from projections.facts import Cut


@click.command()
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Also prove the ledger extends this signed checkpoint (repeatable).")
@click.option("--vkey", "vkeys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A signer's verifier key (NAME.vkey) or PEM public key: each must have signed every"
              " checkpoint (repeatable).")
@click.option("--pubkey", "pubkeys", multiple=True, type=click.Path(exists=True, dir_okay=False), hidden=True)
@click.option("--bundle", type=click.Path(exists=True, file_okay=False),
              help="Check an exported bundle instead of the ledger: no database needed.")
@click.option("--last", type=click.Path(exists=True, dir_okay=False),
              help="With --bundle: your witness state, or the checkpoint you last cosigned.")
@click.option("--expect", type=click.Path(exists=True, dir_okay=False),
              help="With --bundle: replay the bundle at this report's own cut (its year, as-of date and"
              " known-at) and compare: a `report --format json`, or a PDF from `publish --format pdf`"
              " (the figures.json it carries).")
@click.option("--quick", is_flag=True,
              help="Check the chain and signatures only, not the rules and caches (faster on a large"
              " ledger).")
@click.pass_context
def verify(ctx: click.Context, checkpoints: tuple[str, ...], vkeys: tuple[str, ...], pubkeys: tuple[str, ...],
           bundle: str | None, last: str | None, expect: str | None, quick: bool) -> None:
    """Check the chain, the signatures, the rules and the caches; name the first thing wrong.

    The chain: every event hashed, linked to the one before, in canonical
    form. The signatures (a signed ledger): each event signed by a registered
    controller. The rules: every event replayed through the rules the writer
    checks, so one written around them (raw SQL) is named. The caches: the
    read model, budget checkpoints and snapshots rebuilt and compared. Exit 0
    when all hold; exit 1 naming the first problem. A chain rewritten whole is
    only caught against something kept elsewhere: a signed checkpoint
    (--checkpoint, an RFC 9162 consistency proof that the ledger extends it)
    or a bundle the OIV holds (--bundle).

    \b
    Example:
      perfledger verify
      perfledger verify --checkpoint checkpoint-398.txt --vkey cdg.vkey --vkey oiv.vkey
      perfledger verify --bundle bundle-2012/ --vkey cdg.vkey --vkey oiv.vkey --expect report-2012.json
      perfledger verify --bundle bundle-2012/ --vkey cdg.vkey --expect relazione-2012.pdf
    """
    from ledger import proofs

    if last is not None and bundle is None:
        raise click.UsageError("--last goes with --bundle: it is what you last cosigned of a bundle's"
                               " ledger")
    if checkpoints and not (vkeys or pubkeys):
        from ledger.audit import NO_TRUSTED_KEYS

        raise click.ClickException(NO_TRUSTED_KEYS)  # before the work: the check would prove nothing
    trusted = [proofs.read_verifier(Path(p)) for p in (*vkeys, *pubkeys)]
    if bundle is not None:
        _verify_bundle(Path(bundle), trusted, checkpoints, None if last is None else Path(last), expect)
        return
    from ledger.verify import verify as verify_store

    with open_store(ctx) as store:
        passes = 1 if quick else 2  # the chain, then the rules and caches: each reads every event
        with progress_to(store.length() * passes, "Verifying") as progress:
            report = verify_store(store, rules=not quick, progress=progress)
        chain = report.section("chain")
        if not chain.ok:
            raise click.ClickException(f"chain broken at event {report.bad_seq}: {report.problem}")
        _print_sections(report)
        problems = [] if report.ok else [f"{s.name}: {s.detail}" for s in report.sections if not s.ok][:1]
        _check_checkpoints(store, checkpoints, trusted, problems)
        if problems:
            raise click.ClickException(problems[0])


def _verify_bundle(bundle: Path, trusted: list[Verifier], checkpoints: tuple[str, ...], last: Path | None,
                   expect: str | None) -> None:
    """Check an exported bundle (and, with ``expect``, its replay against a report), printing each step."""
    from ledger import proofs

    report = None if expect is None else read_report(Path(expect))  # a report it cannot read, before the work
    for line in proofs.verify_bundle(bundle, trusted, [Path(c) for c in checkpoints], last):
        click.echo(line)
    if report is not None:
        expected, cut, year = report
        click.echo(f"replayed at the report's cut: {describe_cut(cut, year)}")
        differences = compare_report(bundle, expected, cut, year)
        if differences:
            raise click.ClickException(
                f"the bundle's replay differs from {expect} in {len(differences)} place(s):\n"
                + "\n".join(differences)
            )
        click.echo(f"replay matches {expect}")
    click.echo("OK")


def _print_sections(report: VerifyReport) -> None:
    """The verdict of a ledger's verification, section by section, and the note on a migrated history."""
    if report.ok:
        click.echo(f"OK: {report.count} events, chain intact, head {report.head}")
    for section in report.sections:
        verdict = "" if report.ok else "OK: " if section.ok else "FAILED: "
        click.echo(f"  {section.name + ':':<11} {verdict}{section.detail}")
    if report.migrated is not None:
        click.echo(f"  {'migrated:':<11} events 1-{report.migrated} came from a migration: their"
                   " recorded_at is the source's, not this ledger's clock")


def _check_checkpoints(store: Store, checkpoints: tuple[str, ...], trusted: list[Verifier],
                       problems: list[str]) -> None:
    """Prove the ledger extends each checkpoint; a checkpoint that fails also names the first ``problems``."""
    from ledger import audit as ledger_audit
    from ledger import proofs

    if not checkpoints:
        return
    tree = ledger_audit.merkle_tree(store)  # one for every checkpoint
    covered = 0
    for path in checkpoints:
        try:
            checkpoint = proofs.read_checkpoint(Path(path))
            for line in ledger_audit.check_checkpoint(store, checkpoint, trusted, tree):
                click.echo(f"{path}: {line}")
        except proofs.ProofError as e:
            if problems:
                raise click.ClickException(f"{path}: {e}\n(and {problems[0]})") from None
            raise
        covered = max(covered, checkpoint.size)
    click.echo(proofs.uncovered(len(tree), covered) or "every event is covered by a checkpoint")


CUT_KEYS = ("year", "as_of", "known_at")  # a report's own cut (views.report_json), not figures


def read_report(path: Path) -> tuple[dict[str, Any], Cut, int | None]:
    """The report in ``path``: a ``report --format json``, or a PDF from ``publish --format pdf``,
    whose attached ``figures.json`` is that report at the document's cut (``read_report_bytes``)."""
    data = path.read_bytes()
    if data.startswith(b"%PDF-"):
        from cli.publish.pdf import attached_figures

        data = attached_figures(path.name, data)
    return read_report_bytes(path, data)


def read_report_bytes(path: Path, data: bytes) -> tuple[dict[str, Any], Cut, int | None]:
    """A ``report --format json`` and the cut it was made at: its ``year``, ``as_of`` and ``known_at``,
    read as ``--year``, ``--as-of`` and ``--known-at`` are. A report without them (an older format) is
    of the latest plan's year, as of any date, as known at the last event."""
    from events.errors import InvalidField
    from events.fields import parse_date
    from events.parse import loads_strict
    from projections.facts import Cut

    report = loads_strict(data.decode("utf-8"))
    if not isinstance(report, dict):
        raise click.ClickException(f"{path}: not a report (perfledger report --format json)")
    year, as_of, known_at = (report.get(key) for key in CUT_KEYS)
    try:
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
            raise InvalidField("year", f"must be a plan's year, a whole number; got {year!r}")
        cut = Cut(None if as_of is None else parse_date(as_of, "as_of"), _known_at(known_at))
    except InvalidField as e:
        raise click.ClickException(f"{path}: {e}") from None
    return report, cut, year


def _known_at(value: Any) -> int | datetime | None:
    """A report's ``known_at`` as ``views.known_at_json`` writes it: null, a sequence number or an instant."""
    from cli.options import known_at_of
    from events.errors import InvalidField

    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidField("known_at", "must be a sequence number or an instant such as 2012-09-15T12:00:00Z;"
                                       f" got {value!r}")
    return known_at_of(str(value), "known_at")


def describe_cut(cut: Cut, year: int | None) -> str:
    """``year 2012, as of 2012-08-31, known at 2012-09-15T23:59:59.999999Z``: where a replay was made."""
    from cli.views import known_at_json

    known = ("the bundle's last event" if cut.known_at is None
             else f"event {cut.known_at}" if isinstance(cut.known_at, int) else known_at_json(cut.known_at))
    return (("the latest plan's year" if year is None else f"year {year}")
            + f", as of {cut.as_of or 'any date'}, known at {known}")


def compare_report(bundle: Path, expected: dict[str, Any], cut: Cut, year: int | None) -> list[str]:
    """Replay a bundle's events through the projections at the report's cut and list where the report
    differs (its figures: the cut itself is what the replay was made at)."""
    from cli.views import report_data
    from events.parse import loads_strict
    from ledger import proofs
    from ledger.codec import decode_body

    events = [decode_body(line) for line in proofs.read_events(bundle / "events.jsonl")]
    actual = loads_strict(to_json(report_data(events, cut, year)))

    def figures(report: dict[str, Any]) -> dict[str, Any]:  # "cut", "schema": where it was read, not figures
        return {key: value for key, value in report.items() if key not in (*CUT_KEYS, "cut", "schema")}

    return [f"  {path}: report says {want!r}, replay gives {got!r}"
            for path, want, got in diff(figures(expected), figures(actual))]


def diff(expected: Any, actual: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            found += diff(expected.get(key), actual.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in diff(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [(path, expected, actual)]


@click.command()
@click.option("--bundle", required=True, type=click.Path(file_okay=False), help="The directory to write.")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A signed checkpoint to include (repeatable).")
@click.option("--vkey", "vkeys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A signer's verifier key (or PEM public key) to include, as a convenience (repeatable).")
@click.option("--pubkey", "pubkeys", multiple=True, type=click.Path(exists=True, dir_okay=False), hidden=True)
@click.pass_context
def export(ctx: click.Context, bundle: str, checkpoints: tuple[str, ...], vkeys: tuple[str, ...],
           pubkeys: tuple[str, ...]) -> None:
    """Write a bundle the OIV can verify without the database: data only, no code.

    The bundle holds events.jsonl (each event's stored canonical bytes, one per
    line), the checkpoints, verifier keys (a convenience: the OIV uses its own)
    and manifest.json, the SHA-256 of each file. The OIV checks it with its own
    verifier: perfledger-verify BUNDLE --vkey OIV.vkey --vkey LOG.vkey.

    \b
    Example:
      perfledger export --bundle bundle-2012 --checkpoint checkpoint-398.txt --vkey cdg.vkey
    """
    from ledger import audit as ledger_audit

    with open_store(ctx) as store, progress_to(store.length(), "Exporting") as progress:
        count = ledger_audit.export(store, Path(bundle), [Path(p) for p in checkpoints],
                                    [Path(p) for p in (*vkeys, *pubkeys)], progress)
    keys = len(vkeys) + len(pubkeys)
    click.echo(f"Exported {count} events, {len(checkpoints)} checkpoint(s) and {keys} key(s) to {bundle}.")
