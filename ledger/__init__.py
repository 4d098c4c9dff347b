"""The ledger: stores facts in a gap-free hash chain, checks the rules, verifies history.

The names below are loaded on first use, so that a light module of the
package (``ledger.location``, ``ledger.proofs``) does not pull in the store.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.amounts import available
    from ledger.application import Store
    from ledger.book import Book
    from ledger.errors import LedgerError, RuleViolation
    from ledger.results import AppendResult
    from ledger.verify import VerifyReport, verify

_HOME = {
    "AppendResult": "ledger.results",
    "Store": "ledger.application",
    "VerifyReport": "ledger.verify",
    "verify": "ledger.verify",
    "Book": "ledger.book",
    "available": "ledger.amounts",
    "LedgerError": "ledger.errors",
    "RuleViolation": "ledger.errors",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'ledger' has no attribute {name!r}")
    return getattr(import_module(_HOME[name]), name)


__all__ = [
    "AppendResult", "Book", "LedgerError", "RuleViolation", "Store", "VerifyReport", "available", "verify"
]
