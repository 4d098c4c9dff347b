"""The 2012 Relazione opened in a real browser: its figures are the ledger's, each one click from its
derivation, whose events the page's own script proves against the checkpoint the OIV cosigned.

Every page is written by ``perfledger publish --format html`` and opened from file:// in Debian's
Chromium (tests/browser.py); a tampered copy (an event's line, a cell shown, the checkpoint's
signature) must say it is not verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from cli.main import main
from cli.publish.model import figure_key
from tests.browser import Opened, chromium, opened
from tests.conftest import ev, write_jsonl

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ENTITY = figure_key(("achievement", "entity"), None)
LATE = ev("ReservationMade", "r-late", "2012-12-20", reservation="r-late", item="A1/04/02", amount="10.00")
EVIDENCE = re.compile(r'(<script[^>]*id="evidence"[^>]*>)(.*?)(</script>)', re.DOTALL)
# The key results' count of objectives in each band, as the table of bands shows it: a row per band,
# its traffic light (<span class="light BAND">) in the first cell and its count in the second.
BAND_COUNTS = """rows => Object.fromEntries(rows.filter((row) => row.querySelector(".light")).map((row) => [
  [...row.querySelector(".light").classList].find((c) => c !== "light"), row.cells[1].innerText.trim()]))"""
NO_ED25519 = """
const importKey = crypto.subtle.importKey.bind(crypto.subtle);
crypto.subtle.importKey = (format, key, algorithm, ...rest) => (algorithm && algorithm.name === "Ed25519")
  ? Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"))
  : importKey(format, key, algorithm, ...rest);
"""


def run(ledger: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--ledger", ledger, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@dataclass(frozen=True)
class Relazione:
    """The 2012 Relazione resting on checkpoint ``size`` signed by cdg and cosigned by oiv (``page``),
    the same resting on the ledger's head (``head_page``), on the checkpoint after one more reservation
    (``late_page``), and ``achievement --format json``."""

    page: Path
    head_page: Path
    late_page: Path
    size: int
    key_ids: dict[str, str]
    achievement: dict[str, Any]

    def strategic(self) -> list[dict[str, Any]]:
        return [o for o in self.achievement["objectives"] if o["level"] == "strategic"]

    def copy(self, name: str, edit: Callable[[str], str]) -> Path:
        """A copy of the page, edited as a forger would, in the file."""
        path = self.page.with_name(name)
        path.write_text(edit(self.page.read_text(encoding="utf-8")), encoding="utf-8")
        return path


@pytest.fixture(scope="module")
def relazione(example: str, tmp_path_factory: pytest.TempPathFactory) -> Relazione:
    where = tmp_path_factory.mktemp("relazione")
    run(example, "key", "new", "cdg", "--dir", str(where))
    run(example, "key", "new", "oiv", "--witness", "--dir", str(where))
    checkpoint = where / "checkpoint.txt"
    run(example, "checkpoint", "--key", str(where / "cdg.key"), "--out", str(checkpoint))
    run(example, "checkpoint", "cosign", str(checkpoint), "--key", str(where / "oiv.key"), "--log-vkey",
        str(where / "cdg.vkey"), "--state", str(where / "oiv-state.json"))
    page, head_page = where / "relazione-2012.html", where / "relazione-head.html"
    run(example, "publish", "--format", "html", "--out", str(page), "--checkpoint", str(checkpoint),
        "--vkey", str(where / "cdg.vkey"), "--vkey", str(where / "oiv.vkey"))
    run(example, "publish", "--format", "html", "--out", str(head_page))
    size = int(checkpoint.read_text().split("\n")[1])
    achieved = json.loads(run(example, "achievement", "--format", "json"))
    later = str(shutil.copy(example, where / "later.db"))
    run(later, "import", str(write_jsonl(where / "late.jsonl", [LATE])))
    late_page = where / "relazione-late.html"
    run(later, "publish", "--format", "html", "--out", str(late_page), "--checkpoint", str(checkpoint),
        "--vkey", str(where / "cdg.vkey"), "--vkey", str(where / "oiv.vkey"))
    key_ids = {name: (where / f"{name}.vkey").read_text().split("+")[1] for name in ("cdg", "oiv")}
    return Relazione(page, head_page, late_page, size, key_ids, achieved)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture(scope="module")
def genuine(browser: Browser, relazione: Relazione) -> Iterator[Opened]:
    page = opened(browser, relazione.page)
    yield page
    page.close()


@pytest.fixture
def open_copy(browser: Browser) -> Iterator[Callable[..., Opened]]:
    pages: list[Opened] = []

    def open_it(path: Path, **options: Any) -> Opened:
        pages.append(opened(browser, path, **options))
        return pages[-1]

    yield open_it
    for page in pages:
        page.close()


# -- what a forger changes -------------------------------------------------------------------------
def evidence_of(html: str) -> dict[str, Any]:
    found = EVIDENCE.search(html)
    assert found is not None, "the page has no #evidence"
    return dict(json.loads(found.group(2)))


def with_evidence(html: str, edit: Callable[[dict[str, Any]], None]) -> str:
    """The page with its evidence JSON edited, written back as the page writes it (no ``<``, ``>``, ``&``)."""
    found = EVIDENCE.search(html)
    assert found is not None, "the page has no #evidence"
    evidence = json.loads(found.group(2))
    edit(evidence)
    text = json.dumps(evidence, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return html[: found.start(2)] + text + html[found.end(2):]


def first_with_amount(evidence: dict[str, Any]) -> str:
    return next(str(seq) for seq, e in evidence["events"].items() if '"amount":"' in e["line"])


def amount_raised(html: str, rehashed: bool) -> str:
    """The first event with an amount raised by 1000 in its line; ``rehashed``: and its hash, wherever
    the page shows it in full or cut short, made that of the new line, as a careful forger would."""
    seq = first_with_amount(evidence_of(html))
    lines: list[str] = []

    def raise_amount(evidence: dict[str, Any]) -> None:
        event = evidence["events"][seq]
        lines.append(event["line"])
        amount = json.loads(event["line"])["amount"]
        raised = Decimal(amount) + 1000
        event["line"] = event["line"].replace(f'"amount":"{amount}"', f'"amount":"{raised}"', 1)
        lines.append(event["line"])

    forged = with_evidence(html, raise_amount)
    if not rehashed:
        return forged
    old, new = (hashlib.sha256(line.encode()).hexdigest() for line in lines)
    shown = re.compile(f"{old[:8]}[0-9a-f]*")  # outside the evidence, where the next event's prev holds it

    def rehash(text: str) -> str:
        return shown.sub(lambda m: new[: len(m.group())] if old.startswith(m.group()) else m.group(), text)

    found = EVIDENCE.search(forged)
    assert found is not None
    return rehash(forged[: found.start(2)]) + found.group(2) + rehash(forged[found.end(2):])


def signature_flipped(name: str) -> Callable[[dict[str, Any]], None]:
    def flip(evidence: dict[str, Any]) -> None:
        lines = evidence["anchor"]["note"].split("\n")
        at = next(i for i, line in enumerate(lines) if line.startswith(f"— {name} "))
        data = bytearray(base64.b64decode(lines[at].split(" ")[2]))
        data[-1] ^= 1  # the signature's last byte; the key ID stays that of the key
        lines[at] = f"— {name} {base64.b64encode(bytes(data)).decode()}"
        evidence["anchor"]["note"] = "\n".join(lines)

    return flip


def cell_changed(key: str, field: str) -> Callable[[str], str]:
    """The first ``field`` cell of the derivation ``key``'s events, changed in value and in text."""
    def change(html: str) -> str:
        start = html.index(f'id="{key}"')
        cell = re.compile(rf'(<td[^>]*data-field="{field}"[^>]*data-value=")([^"]*)("[^>]*>)([^<]*)(</td>)')
        found = cell.search(html, start)
        assert found is not None, f"no {field} cell in {key}"
        forged = "2012-01-02" if found.group(2) != "2012-01-02" else "2012-01-03"
        return html[: found.start()] + found.expand(rf"\g<1>{forged}\g<3>{forged}\g<5>") + html[found.end():]

    return change


# -- the genuine page ------------------------------------------------------------------------------
def test_the_page_shows_the_entity_level_bands_and_each_strategic_objective_as_achievement_says(
    genuine: Opened, relazione: Relazione
) -> None:
    figures = {ENTITY: f"{relazione.achievement['entity']['percent']}%"}
    figures |= {figure_key(("achievement", "objective", o["id"]), None): f"{o['percent']}%"
                for o in relazione.strategic()}
    for key, shown in figures.items():
        links = genuine.page.locator(f"a.fig[data-key='{key}']")
        visible = [links.nth(i) for i in range(links.count()) if links.nth(i).is_visible()]
        assert visible, f"figure {key} ({shown}) is not on the page"
        assert {link.inner_text().strip() for link in visible} == {shown}
    counts = genuine.page.eval_on_selector_all("table.bands tr", BAND_COUNTS)
    assert counts == {band: str(n) for band, n in relazione.achievement["bands"].items()}


def test_each_strategic_objective_links_to_its_derivation_verified_against_the_cosigned_checkpoint(
    genuine: Opened, relazione: Relazione
) -> None:
    page = genuine.page
    for objective in relazione.strategic():
        key = figure_key(("achievement", "objective", objective["id"]), None)
        page.locator(f"a.fig[data-key='{key}']").filter(visible=True).first.click()
        assert page.evaluate("location.hash") == f"#{key}"
        assert page.locator(f"section.derivation[id='{key}']").is_visible()
        state, text = genuine.status(key)
        assert state == "verified", text
        assert text.startswith("verificato: ") and f"checkpoint {relazione.size} " in text
        assert "firmato da cdg" in text and "cosottoscritto da oiv il " in text
    state, text = genuine.state("#proof-banner")
    assert state == "verified" and f"checkpoint {relazione.size} " in text, text
    assert f"Chiavi: cdg {relazione.key_ids['cdg']}, oiv {relazione.key_ids['oiv']} " in text  # to compare


def test_nothing_leaves_the_page_and_nothing_goes_wrong_in_it(genuine: Opened, relazione: Relazione) -> None:
    assert genuine.requests == [relazione.page.as_uri()]
    assert genuine.refused == []
    assert genuine.errors == []


def test_on_a_phone_390_pixels_wide_the_page_does_not_scroll_sideways(
    genuine: Opened, tmp_path: Path
) -> None:
    page = genuine.page
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.evaluate("window.scrollTo(0, 0)")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot = tmp_path / "relazione-2012-390px.png"
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
    finally:
        if size is not None:
            page.set_viewport_size(size)


def test_a_page_resting_on_the_ledgers_head_says_nobody_signed_it(
    open_copy: Callable[..., Opened], relazione: Relazione
) -> None:
    page = open_copy(relazione.head_page)
    state, text = page.status(ENTITY)
    assert state == "verified" and "testa del registro" in text and "nessuno" in text, text
    assert "checkpoint" not in text


def test_a_browser_without_ed25519_says_the_signatures_were_not_checked(
    open_copy: Callable[..., Opened], relazione: Relazione
) -> None:
    page = open_copy(relazione.page, init_script=NO_ED25519)
    state, text = page.state("#proof-banner")
    assert state == "unchecked" and "perfledger-verify" in text, text
    state, text = page.status(ENTITY)
    assert state == "unchecked" and not text.startswith("verificato"), text


def test_an_event_recorded_after_the_checkpoint_is_said_to_rest_on_the_ledgers_word(
    open_copy: Callable[..., Opened], relazione: Relazione
) -> None:
    page = open_copy(relazione.late_page)
    late = relazione.size + 1
    state, text = page.status(figure_key(("budget", "item", "A1/04/02", "reserved"), None))
    assert state == "uncovered" and text.startswith("verificato in parte: "), text
    assert f"l'evento #{late}, registrato dopo il checkpoint {relazione.size}, poggia sulla parola" in text
    assert page.status(ENTITY)[0] == "verified"
    assert page.state("#proof-banner")[0] == "uncovered"


# -- tampered copies -------------------------------------------------------------------------------
@pytest.mark.parametrize("rehashed", [False, True], ids=["as-is", "rehashed"])
def test_an_event_whose_amount_was_changed_in_the_evidence_is_not_verified(
    open_copy: Callable[..., Opened], relazione: Relazione, rehashed: bool
) -> None:
    seq = first_with_amount(evidence_of(relazione.page.read_text(encoding="utf-8")))
    page = open_copy(relazione.copy("amount.html", lambda html: amount_raised(html, rehashed)))
    resting = {(state, text) for seqs, state, text in page.derivations() if seq in seqs}
    said = "non corrisponde alla radice del checkpoint" if rehashed else "non è quello mostrato (hash)"
    assert resting == {("failed", f"NON verificato: l'evento #{seq} {said}")}
    assert page.status(ENTITY)[0] == "verified"  # the figures that do not rest on it still stand
    state, text = page.state("#proof-banner")
    assert state == "failed" and f"eventi che non tornano: #{seq}." in text, text
    assert page.errors == []


def test_a_cell_changed_in_a_derivations_table_is_not_verified(
    open_copy: Callable[..., Opened], relazione: Relazione
) -> None:
    key = figure_key(("achievement", "objective", relazione.strategic()[0]["id"]), None)
    page = open_copy(relazione.copy("cell.html", cell_changed(key, "effective_date")))
    state, text = page.status(key)
    assert state == "failed" and "non è quello mostrato (data di efficacia)" in text, text
    assert page.state("#proof-banner")[0] == "failed"


def test_a_checkpoint_whose_cosignature_was_altered_verifies_nothing(
    open_copy: Callable[..., Opened], relazione: Relazione
) -> None:
    forged = relazione.copy("signature.html", lambda html: with_evidence(html, signature_flipped("oiv")))
    page = open_copy(forged)
    state, text = page.state("#proof-banner")
    assert state == "failed" and "la firma di oiv non corrisponde al checkpoint" in text, text
    for objective in relazione.strategic():
        assert page.status(figure_key(("achievement", "objective", objective["id"]), None))[0] == "failed"
