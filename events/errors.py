"""Named errors for bad facts.

Every error names the event (its id, and the line of the import file when
there is one) and the field involved, so the command line can print it on one
line: ``Error: line 3, event r-17: field "amount": ...``.
"""

from __future__ import annotations


class PerfledgerError(Exception):
    """Base of every error perfledger reports to its user."""

    def __init__(self, message: str, *, event_id: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.event_id = event_id
        self.line = line

    def located(self, *, event_id: str | None = None, line: int | None = None) -> PerfledgerError:
        """Return this error with the event id and line filled in where missing."""
        if self.event_id is None:
            self.event_id = event_id
        if self.line is None:
            self.line = line
        return self

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.event_id is not None:
            where.append(f"event {self.event_id!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InvalidEvent(PerfledgerError):
    """The submission is not a well-formed event (bad JSON, missing type...)."""


class UnknownEventType(InvalidEvent):
    """The submission names an event type (or version) this program does not know."""


class InvalidField(InvalidEvent):
    """A field's value has the wrong form (a float amount, a bad date...)."""

    def __init__(self, field: str, problem: str, **kwargs: object):
        super().__init__(f'field "{field}": {problem}', **kwargs)  # type: ignore[arg-type]
        self.field = field


class UnknownField(InvalidField):
    """The submission carries a field its event type does not define."""


class MissingField(InvalidField):
    """The submission lacks a required field."""
