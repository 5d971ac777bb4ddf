"""Phrases: English sentences with slots, so that a text the core builds from numbers can be translated.

The core speaks English (the API and the CLI answer in it) and never imports a translation library. A text
it assembles from figures ("MAC if >= 800 cGy (fractionated); NMA only if <= 200 cGy") is written through a
:class:`Phrase`: the template is a fixed English sentence with named slots (``{limit}``), and
:meth:`Phrase.message` fills them into a :class:`Message` whose :attr:`Message.text` is exactly the English
the core always answered. An adapter that shows the text in another language translates the template (a
msgid) and fills in the parameters itself (:meth:`Message.render`).

Texts are also read back: a stored assessment keeps only its English text, so :meth:`Phrase.parse` finds
the parameters again (a Phrase's pattern is its template with each slot matching any text), and
:func:`phrases_of` lists the phrases a module defines, for the adapter to try and for the catalogue test
to check that every template is translated.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import ModuleType

Value = str | int | float
"""A slot's value: a word or phrase (itself translatable) or a number as the English text writes it."""


@dataclass(frozen=True)
class Phrase:
    """An English sentence with named slots (``str.format`` fields, no format specs: values come formatted)."""

    template: str
    slots: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names: list[str] = []
        for literal, name, spec, conversion in string.Formatter().parse(self.template):
            del literal
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                raise ValueError(
                    f"phrase {self.template!r}: slot {{{name}{'!' + conversion if conversion else ''}"
                    f"{':' + spec if spec else ''}}} is not a plain name; expected {{name}} with the value preformatted"
                )
            if name in names:
                raise ValueError(f"phrase {self.template!r}: slot {{{name}}} appears twice; expected each slot once")
            names.append(name)
        object.__setattr__(self, "slots", tuple(names))

    def message(self, **params: Value) -> Message:
        """The phrase with its slots filled (every slot, nothing else)."""
        if set(params) != set(self.slots):
            raise ValueError(
                f"phrase {self.template!r}: got parameters {sorted(params)}; expected exactly {sorted(self.slots)}"
            )
        return Message(self, tuple((name, params[name]) for name in self.slots))

    def __call__(self, **params: Value) -> str:
        """The English text with the slots filled (what the API and CLI show)."""
        return self.message(**params).text

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """A regular expression matching any text this phrase writes (each slot: one or more characters)."""
        parts: list[str] = []
        for literal, name, _spec, _conversion in string.Formatter().parse(self.template):
            parts.append(re.escape(literal.replace("{{", "{").replace("}}", "}")))
            if name is not None:
                parts.append(f"(?P<{name}>.+?)")
        return re.compile("".join(parts), re.DOTALL)

    def parse(self, text: str) -> Message | None:
        """The message whose English is ``text``, if this phrase wrote it (parameters come back as text)."""
        found = self.pattern.fullmatch(text)
        if found is None:
            return None
        return Message(self, tuple((name, found.group(name)) for name in self.slots))


@dataclass(frozen=True)
class Message:
    """A phrase with its parameters: :attr:`text` is the English, :meth:`render` writes another language."""

    phrase: Phrase
    params: tuple[tuple[str, Value], ...]

    @property
    def text(self) -> str:
        """The English text."""
        return self.phrase.template.format(**dict(self.params))

    def render(self, template: str, value: Callable[[Value], str]) -> str:
        """``template`` (the phrase's template in another language, same slots) with each value as
        ``value`` writes it (a translated word, a number in the language's notation)."""
        return template.format(**{name: value(v) for name, v in self.params})


def phrases_of(modules: Iterable[ModuleType]) -> dict[str, Phrase]:
    """Every :class:`Phrase` the modules define at module level (also inside tuples, lists and dicts), by template."""
    found: dict[str, Phrase] = {}

    def visit(value: object) -> None:
        if isinstance(value, Phrase):
            found.setdefault(value.template, value)
        elif isinstance(value, tuple | list | frozenset | set):
            for item in value:
                visit(item)
        elif isinstance(value, Mapping):
            for item in value.values():
                visit(item)

    for module in modules:
        for value in vars(module).values():
            visit(value)
    return found
