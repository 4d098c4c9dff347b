"""``perfledger verify``: the chain, the signatures, the rules and the caches, each checked apart.

1. **chain**: every stored row hashed and parsed (``ledger.chain_check``): sequence, link,
   canonical form, type and fields; a long SQLite chain is checked in parts, one process each.
2. **signatures**: in a signed ledger, every event signed by a registered controller's key, with
   the same rules as the stand-alone verifier (``ledger.proofs``).
3. **rules**: every event replayed through the append-time rules in order
   (``ledger.replay_check``), so an event written around the writer (raw SQL, a forged file) is
   named, with the rule it breaks.
4. **caches**: the read model, the budget checkpoints and the snapshots rebuilt from the events
   during the same replay and compared with the stored ones.

The rules and caches are checked only on a sound chain: on a broken one they would judge events
that are not the ledger's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import orjson
from eventsourcing.utils import get_topic

from events import GENESIS, ActorRegistered, ActorRevoked
from ledger import proofs
from ledger.application import Store
from ledger.chain_check import SignatureProblem, check_rows
from ledger.errors import LedgerError
from ledger.location import is_postgres
from ledger.replay_check import Replayed, replay
from ledger.store_errors import is_driver_error

# Told the work done so far, counted in events read; a full verify reads each event twice (chain, rules).
Progress = Callable[[int], None]
R = TypeVar("R")

VERIFY_IN_PARTS = 100_000  # from this many events, verify checks the chain in parts, one process each
MAX_PARTS = 4


@dataclass(frozen=True)
class Section:
    """What one part of verify found: ``ok`` and a line saying what was checked, or the problem."""

    name: str
    ok: bool
    detail: str
    bad_seq: int | None = None


@dataclass(frozen=True)
class VerifyReport:
    """The whole verdict: ``ok`` when every section is; ``problem``/``bad_seq`` are the first failure's."""

    ok: bool
    count: int
    head: str
    bad_seq: int | None = None
    problem: str | None = None
    sections: tuple[Section, ...] = field(default=())
    migrated: int | None = None

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)


def verify(store: Store, *, processes: int | None = None, rules: bool = True,
           progress: Progress | None = None) -> VerifyReport:
    """Check the chain and signatures, then (``rules``) replay the rules and rebuild the caches.

    ``progress`` is told the events read so far: up to the chain's length, then (``rules``) up to
    twice it, as the replay reads them again."""
    problem, seq, head = check_chain(store, processes, progress)
    if problem is not None and not isinstance(problem, SignatureProblem):
        chain = Section("chain", False, problem, seq)
        return _report(
            (chain, _not_checked("signatures"), _not_checked("rules"), _not_checked("caches")), seq, head
        )
    chain = Section(
        "chain", True, f"{seq} events, each linked to the one before, hashes and canonical form sound"
    )
    if not rules:
        found = signers_upto(store, seq)
        signed = bool(problem) or found is None or bool(found.actors)
        signatures = (
            _signatures_section(problem, seq, None)
            if signed
            else Section("signatures", True, "none: an unsigned ledger")
        )
        return _report((chain, signatures, _skipped("rules"), _skipped("caches")), seq, head)
    replayed = replay(store, None if progress is None else (lambda done: progress(seq + done)))
    signatures = _signatures_section(problem, seq, replayed)
    return _report((chain, signatures, _rules_section(replayed), _caches_section(replayed)), seq, head,
                   replayed.migrated)


def _report(
    sections: tuple[Section, ...], count: int, head: str, migrated: int | None = None
) -> VerifyReport:
    failed = next((s for s in sections if not s.ok), None)
    if failed is None:
        return VerifyReport(True, count, head, sections=sections, migrated=migrated)
    known = (failed.bad_seq or 1) - 1 if failed.name == "chain" else count
    return VerifyReport(False, known, head, failed.bad_seq, failed.detail, sections, migrated)


def _not_checked(name: str) -> Section:
    return Section(name, False, "not checked: the chain is broken")


def _skipped(name: str) -> Section:
    return Section(name, True, "not checked (--quick)")


def _signatures_section(problem: str | None, seq: int, replayed: Replayed | None) -> Section:
    if problem is not None:
        return Section("signatures", False, problem, getattr(problem, "at", seq))
    if replayed is None:
        return Section("signatures", True, "every event's signature checked by its registered key")
    if not replayed.signatures:
        return Section("signatures", True, "none: an unsigned ledger")
    return Section("signatures", True, f"{replayed.signatures} signatures verified with the registered keys")


def _rules_section(replayed: Replayed) -> Section:
    if replayed.rule_problem is not None:
        return Section("rules", False, replayed.rule_problem, replayed.rule_seq)
    return Section("rules", True, f"every event obeys the append-time rules ({replayed.count} replayed)")


def _caches_section(replayed: Replayed) -> Section:
    if replayed.cache_problem is not None:
        return Section("caches", False, replayed.cache_problem + "; rebuild them with `perfledger db refresh"
                       " --rebuild`", replayed.cache_seq)
    return Section("caches", True, replayed.caches)


# -- the chain ---------------------------------------------------------------------------------
def check_chain(store: Store, processes: int | None = None,
                progress: Progress | None = None) -> tuple[str | None, int, str]:
    """The chain's first problem (None if sound), where it is, and the hash before it (else the head's);
    ``progress`` is told the events checked so far."""
    recorded_length = store.recorder.chain_length()
    found = _in_parts(store, recorded_length, processes)
    if found is not None and progress is not None:
        progress(found[1])  # the parts ran in other processes: done all at once
    problem, seq, prev = found or check_rows(told(store.rows(chain=True), progress), 0, GENESIS,
                                             proofs.Signers())
    if problem:
        return problem, seq, prev
    if recorded_length > seq:
        return f"event {seq + 1} is missing: the chain records {recorded_length} events", seq + 1, prev
    return None, seq, prev


def told(rows: Iterable[R], progress: Progress | None) -> Iterable[R]:
    """The rows, telling ``progress`` how many have been read as each one is."""
    if progress is None:
        return rows

    def counted() -> Iterator[R]:
        for done, row in enumerate(rows, 1):
            progress(done)
            yield row

    return counted()


def _in_parts(store: Store, length: int, processes: int | None) -> tuple[None, int, str] | None:
    """Check the chain in consecutive parts at once; None unless every part is sound.

    Part i starts from the hash the chain table records for its first event's predecessor, and
    from the actors registered before it (which its own process reads first); part i - 1 checks
    that this recorded hash is the one its last event's bytes hash to, so sound parts make a
    sound chain. A part with a problem, or one that ends short of the next, returns None: the
    caller then checks the whole chain in one pass, which names the first problem exactly.
    """
    parts = min(processes or _cores(), MAX_PARTS)
    # Each part opens its own connection, in a process forked from this one: which is safe while this
    # process runs no threads, so only for SQLite (PostgreSQL's connection pool runs threads) and
    # only on Linux (where fork is the default start method). Elsewhere, one pass.
    if parts < 2 or length < VERIFY_IN_PARTS or sys.platform != "linux" or is_postgres(store.location):
        return None
    bounds = [length * i // parts for i in range(parts)]
    starts = _part_starts(store, bounds[1:])
    if starts is None:
        return None
    results = _run_parts(store, bounds, starts)
    if results is None:
        return None
    for (problem, seq, _), end in zip(results, [*bounds[1:], None]):
        if problem is not None or (end is not None and seq != end):
            return None
    return None, results[-1][1], results[-1][2]


def _part_starts(store: Store, afters: list[int]) -> list[tuple[int, str]] | None:
    """Each later part's start: the event before it and the hash the chain table records for it."""
    starts = []
    for after in afters:
        recorded = store.recorder.chain_hashes(after - 1, after).get(after)
        if recorded is None:
            return None
        starts.append((after, recorded))
    return starts


def _run_parts(
    store: Store, bounds: list[int], starts: list[tuple[int, str]]
) -> list[tuple[str | None, int, str]] | None:
    """The first part checked here, the others each in a forked process; None if a part could not run."""
    import multiprocessing  # here: most commands never verify
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ends: list[int | None] = [*bounds[2:], None]
    try:
        with ProcessPoolExecutor(len(starts), mp_context=multiprocessing.get_context("fork")) as pool:
            others = [pool.submit(check_part, store.location, after, upto, recorded)
                      for (after, recorded), upto in zip(starts, ends)]
            results = [check_rows(store.rows(0, bounds[1], chain=True), 0, GENESIS, proofs.Signers())]
            return results + [other.result() for other in others]
    except Exception as e:  # a part that could not run (no process, no connection): one pass instead
        if not (isinstance(e, (BrokenProcessPool, OSError, LedgerError)) or is_driver_error(e)):
            raise
        return None


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_part(location: str, after: int, upto: int | None, prev: str) -> tuple[str | None, int, str]:
    """Check events after ``after`` up to ``upto`` (the end if None), in a process of their own,
    starting from the actors registered before them (in a signed ledger)."""
    with Store.open(location) as store:
        signers = signers_upto(store, after)
        if signers is None or (signers.legacy and signers.actors):
            # An actor's event before this part breaks a rule, or content-only signatures of an earlier
            # version may be in it: the whole chain is checked in one pass instead.
            return "not checked in parts", after, prev
        return check_rows(store.rows(after, upto, chain=True), after, prev, signers)


def signers_upto(store: Store, upto: int) -> proofs.Signers | None:
    """The ledger's origin and the actors registered by event ``upto`` (a signed ledger's), None if
    one of their events breaks a rule."""
    try:
        first = list(store.rows(0, 1))
        if not first:
            return proofs.Signers()
        signers = proofs.Signers.of(orjson.loads(first[0][2]), bytes(first[0][2]))
        for seq, _, state in store.rows(
            0, upto, topics=[get_topic(ActorRegistered), get_topic(ActorRevoked)]
        ):
            body = orjson.loads(state)
            if not isinstance(body, dict):
                return None
            proofs.check_event_signature(seq, body, signers)
    except (proofs.ProofError, orjson.JSONDecodeError, TypeError, KeyError, AttributeError):
        return None
    return signers
