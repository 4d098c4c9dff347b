"""The words of every table, header and explanation, in English (the key) and in Italian (``ITALIAN``).

``tr(key, locale)`` is the one way a printed word is chosen: under ``en`` the key itself, under ``it``
its Italian text. Keys may hold ``{placeholders}``, filled by the caller after translation. The seed's
own Italian terms (Linea, Prodotto, Prenotato, ...) are keys too and stay as they are in both locales.
Codes and titles from the data (objective codes, products, reasons) are never translated; the codes
the ledger defines (bands, causes, levels) are.
"""

from __future__ import annotations

ITALIAN: dict[str, str] = {
    # -- the cut (cli.header)
    "as of any date": "a qualsiasi data",
    "as of {date}": "situazione al {date}",
    "(no entity)": "(ente senza nome)",
    "year {year}": "anno {year}",
    "ledger of {events} events · head {head}": "registro di {events} eventi · ultimo evento {head}",
    "known at the last event": "noto all'ultimo evento",
    "known at event {seq}": "noto all'evento {seq}",
    "known at {date}": "noto al {date}",
    "known at {date} {time} UTC": "noto al {date} alle {time} UTC",
    "(nothing)": "(nessuno)",
    # -- report titles
    "Budget {year}": "Budget {year}",
    "Achievement {year}": "Grado di raggiungimento {year}",
    "Variations to objectives {year}": "Variazioni agli obiettivi {year}",
    # -- budget (the seed's own terms) and its overrides
    "Area": "Area",
    "Linea": "Linea",
    "Obiettivo": "Obiettivo",
    "Voce": "Voce",
    "Prodotto": "Prodotto",
    "Budget": "Budget",
    "Variazioni": "Variazioni",
    "Totale": "Totale",
    "Prenotato": "Prenotato",
    "Approvato": "Approvato",
    "Rettificato": "Rettificato",
    "Disponibile": "Disponibile",
    "Disponibile/Totale": "Disponibile/Totale",
    "total": "totale",
    "not on a policy line": "fuori dalle linee programmatiche",
    "no area": "nessuna area",
    "event": "evento",
    "Overrides (availability allowed below zero):": "Deroghe (disponibilità ammessa sotto zero):",
    # -- achievement: columns, bands, levels, reasons
    "id": "codice",
    "title": "titolo",
    "objective": "obiettivo",
    "level": "livello",
    "area": "area",
    "weight": "peso",
    "value": "valore",
    "target": "atteso",
    "own": "proprio",
    "roll-up": "aggregato",
    "band": "fascia",
    "children": "figli",
    "preventivo": "preventivo",
    "consuntivo": "consuntivo",
    "achieved": "raggiunto",
    "partly": "parzialmente raggiunto",
    "not_achieved": "non raggiunto",
    "strategic": "strategico",
    "operational": "operativo",
    "individual": "individuale",
    "strategic objectives": "obiettivi strategici",
    "operational objectives": "obiettivi operativi",
    "individual objectives": "obiettivi individuali",
    "{level} objectives": "obiettivi di livello {level}",
    "entity level": "livello dell'ente",
    "mean of": "media di",
    "achievement": "raggiungimento",
    "perspective {name}": "prospettiva {name}",
    "withdrawn ({cause})": "ritirato ({cause})",
    "not measured": "non misurato",
    "ND (not available)": "ND (non disponibile)",
    "the plan sets no measurable target": "il piano non fissa un valore atteso misurabile",
    "value and target do not fit the direction": "valore e valore atteso non corrispondono alla direzione",
    "own: the objective's figure from its own indicators, sum(w r) / sum(w). roll-up: its children's on the"
    " level below ({rule}; the plan's rule). The entity level is the mean of the {level} objectives' own"
    " figures.": "proprio: il grado dell'obiettivo dai suoi indicatori, somma(p r) / somma(p). aggregato:"
    " quello dei suoi figli al livello sotto ({rule}; la regola del piano). Il livello dell'ente è la media"
    " dei gradi propri degli obiettivi di livello {level}.",
    "pooled: sum(w r) / sum(w) over their indicators": "cumulato: somma(p r) / somma(p) sui loro indicatori",
    "mean: the mean of their own figures": "media: la media dei loro gradi propri",
    "preventivo / consuntivo: the Budget / Prenotato of the budget items of the objective and of its"
    " descendants.": "preventivo / consuntivo: il Budget / Prenotato delle voci di budget dell'obiettivo e"
    " dei suoi discendenti.",
    "Above the objectives of area {area}, roll-up and resources count theirs only.":
        "Sopra gli obiettivi dell'area {area}, aggregato e risorse contano solo i loro.",
    # -- variations
    "effective_date": "decorrenza",
    "cause": "causa",
    "counts": "conta",
    "what": "cosa cambia",
    "internal": "interna",
    "normative": "normativa",
    "external": "esterna",
    "changes counted (internal)": "variazioni conteggiate (interne)",
    "ratio": "rapporto",
    "figure": "dato",
    "target value": "valore atteso",
    "cause {cause}": "causa {cause}",
    # -- log: the columns and the names of the events' fields in details
    "seq": "n.",
    "type": "tipo",
    "recorded_at": "registrato il",
    "actor": "autore",
    "details": "dettagli",
    "amount": "importo",
    "item": "voce",
    "reservation": "prenotazione",
    "indicator": "indicatore",
    "period": "periodo",
    "reason": "motivo",
    "override": "deroga",
    "corrects": "corregge",
    "to": "a",
    "parent": "padre",
    "product": "prodotto",
    "line": "linea",
    "direction": "direzione",
    "unit": "unità",
    "source": "fonte",
    "strike": "stralcio",
    "owner": "titolare",
    "collected_on": "rilevato il",
    "perspective": "prospettiva",
    "predecessor": "predecessore",
    "uses": "usa",
    "compared_with": "confrontato con",
    "year": "anno",
    "entity": "ente",
    "name": "nome",
    "role": "ruolo",
    "file": "file",
    "validation": "validazione",
    "field": "campo",
    "Corrected by:": "Corretto da:",
    "changes": "modifiche",
    "recorded_at (UTC)": "registrato il (UTC)",
    "higher": "crescente",
    "lower": "decrescente",
    "deadline": "scadenza",
    "at_least": "almeno",
    "at_most": "al massimo",
    "measured": "misurato",
    # -- diff
    "from": "da",
    "Figures of {year} that changed": "Dati del {year} cambiati",
    "  from: {cut}": "  da: {cut}",
    "  to:   {cut}": "  a:  {cut}",
    "every fact in force": "tutti i fatti in vigore",
    "{as_of}, known now": "{as_of}, come noto ora",
    "{as_of}, as known at event {seq}": "{as_of}, come noto all'evento {seq}",
    "{as_of}, as known at the end of {date} (UTC)": "{as_of}, come noto alla fine del {date} (UTC)",
    "{as_of}, as known at {time}": "{as_of}, come noto al {time}",
    "{figures} changed; {events} made the difference.": "{figures} cambiati; {events} all'origine della"
    " differenza.",
    "{n} figure": "{n} dato",
    "{n} figures": "{n} dati",
    "{n} event": "{n} evento",
    "{n} events": "{n} eventi",
    "added: the events that count at --to only; dropped: those that counted at --from only.":
        "aggiunti: gli eventi che contano solo a --to; tolti: quelli che contavano solo a --from.",
    "No figure changed.": "Nessun dato è cambiato.",
    "events (seq)": "eventi (n.)",
    "Events": "Eventi",
    "effective": "decorrenza",
    "added": "aggiunti",
    "dropped": "tolti",
    "no event differs": "nessun evento differisce",
    # -- explain
    "rounded half-up: {shown}": "arrotondato (metà per eccesso): {shown}",
    "band: {band}": "fascia: {band}",
    "eff": "decorrenza",
    "rec": "registrato",
    "by": "da",
    "from {file}, sheet {sheet}, row {row}": "da {file}, foglio {sheet}, riga {row}",
    "[included: {n}-hash audit path verified]": "[incluso: percorso di verifica di {n} hash verificato]",
}


def tr(key: str, locale: str) -> str:
    """The text of ``key`` in ``locale``: the key itself under en; unknown keys stay as they are (the
    tests list the words that must not be left in English)."""
    if locale != "it":
        return key
    return ITALIAN.get(key, key)
