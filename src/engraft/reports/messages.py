"""Translatable text: an English msgid with named parameters, translated and filled in by the renderer.

A msgid uses ``{name}`` placeholders (python-brace-format). A parameter is a number (printed by the
renderer in the reader's language), plain text that is not translated (a citation, a cohort as the source
wrote it) or another :class:`Message` (translated in turn). Numbers are never written into a msgid, so
every number in a rendered document is a parameter the tests can check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from engraft.provenance import FrozenModel

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the catalogue without translating it (it is translated when rendered)."""
    return msgid


class Verbatim(FrozenModel):
    """Text shown as it is in every language (a citation, a cohort as its source describes it)."""

    text: str


class Message(FrozenModel):
    """One translatable sentence or phrase: an English msgid and the values of its placeholders."""

    msgid: str
    params: dict[str, int | float | Verbatim | Message] = Field(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        wanted = set(_PLACEHOLDER.findall(self.msgid))
        given = set(self.params)
        if wanted != given:
            raise ValueError(
                f"msgid {self.msgid!r}: placeholders {sorted(wanted)} but parameters {sorted(given)}; "
                "expected the same names"
            )

    def numbers(self) -> Iterator[int | float]:
        """Every number this message prints, nested messages included."""
        for value in self.params.values():
            if isinstance(value, Message):
                yield from value.numbers()
            elif isinstance(value, int | float) and not isinstance(value, bool):
                yield value

    def msgids(self) -> Iterator[str]:
        """This msgid and those of nested messages."""
        yield self.msgid
        for value in self.params.values():
            if isinstance(value, Message):
                yield from value.msgids()


def msg(msgid: str, **params: int | float | Verbatim | Message) -> Message:
    """Shorthand for :class:`Message`."""
    return Message(msgid=msgid, params=params)


def verbatim(text: str) -> Verbatim:
    return Verbatim(text=text)
