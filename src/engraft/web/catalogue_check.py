"""Which msgids the web package uses, and which a language's catalogues do not translate.

The test ``tests/web/test_catalogues.py`` fails on any untranslated msgid; page authors run
``python -m engraft.web [zh_Hans]`` to print the missing ones as ``.po`` entries to paste
into their section's catalogue (``locale/zh_Hans/LC_MESSAGES/<section>.po``) and translate.

Msgids are found by Babel's extractors: ``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``N_`` calls in
Python, and ``_()``, ``gettext()``, ``ngettext()`` and ``{% trans %}`` in templates. Texts chosen at run time
(``_(section.title)``, ``_(principal.role.label)``) count as used through the ``N_`` marks, the registered
sections and :attr:`engraft.access.Role.label`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from babel.messages.extract import extract_from_dir

from engraft.access import Role
from engraft.web.i18n import LOCALE_DIR, merged_catalogue
from engraft.web.sections import registered_sections

WEB_DIR: Final = Path(__file__).parent
METHOD_MAP: Final = [
    ("**/frontend/**", "ignore"),
    ("**/static/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
]
OPTIONS_MAP: Final = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
KEYWORDS: Final = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}


@dataclass(frozen=True, slots=True)
class UsedMessage:
    """A msgid the pages use (``plural`` for ngettext, ``context`` for pgettext) and where (file:line)."""

    msgid: str
    plural: str | None
    where: str
    context: str | None = None

    @property
    def key(self) -> str:
        """The message as catalogues key it (``context\x04msgid`` with a context)."""
        return self.msgid if self.context is None else f"{self.context}\x04{self.msgid}"


def used_messages(web_dir: Path = WEB_DIR) -> dict[str, UsedMessage]:
    """Every msgid of the web package's templates and Python, the registered sections' and the role labels."""
    found: dict[str, UsedMessage] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(web_dir), METHOD_MAP, OPTIONS_MAP, keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            msgid, plural = message[0], message[1] if len(message) > 1 else None
        else:
            msgid, plural = message, None
        if msgid:
            used = UsedMessage(msgid, plural, f"{filename}:{lineno}", context or None)
            found.setdefault(used.key, used)
    for section in registered_sections():
        for text in (section.title, section.summary):
            if text:
                found.setdefault(text, UsedMessage(text, None, f"section {section.key}"))
    for role in Role:
        found.setdefault(role.label, UsedMessage(role.label, None, f"engraft.access.Role.{role.name}"))
    return found


def missing_translations(code: str, web_dir: Path = WEB_DIR, locale_dir: Path = LOCALE_DIR) -> list[UsedMessage]:
    """The used msgids that language ``code``'s catalogues leave untranslated, sorted by msgid."""
    translated = merged_catalogue(code, locale_dir)
    return sorted(
        (used for key, used in used_messages(web_dir).items() if key not in translated),
        key=lambda used: used.msgid,
    )


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def as_po_entries(messages: list[UsedMessage]) -> str:
    """``messages`` as untranslated ``.po`` entries."""
    blocks = []
    for used in messages:
        lines = [f"#: {used.where}"]
        if used.context is not None:
            lines.append(f"msgctxt {_po_string(used.context)}")
        lines.append(f"msgid {_po_string(used.msgid)}")
        if used.plural is not None:
            lines += [f"msgid_plural {_po_string(used.plural)}", 'msgstr[0] ""']
        else:
            lines.append('msgstr ""')
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")
