"""The spreadsheets a controller keeps, column by column: the one definition that both the reader
(``events.spreadsheets``) and the templates (``cli.templates``) follow.

Three workbooks: the **plan** (sheets Piano, Linee, Obiettivi, Indicatori, Voci di budget), the
**budget** movements (Movimenti: variations, reservations, approvals, adjustments) and the
four-monthly **measurements** (Misurazioni). A CSV file holds one sheet. Headers are Italian;
each column says which field of the fact it fills, how its cells are read (``events.sheet_cells``),
whether it is required, and what a person is told about it (the template's instructions).

Every sheet also takes the envelope's columns: ``Data`` (the effective date), ``Atto``, ``Numero
atto`` and ``Data atto`` (the act: all three or none), ``Nota`` and ``Id`` (the event id; left
blank, it is derived from the row's key, so importing the file again writes nothing new).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from events import sheet_cells as cells
from events.sheet_cells import Convert

LEVELS = {"strategico": "strategic", "operativo": "operational", "individuale": "individual",
          "valore pubblico": "public_value"}
DIRECTIONS = {"crescente": "higher", "decrescente": "lower", "almeno": "at_least", "al massimo": "at_most",
              "scadenza": "deadline"}
SOURCES = {"misurato": "measured", "riferimento": "reference", "rapporto tra anni": "derived:year_ratio",
           "variazioni": "derived:variations", "livello dell'ente": "derived:entity_level",
           "tempestività": "derived:reporting_delay"}
ROLLUPS = {"aggregata": "pooled", "media": "mean"}
MOVEMENTS = {"variazione": "BudgetVaried", "prenotazione": "ReservationMade",
             "approvazione": "ReservationApproved", "rettifica": "ReservationAdjusted"}
ACT_KINDS = ("Delibera di Giunta", "Delibera di Consiglio", "Determinazione dirigenziale",
             "Determinazione del Segretario Generale", "Decreto")


@dataclass(frozen=True)
class Column:
    """One column: its Italian ``header``, the ``field`` it fills (a field of the fact, or of the
    envelope: ``id``, ``effective_date``, ``note``, ``act.kind``, ``act.number``, ``act.date``,
    ``type``), how a cell is read (``convert``), and for people: ``help``, the values a template
    offers (``choices``; ``strict``: only those), and the cell ``style`` (text, money, number,
    count, date)."""

    header: str
    field: str
    convert: Convert
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    strict: bool = True
    style: str = "text"
    width: int = 14


@dataclass(frozen=True)
class SheetLayout:
    """One sheet: its ``name`` (the workbook's sheet name), its ``key`` (``--layout`` of a CSV
    file), the ``columns``, the fact ``type`` its rows become (None: the row's ``type`` column
    says), and ``derive_id``, the event id of a row that gives none (from the row's fields; None:
    the ``Id`` column is required). ``defaults`` are fields a row takes, when blank, from another
    of its fields or from the workbook's Piano (``plan.year``, ``plan.effective_date``)."""

    key: str
    name: str
    help: str
    columns: tuple[Column, ...]
    type: str | None
    derive_id: Callable[[Mapping[str, Any]], str] | None
    defaults: tuple[tuple[str, str], ...] = ()

    def column(self, field: str) -> Column | None:
        return next((c for c in self.columns if c.field == field), None)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


@dataclass(frozen=True)
class WorkbookLayout:
    """A workbook's sheets, in the order their rows are written (a plan before its lines...)."""

    key: str
    title: str
    sheets: tuple[SheetLayout, ...]


# -- columns every sheet has -----------------------------------------------------------------
def _date(required: bool, help: str = "La data da cui il fatto vale (31/12/2012).") -> Column:
    return Column("Data", "effective_date", cells.day, help, required=required, style="date", width=12)


def _envelope(date_required: bool, date_help: str | None = None,
              id_required: bool = False) -> tuple[Column, ...]:
    dated = _date(date_required) if date_help is None else _date(date_required, date_help)
    given = ("L'identificativo dell'evento: obbligatorio, unico, mai riusato." if id_required else
             "Lasciare vuoto: è derivato dal codice della riga (così reimportare non duplica).")
    return (
        dated,
        Column("Atto", "act.kind", cells.text, "Il tipo di atto che decide il fatto (con numero e data).",
               choices=ACT_KINDS, strict=False, width=24),
        Column("Numero atto", "act.number", cells.text, "Il numero dell'atto (n.d. se ignoto).", width=10),
        Column("Data atto", "act.date", cells.day, "La data dell'atto.", style="date", width=12),
        Column("Nota", "note", cells.text, "Testo libero.", width=30),
        Column("Id", "id", cells.text, given, required=id_required, width=18),
    )


def _code(header: str, field: str, help: str, required: bool = True, width: int = 12) -> Column:
    return Column(header, field, cells.text, help, required=required, width=width)


# -- the plan ------------------------------------------------------------------------------------
PLAN_YEAR = SheetLayout(
    key="plan-year", name="Piano", type="PlanOpened",
    help="Una riga: il piano dell'anno e i suoi parametri (PlanOpened). Se il piano è già nel ledger,"
         " togliere il foglio.",
    columns=(
        Column("Anno", "year", cells.count, "L'anno del piano (2012).", required=True, style="count",
               width=8),
        Column("Titolo", "title", cells.text, "Il titolo del piano.", required=True, width=36),
        Column("Livelli", "levels", cells.words_list(LEVELS, others=True),
               "I livelli dell'albero dall'alto, separati da virgole (strategico, operativo, individuale).",
               width=34),
        Column("Livello dell'ente", "entity_level", cells.choice(LEVELS, others=True),
               "Il livello la cui media è il livello dell'ente (strategico).", choices=tuple(LEVELS),
               strict=False),
        Column("Aggregazione", "rollup", cells.choice(ROLLUPS),
               "Come i figli confluiscono nel padre: aggregata (per peso) o media.", choices=tuple(ROLLUPS)),
        Column("Penalità di ritardo", "deadline_penalty", cells.number,
               "Quota persa per giorno di ritardo sulle scadenze (0,02 = 2% al giorno).", style="number"),
        Column("Soglia raggiunto", "band_achieved", cells.number, "Da quale % è raggiunto (90).",
               style="number"),
        Column("Soglia parziale", "band_partly", cells.number, "Da quale % è parzialmente raggiunto (80).",
               style="number"),
        Column("Giorni oltre l'anno", "horizon_days", cells.count,
               "Quanti giorni dopo il 31/12 possono cadere le date dei fatti dell'anno (0).", style="count"),
        *_envelope(True, "La data di approvazione del piano (27/01/2012)."),
    ),
    derive_id=lambda f: f"plan-{f['year']}",
)

PLAN_LINES = SheetLayout(
    key="plan-lines", name="Linee", type="PolicyLineDefined",
    help="Le linee di indirizzo dell'anno (PolicyLineDefined).",
    columns=(
        Column("Anno", "year", cells.count, "L'anno del piano; vuoto: quello del foglio Piano.",
               style="count", width=8),
        _code("Codice", "line", "Il codice della linea (A1)."),
        Column("Titolo", "title", cells.text, "Il titolo della linea.", required=True, width=40),
        *_envelope(False, "Vuoto: la data del foglio Piano."),
    ),
    derive_id=lambda f: f"line-{f['year']}-{f['line']}",
    defaults=(("year", "plan.year"), ("effective_date", "plan.effective_date")),
)

PLAN_OBJECTIVES = SheetLayout(
    key="plan-objectives", name="Obiettivi", type="ObjectiveDefined",
    help="Gli obiettivi, su un livello del piano, sotto un padre del livello sopra (ObjectiveDefined)."
         " L'ordine delle righe è libero: i padri sono scritti prima dei figli.",
    columns=(
        Column("Anno", "year", cells.count, "L'anno del piano; vuoto: quello del foglio Piano.",
               style="count", width=8),
        _code("Codice", "objective", "Il codice dell'obiettivo, unico nel ledger (04, AMM/3.1)."),
        Column("Livello", "level", cells.choice(LEVELS, others=True), "Un livello del piano (strategico...).",
               required=True, choices=tuple(LEVELS), strict=False),
        Column("Titolo", "title", cells.text, "Il titolo dell'obiettivo.", required=True, width=40),
        Column("Prospettiva", "perspective", cells.text,
               "La prospettiva (Imprese, Consumatori e Territorio).", width=24),
        _code("Obiettivo padre", "parent", "Il codice dell'obiettivo padre, del livello sopra.", False),
        _code("Linea", "line", "Il codice della linea di indirizzo.", False, width=8),
        _code("Area", "area", "L'area o unità organizzativa responsabile.", False),
        Column("Responsabile", "owner", cells.text, "Il dirigente di un obiettivo individuale.", width=20),
        _code("Predecessore", "predecessor", "L'obiettivo di un anno precedente che rivede.", False),
        *_envelope(False, "Vuoto: la data del foglio Piano."),
    ),
    derive_id=lambda f: f"objective-{f['objective']}",
    defaults=(("year", "plan.year"), ("effective_date", "plan.effective_date")),
)

PLAN_INDICATORS = SheetLayout(
    key="plan-indicators", name="Indicatori", type="IndicatorDefined",
    help="Gli indicatori di ogni obiettivo, con peso, direzione, target e unità (IndicatorDefined).",
    columns=(
        _code("Codice", "indicator", "Il codice dell'indicatore, unico nel ledger (04.1)."),
        _code("Obiettivo", "objective", "Il codice dell'obiettivo che misura."),
        Column("Titolo", "title", cells.text, "Che cosa misura.", required=True, width=40),
        Column("Peso", "weight", cells.weight, "Il peso in %, da 0 a 100 (33,33), senza il segno %.",
               required=True, style="number", width=8),
        Column("Direzione", "direction", cells.choice(DIRECTIONS),
               "crescente, decrescente, almeno, al massimo, scadenza.", required=True,
               choices=tuple(DIRECTIONS)),
        Column("Target", "target", cells.measured,
               "Un numero, una data (scadenze) o ND; con unità % una frazione (0,65 per 65%).",
               required=True, style="number"),
        Column("Unità", "unit", cells.text, "L'unità di misura (n., %, giorni, data).", width=8),
        Column("Fonte", "source", cells.choice(SOURCES),
               "misurato (vuoto), riferimento, rapporto tra anni, variazioni, livello dell'ente,"
               " tempestività.",
               choices=tuple(SOURCES)),
        _code("Usa", "uses", "Per riferimento e rapporto tra anni: l'indicatore da cui prende il valore.",
              False),
        _code("Confrontato con", "compared_with", "Per rapporto tra anni: l'indicatore dell'anno prima.",
              False),
        *_envelope(False, "Vuoto: la data del foglio Piano."),
    ),
    derive_id=lambda f: f"indicator-{f['indicator']}",
    defaults=(("effective_date", "plan.effective_date"),),
)

PLAN_ITEMS = SheetLayout(
    key="plan-items", name="Voci di budget", type="BudgetItemOpened",
    help="Le voci (prodotti) del budget, con lo stanziamento iniziale (BudgetItemOpened).",
    columns=(
        _code("Codice", "item", "Il codice della voce, unico nel ledger (A1/04/01)."),
        _code("Linea", "line", "La linea di indirizzo; vuoto: risorse proprie dell'obiettivo.", False,
              width=8),
        _code("Obiettivo", "objective", "L'obiettivo (di qualsiasi livello) cui la voce appartiene."),
        Column("Prodotto", "product", cells.text, "Il nome del prodotto.", required=True, width=40),
        Column("Importo", "amount", cells.money, "Lo stanziamento iniziale in euro (10.000,00), ≥ 0.",
               required=True, style="money"),
        *_envelope(False, "Vuoto: la data del foglio Piano."),
    ),
    derive_id=lambda f: f"item-{f['item']}",
    defaults=(("effective_date", "plan.effective_date"),),
)

# -- the budget's movements ------------------------------------------------------------------
MOVEMENTS_SHEET = SheetLayout(
    key="movements", name="Movimenti", type=None,
    help="I movimenti del budget, uno per riga, nell'ordine in cui avvengono: variazione, prenotazione,"
         " approvazione, rettifica; ognuno con il suo atto. L'Id è obbligatorio.",
    columns=(
        Column("Id", "id", cells.text, "L'identificativo del movimento: obbligatorio, unico, mai riusato.",
               required=True, width=18),
        _date(True, "La data del movimento (15/03/2012)."),
        Column("Tipo", "type", cells.choice(MOVEMENTS), "variazione, prenotazione, approvazione, rettifica.",
               required=True, choices=tuple(MOVEMENTS)),
        _code("Voce", "item", "La voce di budget (variazione, prenotazione).", False),
        _code("Prenotazione", "reservation",
              "Il codice della prenotazione (prenotazione, approvazione, rettifica).", False),
        Column("Importo", "amount", cells.money,
               "In euro (1.500,00); variazione e rettifica con segno (una rettifica positiva libera).",
               required=True, style="money"),
        Column("Motivo forzatura", "override_reason", cells.text,
               "Perché si va oltre la disponibilità (solo se serve).", width=30),
        *_envelope(True)[1:-1],
    ),
    derive_id=None,
)

# -- the measurements --------------------------------------------------------------------------
MEASUREMENTS_SHEET = SheetLayout(
    key="measurements", name="Misurazioni", type="IndicatorMeasured",
    help="Le misurazioni degli indicatori, una per indicatore e periodo (IndicatorMeasured).",
    columns=(
        _code("Indicatore", "indicator", "Il codice dell'indicatore (04.1)."),
        Column("Fine periodo", "period_end", cells.day, "L'ultimo giorno del periodo (30/04/2012).",
               required=True, style="date", width=12),
        Column("Valore", "value", cells.measured,
               "Il valore non arrotondato, una data (scadenze) o ND; con unità % una frazione (0,65).",
               required=True, style="number"),
        Column("Numeratore", "numerator", cells.number, "Per un rapporto, il numeratore.", style="number"),
        Column("Denominatore", "denominator", cells.number, "Per un rapporto, il denominatore.",
               style="number"),
        Column("Data rilevazione", "collected_on", cells.day,
               "Il giorno in cui i dati sono stati rilevati; vuoto: quello dell'importazione.", style="date",
               width=12),
        *_envelope(False, "Vuoto: la fine del periodo."),
    ),
    derive_id=lambda f: f"m-{f['indicator']}-{f['period_end']}",
    defaults=(("effective_date", "period_end"),),
)

PLAN = WorkbookLayout("plan", "Piano della performance",
                      (PLAN_YEAR, PLAN_LINES, PLAN_OBJECTIVES, PLAN_INDICATORS, PLAN_ITEMS))
BUDGET = WorkbookLayout("budget", "Movimenti del budget", (MOVEMENTS_SHEET,))
MEASUREMENTS = WorkbookLayout("measurements", "Misurazioni", (MEASUREMENTS_SHEET,))
WORKBOOKS: dict[str, WorkbookLayout] = {w.key: w for w in (PLAN, BUDGET, MEASUREMENTS)}
SHEETS: tuple[SheetLayout, ...] = tuple(s for w in WORKBOOKS.values() for s in w.sheets)
"""Every sheet, in the order a workbook's rows are written (the plan, its lines, objectives,
indicators, items; then movements, then measurements)."""
BY_KEY: dict[str, SheetLayout] = {s.key: s for s in SHEETS}
SKIPPED = ("Istruzioni",)
"""Sheets an import leaves out (the templates' instructions), as do sheets whose name starts with #."""
