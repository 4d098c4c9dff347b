"""A real browser for the page tests: Debian's Chromium, driven by Playwright, never downloaded.

Without /usr/bin/chromium the tests are skipped on a developer's machine, and fail in CI (the
environment variable CI set), which must run them: ``.ci/run`` installs Debian's ``chromium``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route

CHROMIUM = Path("/usr/bin/chromium")
CHECKED = "document.getElementById('proof-banner').dataset.state !== 'pending'"


def chromium() -> Iterator[Browser]:
    """One headless Chromium (for a module's tests: launching it takes a second)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: the browser tests run in CI")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@dataclass
class Opened:
    """A page opened from a file, once its script has checked the proofs: every request it made,
    every request that was refused (any URL not file:), and its console errors and uncaught errors."""

    page: Page
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def state(self, selector: str) -> tuple[str, str]:
        """The proof state and text of an element: ``#proof-banner`` or a ``.proof-status``."""
        found = self.page.locator(selector)
        return found.get_attribute("data-state") or "", found.text_content() or ""

    def status(self, key: str) -> tuple[str, str]:
        """The proof state and text of the derivation of figure ``key``."""
        return self.state(f"section.derivation[id='{key}'] > .proof-status")

    def derivations(self) -> list[tuple[list[str], str, str]]:
        """Each derivation's events (the sequence numbers it lists), proof state and text."""
        found: list[tuple[list[str], str, str]] = self.page.eval_on_selector_all("section.derivation", """
            sections => sections.map((s) => [(s.dataset.events || "").split(/\\s+/).filter(Boolean),
                                             s.querySelector(".proof-status").dataset.state,
                                             s.querySelector(".proof-status").textContent])""")
        return found

    def close(self) -> None:
        self.page.context.close()


def opened(browser: Browser, path: Path, width: int = 1280, init_script: str | None = None) -> Opened:
    """``path`` opened from file:// at ``width`` pixels, with nothing let out to the network."""
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    found = Opened(page)
    if init_script is not None:
        page.add_init_script(init_script)
    page.on("request", lambda request: found.requests.append(request.url))
    page.on("console", lambda message: found.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: found.errors.append(str(error)))

    def only_files(route: Route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            found.refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_files)
    page.goto(path.as_uri())
    page.wait_for_function(CHECKED, timeout=20_000)
    return found
