"""Streaming: an import holds no more than a page of events in the rules' state, and reads its file
page by page (again from the start on a retry)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledger import Store
from ledger.book import Book
from ledger.verify import verify
from tests.conftest import ev, submissions

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
