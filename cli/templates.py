"""`perfledger template`: the empty workbooks (or CSV files) a controller fills and imports.

Their columns are the layouts' (``events.sheet_layouts``), the very definition the import reads
by. An XLSX template has a sheet "Istruzioni" (the conventions, then each sheet's columns: whether
required, what goes in, the values allowed), then one sheet per layout: a bold header (required
columns darker, each header with a comment saying what goes in), the first row frozen, a filter,
cells formatted for their content (amounts ``#.##0,00``, dates ``gg/mm/aaaa``, codes as text) and
data-validation lists (directions, levels, sources, roll-ups, kinds of movement, kinds of act).
A CSV template is one file per sheet, the header row alone, UTF-8 with a byte-order mark and ``;``,
as an Italian Excel opens it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from events.sheet_layouts import Column, SheetLayout, WorkbookLayout

ROWS = 5000  # how many rows below the header carry the formats' validations
FILE_NAMES = {"plan": "piano", "budget": "movimenti", "measurements": "misurazioni"}
CONVENTIONS = (
    ("Compilare una riga per fatto, sotto l'intestazione; non rinominare fogli né colonne (l'ordine delle"
    " colonne è libero, quelle facoltative si possono togliere)."),
    ("Numeri all'italiana: virgola decimale, punto delle migliaia (1.500,00). Date 31/12/2012 (o celle"
    " formattate come data). ND vuol dire non disponibile, che non è 0."),
    "Gli importi hanno al più due decimali; i pesi sono numeri da 0 a 100, senza il segno %.",
    ("Le colonne in grassetto scuro sono obbligatorie. Lasciare vuoto l'Id: è derivato dal codice della"
    " riga, così importare di nuovo lo stesso file non scrive nulla (nei Movimenti l'Id è obbligatorio)."),
    ("Importare con: perfledger import FILE. Tutto o niente: un errore nomina foglio, riga, colonna e"
    " valore, e non scrive nulla. Questo foglio (Istruzioni) e i fogli il cui nome comincia con # non"
    " sono letti."),
)


@click.command(name="template")
@click.argument("kind", type=click.Choice(["plan", "budget", "measurements"]))
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option("--out", "out", type=click.Path(), default=None,
              help="The workbook (xlsx), or the folder of the CSV files. [default: piano.xlsx,"
              " movimenti.xlsx, misurazioni.xlsx; for CSV the current folder]")
@click.option("--sheet", default=None, help="CSV only: write this sheet's file alone (e.g. Indicatori).")
@click.option("--force", is_flag=True, help="Replace files that exist.")
def template(kind: str, fmt: str, out: str | None, sheet: str | None, force: bool) -> None:
    """Write an empty workbook to fill in and import: the plan, the budget's movements or the measurements.

    The plan's workbook has the sheets Piano, Linee, Obiettivi, Indicatori and
    Voci di budget; the budget's, Movimenti; the measurements', Misurazioni;
    each XLSX has an Istruzioni sheet first. With --format csv, one file per
    sheet (its name in lower case: indicatori.csv), `;`-separated, UTF-8 with
    a byte-order mark.

    \b
    Example:
      perfledger template plan
      perfledger template measurements --out misurazioni-2012.xlsx
      perfledger template plan --format csv --out modelli/ --sheet Indicatori
    """
    from events.sheet_layouts import WORKBOOKS

    workbook = WORKBOOKS[kind]
    if fmt == "xlsx":
        if sheet is not None:
            raise click.UsageError("--sheet is for --format csv: a workbook holds every sheet")
        path = Path(out or f"{FILE_NAMES[kind]}.xlsx")
        _refuse_existing([path], force)
        write_xlsx(workbook, path)
        names = ", ".join(["Istruzioni", *(s.name for s in workbook.sheets)])
        click.echo(f"Wrote {path}: sheets {names}.")
        return
    sheets = [s for s in workbook.sheets if sheet is None or s.name.casefold() == sheet.casefold()]
    if not sheets:
        raise click.UsageError(f"--sheet {sheet!r} is not a sheet of the {kind} workbook"
                               f" ({', '.join(s.name for s in workbook.sheets)})")
    folder = Path(out or ".")
    paths = [folder / csv_name(s) for s in sheets]
    _refuse_existing(paths, force)
    folder.mkdir(parents=True, exist_ok=True)
    for layout, path in zip(sheets, paths):
        path.write_bytes(csv_template(layout))
    click.echo(f"Wrote {', '.join(str(p) for p in paths)}.")


def _refuse_existing(paths: list[Path], force: bool) -> None:
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise click.ClickException(f"{', '.join(existing)} exists already: give --force to replace it")


def csv_name(layout: SheetLayout) -> str:
    """A sheet's CSV file name: its name in lower case, words joined by hyphens (voci-di-budget.csv)."""
    return re.sub(r"\W+", "-", layout.name.casefold()).strip("-") + ".csv"


def csv_template(layout: SheetLayout) -> bytes:
    """A sheet's header row as CSV: ``;``-separated, UTF-8 with a byte-order mark, CRLF."""
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerow(c.header for c in layout.columns)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


# -- XLSX ---------------------------------------------------------------------------------------
def write_xlsx(workbook: WorkbookLayout, path: Path) -> None:
    """The workbook: Istruzioni, then one sheet per layout (see the module's docstring)."""
    import xlsxwriter  # type: ignore[import-untyped]

    book = xlsxwriter.Workbook(str(path))
    try:
        formats = cell_formats(book)
        _instructions(book, workbook, formats)
        for layout in workbook.sheets:
            _sheet(book, layout, formats)
    finally:
        book.close()


HEADER = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
STYLES: dict[str, dict[str, Any]] = {
    "header": HEADER,
    "required": {**HEADER, "bg_color": "#9BC2E6"},
    "title": {"bold": True, "font_size": 14},
    "bold": {"bold": True},
    "wrap": {"text_wrap": True, "valign": "top"},
    "text": {"num_format": "@"},
    "money": {"num_format": "#,##0.00"},
    "date": {"num_format": "dd/mm/yyyy"},
    "count": {"num_format": "0"},
    "number": {"num_format": "General"},
}
"""The cell styles of perfledger's workbooks (these templates, and the published copy of a report in
``cli.publish.xlsx``), as XlsxWriter format properties: number formats in Excel's own notation, which
Excel shows in its user's locale (``#,##0.00`` is 1.500,00 in Italy)."""


def cell_formats(book: Any) -> dict[str, Any]:
    """The workbook's formats, one for each of ``STYLES``."""
    return {name: book.add_format(properties) for name, properties in STYLES.items()}


def _instructions(book: Any, workbook: WorkbookLayout, formats: dict[str, Any]) -> None:
    sheet = book.add_worksheet("Istruzioni")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 2, 70)
    sheet.set_column(3, 3, 40)
    sheet.write(0, 0, f"perfledger: {workbook.title}, modello da compilare", formats["title"])
    row = 2
    for line in CONVENTIONS:
        sheet.merge_range(row, 0, row, 3, line, formats["wrap"])
        sheet.set_row(row, 30)
        row += 1
    for layout in workbook.sheets:
        row += 1
        sheet.write(row, 0, f"Foglio {layout.name}", formats["bold"])
        sheet.merge_range(row, 1, row, 3, layout.help, formats["wrap"])
        row += 1
        for col, title in enumerate(("Colonna", "Obbligatoria", "Contenuto", "Valori ammessi")):
            sheet.write(row, col, title, formats["header"])
        for column in layout.columns:
            row += 1
            sheet.write_row(row, 0, [column.header, "sì" if column.required else "",
                                     column.help, ", ".join(column.choices)], formats["wrap"])


def _sheet(book: Any, layout: SheetLayout, formats: dict[str, Any]) -> None:
    sheet = book.add_worksheet(layout.name)
    for index, column in enumerate(layout.columns):
        sheet.set_column(index, index, column.width, formats[column.style])
        sheet.write_string(0, index, column.header, formats["required" if column.required else "header"])
        sheet.write_comment(0, index, column.help + (" Obbligatoria." if column.required else ""),
                            {"x_scale": 2})
        validation = _validation(column)
        if validation is not None:
            sheet.data_validation(1, index, ROWS, index, validation)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, 0, len(layout.columns) - 1)


def _validation(column: Column) -> dict[str, Any] | None:
    """The data validation of a column's cells: its list of values, a weight's range, a date's."""
    if column.choices:
        return {"validate": "list", "source": list(column.choices),
                "error_type": "stop" if column.strict else "warning",
                "error_message": f"Valori ammessi: {', '.join(column.choices)}"[:255]}
    if column.field == "weight":
        return {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100,
                "error_message": "Il peso è un numero da 0 a 100 (senza %)."}
    if column.style == "date":
        from datetime import date

        return {"validate": "date", "criteria": "between", "minimum": date(1900, 1, 1),
                "maximum": date(2999, 12, 31), "error_type": "warning",
                "error_message": "Una data: 31/12/2012."}
    return None
