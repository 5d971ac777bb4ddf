"""No untranslated text ships: every msgid the web package uses has a Simplified Chinese translation."""

from __future__ import annotations

from pathlib import Path

import pytest

from engraft.web.application import page_routers
from engraft.web.catalogue_check import as_po_entries, missing_translations, used_messages
from engraft.web.i18n import LANGUAGES, catalogue_conflicts, catalogue_files, merged_catalogue


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


@pytest.mark.parametrize("code", [pytest.param(lang.code, id=lang.code) for lang in LANGUAGES if lang.code != "en"])
def test_one_translation_per_msgid_across_sections(code: str) -> None:
    clashes = catalogue_conflicts(code)
    assert not clashes, (
        "these msgids are translated differently in two catalogues; agree on one, or give the other sense its "
        "own context (pgettext('count', 'Events') in the page, msgctxt \"count\" in the .po):\n"
        + "\n".join(f"{msgid!r}: {a} {ta!r} / {b} {tb!r}" for msgid, a, ta, b, tb in clashes)
    )


def test_a_message_with_a_context_is_its_own_entry(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "t.html").write_text('{{ pgettext("count", "Events") }} {{ _("Events") }}', encoding="utf-8")
    used = used_messages(tmp_path)
    assert "count\x04Events" in used and "Events" in used
    assert 'msgctxt "count"' in as_po_entries([used["count\x04Events"]])


def test_extraction_finds_templates_python_and_runtime_texts() -> None:
    used = used_messages()
    assert "Skip to main content" in used  # template
    assert "Page not found" in used  # N_() in Python
    assert "Search coordinator" in used  # a role label, translated at run time


@pytest.mark.parametrize("code", [pytest.param(lang.code, id=lang.code) for lang in LANGUAGES if lang.code != "en"])
def test_catalogues_exist_and_merge(code: str) -> None:
    assert catalogue_files(code), f"no .po file for {code}"
    assert merged_catalogue(code)
