"""Facts of measurement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar

from events.base import LedgerEvent
from events.fields import Code, Day, MeasuredValue, Number, Optional


class IndicatorMeasured(LedgerEvent):
    """An indicator was measured for the period ending on ``period_end``.

    ``value`` is unrounded: a decimal string, a date for deadline indicators,
    or "ND" (not available, which is not 0). A ratio may carry its
    ``numerator`` and ``denominator`` so the raw counts stay visible.

    Version 2 adds ``collected_on``, the day the data were collected (*data di rilevazione*):
    the reporting delay runs from ``period_end`` to it. Left out, it is the day the measurement
    is recorded (as it always was for version 1).
    """

    class_version = 2
    earlier_versions: ClassVar[dict[int, tuple[str, ...]]] = {
        1: ("indicator", "period_end", "value", "numerator", "denominator"),
    }
    KEYS = ("indicator",)
    indicator: Annotated[str, Code("indicator")]
    period_end: Annotated[date, Day("period_end")]
    value: Annotated[str, MeasuredValue("value")]
    numerator: Annotated[Decimal | None, Optional("numerator", Number("numerator"))]
    denominator: Annotated[Decimal | None, Optional("denominator", Number("denominator"))]
    collected_on: Annotated[date | None, Optional("collected_on", Day("collected_on"))]
