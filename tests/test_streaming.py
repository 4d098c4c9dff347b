"""Streaming: an import holds no more than a page of events in the rules' state, and reads its file
page by page (again from the start on a retry)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger import Store
from ledger.book import Book
from ledger.verify import verify
from tests.conftest import ev, submissions, write_jsonl

PAGE = 4


def _reservations(n: int) -> list[dict[str, Any]]:
    """Reservations, each approved pages later, one corrected from a later page, and variations."""
    made = [ev("ReservationMade", f"r-{k}", reservation=f"r-{k}", item="A1/04/01", amount="10.00")
            for k in range(n)]
    varied = [ev("BudgetVaried", f"v-{k}", item="A1/04/01", amount="1.00") for k in range(n)]
    approved = [ev("ReservationApproved", f"a-{k}", reservation=f"r-{k}", amount="5.00") for k in range(n)]
    corrected = [ev("EventCorrected", "c-0", corrects="r-0", reason="typo", changes={"amount": "20.00"}),
                 ev("ReservationApproved", "a-0b", reservation="r-0", amount="15.00")]
    return [*made, *varied, *approved, *corrected]


def _watch_forgetting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many events the book held each time a written page let it forget them."""
    held: list[int] = []
    forget = Book.forget_events

    def watched(book: Book, lookup: Any, written: int) -> None:
        held.append(book.held())
        forget(book, lookup, written)
        assert book.held() == 0

    monkeypatch.setattr(Book, "forget_events", watched)
    monkeypatch.setattr("ledger.application.FORGET_AFTER", 0)  # at every page, as a large import does
    return held


def test_an_import_keeps_at_most_a_page_of_events_in_the_rules_state(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledger.application.PAGE", PAGE)
    held = _watch_forgetting(monkeypatch)
    batch = _reservations(6)
    length = store.length()
    result = store.append(submissions(batch))
    assert result.written_count == len(batch) and result.first and result.first.seq == length + 1
    assert len(held) == -(-len(batch) // PAGE)  # every page, once written
    # The first page: with the events the ledger was loaded with (folded from the first: no snapshot
    # yet). Then a page's own events, and those of earlier pages its checks looked up (a reservation's).
    assert held[0] <= length + PAGE
    assert max(held[1:]) <= 3 * PAGE < len(batch)
    assert verify(store).ok
    item = store._load().book.items["A1/04/01"].amounts  # type: ignore[union-attr]
    assert item.get("reserved") == Decimal("70.00") and item.get("approved") == Decimal("45.00")
    # Idempotent again: every id of every page is found through the look-ups.
    held.clear()
    again = store.append(submissions(batch))
    assert again.written_count == 0 and again.present_count == len(batch) and again.written == []
    assert max(held[1:]) <= PAGE


def test_an_import_into_a_new_ledger_forgets_its_events_page_by_page(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import small_plan

    monkeypatch.setattr("ledger.application.PAGE", PAGE)
    held = _watch_forgetting(monkeypatch)
    batch = [*small_plan(), *_reservations(5)]
    with Store.open(ledger_url, create=True) as store:
        result = store.append(submissions(batch), create=("CCIAA Test", "cdg"))
        assert result.written_count == len(batch) and result.last and result.last.seq == len(batch) + 1
        assert max(held) <= 3 * PAGE < len(batch)
        assert verify(store).ok


def test_a_result_lists_the_first_events_written_and_counts_them_all(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledger.results.KEPT", 3)
    batch = [ev("BudgetVaried", f"v-{k}", item="A1/04/01", amount="1.00") for k in range(5)]
    length = store.length()
    result = store.append(submissions(batch))
    assert [w.event_id for w in result.written] == ["v-0", "v-1", "v-2"]
    assert result.written_count == 5 and result.first and result.last
    assert (result.first.seq, result.last.seq) == (length + 1, length + 5)
    again = store.append(submissions(batch))
    assert again.present == ["v-0", "v-1", "v-2"] and again.present_count == 5


# -- the import reads its file page by page ------------------------------------------------------------
def _run(ledger: str, *args: str) -> Any:
    from click.testing import CliRunner

    from cli.main import main

    return CliRunner().invoke(main, ["--ledger", ledger, *args], catch_exceptions=False)


def test_an_import_retried_after_another_writer_reads_the_file_again(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cli.write import JsonlFile

    monkeypatch.setattr("ledger.application.PAGE", PAGE)
    path = write_jsonl(tmp_path / "batch.jsonl", _reservations(3))
    location = store.location if "://" in store.location else str(store.location)
    other = Store.open(location)
    load = Store._load
    reads: list[bool] = []

    def load_then_another_appends(self: Store, **kwargs: Any) -> Any:
        ledger = load(self, **kwargs)
        if self is store and not reads:
            other.append(submissions([ev("BudgetVaried", "other", item="A1/04/01", amount="2.00")]))
        return ledger

    monkeypatch.setattr(Store, "_load", load_then_another_appends)
    with path.open("rb") as stream:
        pages = JsonlFile(stream, backfill=False, actor=None, key_file=None, source="batch.jsonl",
                          closer="cdg")
        read = pages.__call__

        def counted() -> Any:
            reads.append(True)
            return read()

        try:
            length = store.length()
            result = store.append(counted)
        finally:
            pages.close()
            other.close()
    assert len(reads) == 2  # the first attempt lost the race on the key: the file was read again
    # Written after the other writer's event, checked again on its head.
    assert result.written_count == len(_reservations(3)) and result.first and result.first.seq == length + 2
    assert [e.event_id for e in store.events(after=length)][:2] == ["other", "r-0"]
    assert verify(store).ok


@pytest.mark.parametrize("late", ["rule", "form", "json"])
def test_an_error_on_a_late_line_of_a_streamed_file_names_its_line_and_writes_nothing(
    ledger_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, late: str
) -> None:
    from tests.conftest import small_plan

    monkeypatch.setattr("ledger.application.PAGE", PAGE)
    assert _run(ledger_url, "init", "--entity", "CCIAA Test", "--actor", "cdg").exit_code == 0
    with Store.open(ledger_url) as store:
        before = [e.hash for e in store.events()]
    good = [*small_plan(), *_reservations(3)]
    bad = {
        "rule": ev("ReservationMade", "too-much", reservation="x", item="A1/04/01", amount="99999.00"),
        "form": ev("BudgetVaried", "no-amount", item="A1/04/01"),
    }
    path = write_jsonl(tmp_path / "late.jsonl", [*good, bad.get(late, {})])
    if late == "json":
        path.write_text(path.read_text().rsplit("\n", 2)[0] + "\n{oops\n")
    result = _run(ledger_url, "import", str(path))
    line = len(good) + 1
    assert result.exit_code == 1
    expected = {"rule": f"Error: line {line}, event 'too-much': ",
                "form": f"Error: line {line}, event 'no-amount'",
                "json": f"Error: line {line}: malformed JSON"}[late]
    assert result.output.startswith(expected), result.output
    with Store.open(ledger_url) as store:
        assert [e.hash for e in store.events()] == before


def test_a_duplicate_id_in_a_streamed_file_names_its_first_line(
    planned_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("ledger.application.PAGE", PAGE)
    batch = _reservations(3)
    path = write_jsonl(tmp_path / "dup.jsonl", [*batch, batch[1]])
    result = _run(planned_url, "import", str(path))
    assert result.exit_code == 1
    assert result.output.startswith("Error: line 2, event 'r-1': the same id appears twice"), result.output


def test_a_streamed_backfill_is_closed_as_a_whole_one_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The same history imported in pages of 4 and in one page: the same HistoryMigrated (sha256, upto).
    from tests.conftest import small_plan

    history = [dict(o, recorded_at=f"2012-01-27T10:00:{k:02d}Z") for k, o in enumerate(
        [*small_plan(), *_reservations(3)])]
    path = write_jsonl(tmp_path / "history.jsonl", history)
    closings = []
    for page in (PAGE, 5000):
        monkeypatch.setattr("ledger.application.PAGE", page)
        ledger = str(tmp_path / f"migrated-{page}.db")
        result = _run(ledger, "import", str(path), "--backfill", "--entity", "B", "--actor", "cdg")
        assert result.exit_code == 0, result.output
        with Store.open(ledger) as store:
            last = list(store.events())[-1]
            assert verify(store).ok
        closings.append((last.TYPE, last.content()["upto"], last.content()["sha256"]))
    assert closings[0] == closings[1] and closings[0][:2] == ("HistoryMigrated", len(history) + 1)


@pytest.fixture
def planned_url(ledger_url: str, tmp_path: Path) -> str:
    from tests.conftest import small_plan

    assert _run(ledger_url, "init", "--entity", "CCIAA Test", "--actor", "cdg").exit_code == 0
    assert _run(ledger_url, "import", str(write_jsonl(tmp_path / "plan.jsonl", small_plan()))).exit_code == 0
    return ledger_url
