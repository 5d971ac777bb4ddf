"""docs/clinical-evidence.md covers every instrument in the catalogue."""

from __future__ import annotations

from pathlib import Path

from engraft.scores.catalog import CATALOG

REGISTER = Path(__file__).resolve().parents[2] / "docs" / "clinical-evidence.md"


def test_every_instrument_has_a_row_in_the_evidence_register() -> None:
    text = REGISTER.read_text(encoding="utf-8")
    missing = [name for name in CATALOG if f"`{name}`" not in text]
    assert missing == [], f"add these instruments to {REGISTER.name}: {missing}"
