"""No untranslated text ships: every msgid the web package uses has a Simplified Chinese translation."""

from __future__ import annotations

import pytest

from engraft.web.application import page_routers
from engraft.web.catalogue_check import as_po_entries, missing_translations, used_messages
from engraft.web.i18n import LANGUAGES, catalogue_files, merged_catalogue


@pytest.fixture(scope="module", autouse=True)
def every_page_module_imported() -> None:
    page_routers()


@pytest.mark.parametrize("code", [pytest.param(lang.code, id=lang.code) for lang in LANGUAGES if lang.code != "en"])
def test_every_used_msgid_is_translated(code: str) -> None:
    missing = missing_translations(code)
    assert not missing, (
        f"{len(missing)} msgid(s) without a {code} translation; add them to your section's "
        f"locale/{code}/LC_MESSAGES/<section>.po:\n{as_po_entries(missing)}"
    )


def test_extraction_finds_templates_python_and_runtime_texts() -> None:
    used = used_messages()
    assert "Skip to main content" in used  # template
    assert "Page not found" in used  # N_() in Python
    assert "Search coordinator" in used  # a role label, translated at run time


@pytest.mark.parametrize("code", [pytest.param(lang.code, id=lang.code) for lang in LANGUAGES if lang.code != "en"])
def test_catalogues_exist_and_merge(code: str) -> None:
    assert catalogue_files(code), f"no .po file for {code}"
    assert merged_catalogue(code)
