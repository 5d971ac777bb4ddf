"""The core's English texts in the page's language: bands, rules, cohorts, notes, figure labels.

The pure core answers in English (the API and the CLI stay English) and imports no translation library.
Its texts are msgids of the ``core`` catalogue (``locale/<code>/LC_MESSAGES/core.po``). A text the core
builds from figures is written through a :class:`~engraft.vocabulary.phrases.Phrase`; the page finds the
phrase again by its pattern (:meth:`Phrase.parse`: a stored assessment keeps only its English text),
translates the template and fills in the parameters, each translated in turn when it is itself a core
text (a band, a drug's name, a list of criteria) and left as it is otherwise (numbers, units, codes).

:func:`core_wording` gives the translator of a language; templates use the ``core`` filter
(``{{ c.rule|core }}``); :func:`translate_figure` rewrites a drawn matplotlib figure's texts and sets a
CJK font for Chinese. :func:`core_phrases` lists the phrases tried; :mod:`engraft.web.core_texts` the texts
the catalogue must translate.
"""

from __future__ import annotations

import gettext
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from functools import cache
from types import ModuleType
from typing import Final

from engraft.vocabulary.phrases import Message, Phrase, Value, phrases_of
from engraft.web.field_labels import field_label
from engraft.web.i18n import ENGLISH, translations_for

CORE_CATALOGUE: Final = "core"
CORE_CONTEXT: Final = "core"
"""The ``msgctxt`` of a core text whose English other pages translate in another sense (``years``: 年, not 岁)."""
CORE_PACKAGES: Final = (
    "engraft.scores",
    "engraft.grading",
    "engraft.outcomes",
    "engraft.monitoring",
    "engraft.hla.matching",
)
"""Packages whose modules' :class:`Phrase` constants the pages recognise (with :data:`WEB_PHRASE_MODULES`)."""
WEB_PHRASE_MODULES: Final = ("engraft.web.pages.risk_view", "engraft.web.form_messages")
"""Page modules that write texts through phrases of their own."""
WORD_CONTEXT: Final = "word"
"""The ``msgctxt`` of a word translated inside a parameter the catalogue has no entry for (a drug's name, a route)."""
LIST_SEPARATOR: Final = ", "
_ENGLISH_WORD: Final = re.compile(r"\b[a-z]{2,}\b")
"""A lowercase English word left in a text (``or``, ``to``): what a strict reading refuses."""


class _Untranslated(Exception):
    """A strict reading met a value it could only leave in English."""


CACHE_SIZE: Final = 20_000
"""Translated texts kept per language and process (most pages repeat the same bands and rules)."""
MAX_DEPTH: Final = 4
"""How deep parameters are translated in turn (a rule inside a rule inside a rule)."""


def _modules(package: str) -> Iterator[ModuleType]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        yield importlib.import_module(info.name)


@cache
def core_phrases() -> tuple[Phrase, ...]:
    """Every phrase the core (and the pages' views) define, most specific first (longest fixed text)."""
    modules = [module for package in CORE_PACKAGES for module in _modules(package)]
    modules += [importlib.import_module(name) for name in WEB_PHRASE_MODULES]
    found = phrases_of(modules)
    return tuple(sorted(found.values(), key=lambda p: (-_fixed_length(p), p.template)))


def _fixed_length(phrase: Phrase) -> int:
    text = phrase.template
    for slot in phrase.slots:
        text = text.replace("{" + slot + "}", "")
    return len(text)


def parse_core_text(text: str) -> Message | None:
    """The phrase and parameters that wrote ``text``, if a known phrase did."""
    for phrase in core_phrases():
        message = phrase.parse(text)
        if message is not None:
            return message
    return None


def list_items(text: str) -> list[str]:
    """The items of a list the core joined with ``", "``, a comma inside parentheses not counting."""
    items: list[str] = []
    depth = start = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif depth == 0 and text.startswith(LIST_SEPARATOR, index):
            items.append(text[start:index])
            start = index + len(LIST_SEPARATOR)
    items.append(text[start:])
    return items


class CoreWording:
    """Translates the core's English texts with one language's catalogues (English: unchanged)."""

    def __init__(self, translations: gettext.NullTranslations, *, list_separator: str = LIST_SEPARATOR) -> None:
        self._translations = translations
        self._separator = list_separator
        self._cache: dict[str, str] = {}

    def _gettext(self, text: str) -> str | None:
        """The catalogue's translation: the core's own sense first (``msgctxt "core"``), else the plain msgid."""
        translated = str(self._translations.pgettext(CORE_CONTEXT, text))
        if translated == text:
            translated = str(self._translations.gettext(text))
        return translated if translated != text else None

    def __call__(self, text: str) -> str:
        """``text`` in the language: as the catalogue has it, else as its phrase writes it, else as it is."""
        if not text:
            return text
        cached = self._cache.get(text)
        if cached is None:
            cached = self._translate(text, 0) or text
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()  # texts with record ids or figures vary without end: keep the memory bounded
            self._cache[text] = cached
        return cached

    def _translate(self, text: str, depth: int, *, strict: bool = False) -> str | None:
        """``text`` translated whole or by its phrase; ``strict``: ``None`` rather than a phrase with a value left in
        English (how a list's items are tried)."""
        exact = self._gettext(text)
        if exact is not None or depth > MAX_DEPTH:
            return exact
        message = parse_core_text(text)
        if message is None:
            return None
        template = self._gettext(message.phrase.template)
        if template is None:
            return None
        if not strict:
            return message.render(template, lambda value: self._parameter(value, depth + 1))
        try:
            return message.render(template, lambda value: self._parameter(value, depth + 1, strict=True))
        except _Untranslated:
            return None

    def _parameter(self, value: Value, depth: int, *, strict: bool = False) -> str:
        text = str(value)
        exact = self._gettext(text)
        if exact is not None:  # a text the catalogue holds whole (an HCT-CI item with commas) is never split
            return exact
        if LIST_SEPARATOR in text:
            # a list whose every item is a core text reads as that list, even where the whole list also fits one
            # item's phrase (``ICE score 3/10 at ... (grade 2), seizure ... (grade 3)``: a slot spans any text)
            parts = self._whole_items(list_items(text))
            if len(parts) > 1:
                items = [self._translate(p, depth, strict=True) or self._label(p) for p in parts]
                if all(item is not None for item in items):
                    return self._separator.join(str(item) for item in items)
        translated = self._translate(text, depth) or self._label(text)
        if translated is not None:
            return translated
        if LIST_SEPARATOR in text:
            parts = list_items(text)
            return self._separator.join(self._translate(p, depth) or self._label(p) or p for p in parts)
        words = self._words(text)
        if strict and _ENGLISH_WORD.search(words):
            raise _Untranslated(text)
        return words

    def _whole_items(self, parts: list[str]) -> list[str]:
        """``parts`` with runs joined back where the catalogue holds the joined text whole (an item that itself
        holds commas, e.g. "Chronic hepatitis, bilirubin > ULN to 1.5 x ULN, or AST/ALT > ULN to 2.5 x ULN")."""
        items: list[str] = []
        start = 0
        while start < len(parts):
            end = next(
                (
                    stop
                    for stop in range(len(parts), start + 1, -1)
                    if self._gettext(LIST_SEPARATOR.join(parts[start:stop])) is not None
                ),
                start + 1,
            )
            items.append(LIST_SEPARATOR.join(parts[start:end]))
            start = end
        return items

    def _words(self, text: str) -> str:
        """A parameter such as ``busulfan 12.8 mg/kg iv``: its words the catalogue gives in the
        :data:`WORD_CONTEXT` (drug names, routes) translated, the rest (numbers, units) as they are."""
        words = text.split(" ")
        translated = [str(self._translations.pgettext(WORD_CONTEXT, word)) if word else word for word in words]
        return " ".join(translated)

    def _label(self, text: str) -> str | None:
        """A field name (``coronary_artery_disease``) as the forms label it, translated."""
        if text.isidentifier() and "_" in text:
            return self._gettext(field_label(text))
        return None

    def item(self, name: str) -> str:
        """A component's item (a field name or a core text): its translated label, else the text itself."""
        return self._gettext(field_label(name)) or self(name)


@cache
def core_wording(code: str) -> CoreWording:
    """The translator of language ``code`` (one per process and language)."""
    translations = translations_for(code, CORE_CATALOGUE)
    separator = LIST_SEPARATOR if code == ENGLISH.code else "、"
    return CoreWording(translations, list_separator=separator)


Translate = Callable[[str], str]
