"""Facts of measurement."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from events.base import LedgerEvent
from events.fields import Code, Day, MeasuredValue, Number, Optional


class IndicatorMeasured(LedgerEvent):
    """An indicator was measured for the period ending on ``period_end``.

    ``value`` is unrounded: a decimal string, a date for deadline indicators,
    or "ND" (not available, which is not 0). A ratio may carry its
    ``numerator`` and ``denominator`` so the raw counts stay visible.
    """

    KEYS = ("indicator",)
    indicator: Annotated[str, Code("indicator")]
    period_end: Annotated[date, Day("period_end")]
    value: Annotated[str, MeasuredValue("value")]
    numerator: Annotated[Decimal | None, Optional("numerator", Number("numerator"))]
    denominator: Annotated[Decimal | None, Optional("denominator", Number("denominator"))]
