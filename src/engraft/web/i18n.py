"""Languages of the pages: the message catalogues, and which language a request is answered in.

English is the source language (msgids are English). Each other language has a folder
``locale/<code>/LC_MESSAGES/`` of ``.po`` files, one per page section (``platform.po``, ``patients.po``,
...), so that people working on different sections never edit the same file. At start-up every ``.po``
file of a language is read (Babel's ``read_po``) and merged into one :class:`babel.support.Translations`;
nothing is compiled and no ``.mo`` file is kept. A section's pages read their own file first, then the merge
(:func:`translations_for`). Fuzzy and empty entries are left out (they fall back to English), and the
catalogue test (tests/web/test_catalogues.py) refuses them.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Final

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR: Final = Path(__file__).parent / "locale"
LANGUAGE_COOKIE: Final = "engraft_lang"
"""Cookie the language switcher sets: the code of the language chosen in this browser."""


@dataclass(frozen=True, slots=True)
class Language:
    """A language the pages are offered in: ``code`` as Engraft names it, ``tag`` for HTML ``lang``."""

    code: str
    tag: str
    name: str
    """The language's name in itself, as the switcher shows it."""
    formats: str
    """Babel locale whose conventions dates and numbers follow."""

    @property
    def locale(self) -> Locale:
        """Babel's locale, for dates and numbers (parsed once per process)."""
        return _parsed_locale(self.formats)


@cache
def _parsed_locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


ENGLISH: Final = Language("en", "en", "English", "en")
SIMPLIFIED_CHINESE: Final = Language("zh_Hans", "zh-Hans", "简体中文", "zh_Hans_CN")
LANGUAGES: Final[tuple[Language, ...]] = (ENGLISH, SIMPLIFIED_CHINESE)
DEFAULT_LANGUAGE: Final = ENGLISH


def N_(message: str) -> str:
    """Mark ``message`` as a msgid to translate later (section titles, labels in Python); returns it unchanged."""
    return message


def language_named(code: str | None) -> Language | None:
    """The offered language a code, cookie value or language tag names (``zh-CN``, ``zh_Hans``, ``en-GB``...)."""
    if not code:
        return None
    normal = code.strip().replace("-", "_").lower()
    if not normal:
        return None
    for language in LANGUAGES:
        if normal == language.code.lower():
            return language
    primary = normal.split("_", 1)[0]
    if primary == "zh":
        # Simplified Chinese is the only Chinese offered; Traditional-script tags are not its readers, but
        # they read it better than English.
        return SIMPLIFIED_CHINESE
    return next((language for language in LANGUAGES if language.code == primary), None)


def from_accept_language(header: str | None) -> Language | None:
    """The most preferred offered language of an ``Accept-Language`` header (q-values honoured), if any."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        language = language_named(tag)
        if language is not None:
            return language
    return None


def choose_language(*, cookie: str | None, account: str | None, accept_language: str | None) -> Language:
    """The language to answer in: the switcher's choice in this browser, else the account's, else the browser's.

    The switcher's cookie comes first so that switching works at once for a signed-in person too (sign-in
    sets the cookie to the account's language, so a new browser starts in it).
    """
    return (
        language_named(cookie) or language_named(account) or from_accept_language(accept_language) or DEFAULT_LANGUAGE
    )


def catalogue_files(code: str, locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The ``.po`` files of a language, sorted by name."""
    return sorted((locale_dir / code / "LC_MESSAGES").glob("*.po"))


def read_catalogue(path: Path, code: str) -> Catalog:
    """One ``.po`` file, read with Babel."""
    with path.open("rb") as handle:
        return read_po(handle, locale=code, domain=path.stem)


PLATFORM_CATALOGUE: Final = "platform"
"""The layout's own catalogue (header, landing page, error pages, role names): read first when merging."""

Messages = dict[str, str | tuple[str, ...]]
"""msgid (with ``msgctxt`` as gettext keys it: ``context\x04msgid``) -> translation, or plural forms."""


def catalogue_messages(path: Path, code: str) -> Messages:
    """The translated entries of one ``.po`` file (fuzzy and empty ones left out: they fall back to English)."""
    messages: Messages = {}
    for message in read_catalogue(path, code):
        if not message.id or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.context:
            key = f"{message.context}\x04{key}"
        string = message.string
        value: str | tuple[str, ...] = string if isinstance(string, str) else tuple(string or ())
        if not value or (isinstance(value, tuple) and not all(value)):
            continue
        messages[key] = value
    return messages


def _merge_order(paths: list[Path]) -> list[Path]:
    return sorted(paths, key=lambda path: (path.stem != PLATFORM_CATALOGUE, path.name))


def merged_catalogue(code: str, locale_dir: Path = LOCALE_DIR) -> Messages:
    """Every translated message of a language, from all its ``.po`` files.

    Where files translate one msgid differently, the first wins: ``platform.po``, then the others by name.
    A section's pages read their own file before this merge (:func:`translations_for`), so "Events" may be
    a count in one section's tables and a heading in another's.
    """
    merged: Messages = {}
    for path in _merge_order(catalogue_files(code, locale_dir)):
        for key, value in catalogue_messages(path, code).items():
            merged.setdefault(key, value)
    return merged


def catalogue_conflicts(code: str, locale_dir: Path = LOCALE_DIR) -> list[tuple[str, str, str, str, str]]:
    """(msgid, file, translation, other file, other translation) for msgids two files translate differently."""
    first: dict[str, tuple[str, str | tuple[str, ...]]] = {}
    conflicts: list[tuple[str, str, str, str, str]] = []
    for path in _merge_order(catalogue_files(code, locale_dir)):
        for key, value in catalogue_messages(path, code).items():
            if key in first and first[key][1] != value:
                conflicts.append((key, first[key][0], str(first[key][1]), path.name, str(value)))
            first.setdefault(key, (path.name, value))
    return conflicts


class _MergedTranslations(Translations):
    def __init__(self, code: str, messages: Mapping[str, str | tuple[str, ...]]) -> None:
        super().__init__(fp=None, domain="engraft")
        catalog: dict[str | tuple[str, int], str] = {}
        for key, value in messages.items():
            if isinstance(value, tuple):
                for index, form in enumerate(value):
                    catalog[(key, index)] = form
            else:
                catalog[key] = value
        self._catalog = catalog
        rule = gettext.c2py(Catalog(locale=code).plural_expr)

        def plural(n: float | Decimal) -> int:
            return rule(int(n))

        self.plural = plural
        self.files = []


@cache
def translations_for(code: str, catalogue: str = PLATFORM_CATALOGUE) -> gettext.NullTranslations:
    """Translations of an offered language as a section reads them: its own ``<catalogue>.po`` first, then
    every catalogue merged (:func:`merged_catalogue`). English: the msgids themselves. Read once."""
    if code == ENGLISH.code:
        return NullTranslations()
    merged = _MergedTranslations(code, merged_catalogue(code))
    own = LOCALE_DIR / code / "LC_MESSAGES" / f"{catalogue}.po"
    if catalogue == PLATFORM_CATALOGUE or not own.is_file():
        return merged
    section = _MergedTranslations(code, catalogue_messages(own, code))
    section.add_fallback(merged)
    return section


def load_all(languages: Iterable[Language] = LANGUAGES) -> None:
    """Read every catalogue now (at start-up), so a broken ``.po`` file stops the server, not a page."""
    for language in languages:
        translations_for(language.code)
