"""The ledger: stores facts in a gap-free hash chain, checks the rules, verifies history."""

from ledger.application import AppendResult, Store, VerifyReport
from ledger.book import Book, available
from ledger.errors import LedgerError, RuleViolation

__all__ = ["AppendResult", "Book", "LedgerError", "RuleViolation", "Store", "VerifyReport", "available"]
