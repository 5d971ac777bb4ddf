"""``python -m engraft.web [LANGUAGE...]``: print the msgids the pages use that a language leaves untranslated.

The core's texts that reach the pages (:mod:`engraft.web.core_texts`) count too: they go to ``core.po``.

They come out as ``.po`` entries, to paste into your section's catalogue and translate. Exit status 1 when
any is missing (the same check as tests/web/test_catalogues.py).
"""

from __future__ import annotations

import sys

from engraft.web.application import page_routers
from engraft.web.catalogue_check import as_po_entries, missing_translations
from engraft.web.core_texts import missing_core_translations
from engraft.web.i18n import ENGLISH, LANGUAGES


def main(argv: list[str]) -> int:
    """Print the missing entries of each language named (default: every language but English)."""
    page_routers()  # import every page module, so that every section is registered
    codes = argv or [language.code for language in LANGUAGES if language != ENGLISH]
    missing_any = False
    for code in codes:
        missing = missing_translations(code) + missing_core_translations(code)
        if missing:
            missing_any = True
            sys.stdout.write(f"# {code}: {len(missing)} untranslated\n{as_po_entries(missing)}\n")
    return 1 if missing_any else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
