"""Named errors of the ledger's rules and store. Each names the ids involved."""

from __future__ import annotations

from events.errors import PerfledgerError


class RuleViolation(PerfledgerError):
    """A well-formed fact that the ledger's rules refuse; nothing is written."""


class UnknownReference(RuleViolation):
    """The fact refers to an objective, line, item, reservation, indicator or event that does not exist."""


class NotInTheTree(RuleViolation):
    """An objective or indicator that does not fit its plan's tree: a level the plan lacks, a parent not
    above it, no area or owner where its level needs one, a predecessor not of an earlier year, or an
    indicator reusing one of the wrong year or kind."""


class DuplicateDefinition(RuleViolation):
    """The fact defines something (a plan, an objective, an item...) that already exists."""


class OverReservation(RuleViolation):
    """A reservation, adjustment or correction beyond what is available (Totale - Prenotato + Rettificato)
    on some day from its effective date on, without an override."""


class ApprovalExceedsReservation(RuleViolation):
    """An approval beyond what is left of its reservation."""


class AdjustmentInvalid(RuleViolation):
    """A rettifica that would release more than is reserved and not approved."""


class VariationBelowReserved(RuleViolation):
    """A budget variation that would leave an item with less than is reserved on it (on some day from
    its effective date on), without an override."""


class PlanParametersInvalid(RuleViolation):
    """A plan whose parameters make no sense (a negative deadline penalty, bands upside down)."""


class WeightOutOfRange(RuleViolation):
    """An indicator weight outside 0-100%."""


class EffectiveDateOutsidePlan(RuleViolation):
    """An effective date outside the plan's year (plus the plan's horizon)."""


class EffectiveBeforeExistence(RuleViolation):
    """A fact effective before what it refers to exists (an approval before its reservation, a
    measurement before its indicator...): it names both dates and the event that made the thing."""


class ValueDoesNotFitIndicator(RuleViolation):
    """A target or measured value of the wrong kind for the indicator (a date for a ratio...)."""


class MeasuredTwice(RuleViolation):
    """A second measurement of an indicator for the same period: a correction of the first changes it."""


class ReportedBeforeCollected(RuleViolation):
    """A measurement whose data are collected (or, without a collection date, recorded) before its
    period ends: the reporting delay would be negative."""


class StrikeNotInForce(RuleViolation):
    """A revocation of a strike already revoked, or effective before the strike; a revoked strike
    corrected to take effect after its revocation."""


class InvalidCorrection(RuleViolation):
    """A correction that changes a key field, an unknown field, or a correcting event."""


class YearIsClosed(RuleViolation):
    """A fact of a year closed by YearClosed (a correction of one too, or a second closing), recorded
    before a YearReopened of that year."""


class YearNotClosed(RuleViolation):
    """A YearReopened of a year that is not closed (never closed, or already reopened)."""


class ActRequired(RuleViolation):
    """A closing or reopening of a year without the act that decided it, or a reopening without its
    reason."""


class SignatureRefused(RuleViolation):
    """In a signed ledger: an unsigned event, an unknown or revoked actor, a bad signature, or a
    non-controller."""


class DuplicateId(RuleViolation):
    """The same event id twice in one batch."""


class IdConflict(RuleViolation):
    """An event id already stored with different content."""


class RecordedAtOutOfOrder(RuleViolation):
    """A backfilled recorded-at earlier than the ledger's last event, or in the future."""


class BackfillRefused(RuleViolation):
    """Recorded-at given outside the migration that creates a ledger."""


class LedgerError(PerfledgerError):
    """A problem with the store itself (missing, locked, too new, in conflict)."""


class LedgerNotFound(LedgerError):
    pass


class LedgerExists(LedgerError):
    pass


class LedgerConflict(LedgerError):
    """Another writer kept extending the chain; the append was not written."""


class LedgerLocked(LedgerError):
    pass


class SchemaTooNew(LedgerError):
    pass


class SchemaTooOld(LedgerError):
    """The ledger was made by an older version whose schema this one writes only once upgraded."""


class StoreMisconfigured(LedgerError):
    """WAL or synchronous=FULL could not be set on the ledger file."""


class UndecodableEvent(LedgerError):
    """A stored event whose body has its type's fields but values no reader can take (written around
    the writer); ``perfledger verify`` names it."""


class FileNotWritten(LedgerError):
    """A file (a checkpoint, a key, a bundle's) that could not be written whole; what was there is kept."""
