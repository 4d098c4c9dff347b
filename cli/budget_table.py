"""The budget's rows as people read them: by default each row's codes and product on one line and its
amounts under them, right-aligned, so that seven amounts fit 120 columns; ``--wide``, one line a row."""

from __future__ import annotations

from typing import Any

from cli.labels import tr
from cli.output import captioned, money, table
from projections.budget import COLUMNS, LABELS, OFF_LINE


def budget_table(rows: list[dict[str, Any]], locale: str, wide: bool, first: tuple[str, ...] = ()) -> str:
    """The budget's rows for people. Wide: one line a row (``first`` columns, line, objective, item, product
    and amounts); else each row's codes and product on a line above its amounts, to fit 120 columns."""
    if wide:
        keys = [*first, "line", "objective", "item", "product", *COLUMNS]
        headers = [tr(HEADERS[k], locale) for k in keys]
        return table_of(rows, keys, headers, locale)
    captions = [caption(row, locale, first) for row in rows]
    figures = [[money(row[c], locale) if row[c] is not None else "" for c in COLUMNS] for row in rows]
    return captioned(figures, [tr(LABELS[c], locale) for c in COLUMNS], captions)


HEADERS = {"area": "Area", "line": "Linea", "objective": "Obiettivo", "item": "Voce", "product": "Prodotto",
           **LABELS}


def caption(row: dict[str, Any], locale: str, first: tuple[str, ...] = ()) -> str:
    """A product's ``item · objective · product`` (and its ``first`` columns); a subtotal's own title."""
    product = str(row["product"])
    if OFF_LINE in product:
        product = product.replace(OFF_LINE, tr(OFF_LINE, locale))
    if row["level"] != "product":
        return product
    codes = [str(row[k]) for k in (*first, "item", "objective") if row.get(k)]
    return " · ".join([*codes, product])


def table_of(rows: list[dict[str, Any]], keys: list[str], headers: list[str], locale: str) -> str:
    return table(rows, locale, keys, headers, tr("(nothing)", locale))
