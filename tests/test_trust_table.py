"""The trust table of docs/trust.md follows the tests: every row names tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_row_of_the_trust_table_names_tests_that_exist() -> None:
    table = ROOT / "docs" / "trust.md"
    rows = [line for line in table.read_text(encoding="utf-8").splitlines()
            if line.startswith("|") and "**" in line]
    assert len(rows) >= 20  # one per attack
    defined = {name for path in (ROOT / "tests").glob("test_*.py")
               for name in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.MULTILINE)}
    for row in rows:
        named = re.findall(r"`(test_\w+)`", row)
        assert named, f"a row of the trust table names no test: {row}"
        missing = [name for name in named if name not in defined]
        assert not missing, f"the trust table names tests that do not exist: {missing}"


def test_the_readme_points_to_the_trust_table() -> None:
    assert "[docs/trust.md](docs/trust.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
