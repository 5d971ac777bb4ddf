"""The fields of an HL7 v2 message, read with python-hl7 or, for a plain message, by splitting its text once.

:mod:`engraft.io.hl7_oru` reads a message field by field (``PID-3.1``, ``OBX-5``...). python-hl7 builds a tree of
containers for the whole message and walks it for each field, which made reading a lab message cost more than
storing it. Most messages are **plain**: the standard delimiters (``MSH|^~\\&|``), no escape sequence (no ``\\``
after MSH-2), no sub-component (no ``&`` after MSH-2), one MSH, and a field separator in every segment. For those,
:class:`PlainFields` splits each segment's text into fields once and answers every look-up exactly as python-hl7's
``extract_field`` would (the same field numbering, the same empty answer for an absent field, repetition or
component). Every other message is read by python-hl7 (:class:`Hl7Fields`), as before; a test reads generated
messages both ways and compares.
"""

from __future__ import annotations

from typing import Final, Protocol

import hl7

PLAIN_START: Final = "MSH|^~\\&|"
"""How a plain message begins: the MSH segment with the standard field separator and encoding characters."""
_HEADER_SEGMENTS: Final = ("MSH", "BHS", "FHS")


class MessageFields(Protocol):
    """A parsed message's fields, numbered as HL7 numbers them (1-based; MSH-1 is the field separator)."""

    field_separator: str
    encoding_characters: str

    def segment_names(self) -> list[str]:
        """The segments' names in message order."""
        ...

    def value(self, name: str, occurrence: int, field_no: int, component: int = 1, repetition: int = 1) -> str:
        """The text of a component (unescaped, stripped); ``""`` when the segment or field is absent."""
        ...

    def repetitions(self, name: str, occurrence: int, field_no: int) -> int:
        """How many repetitions the field has (0 when the segment ends before it)."""
        ...


def parse_fields(raw: str) -> MessageFields:
    """``raw`` (segments separated by carriage returns) read the fastest way that reads it exactly.

    Raises what ``hl7.parse`` raises when python-hl7 reads it and cannot."""
    text = raw.strip()
    if is_plain(text):
        return PlainFields(text)
    return Hl7Fields(hl7.parse(text))


def is_plain(text: str) -> bool:
    """Whether :class:`PlainFields` reads ``text`` (stripped) exactly as python-hl7 does."""
    if not text.startswith(PLAIN_START):
        return False
    body = text[len(PLAIN_START) :]
    if "\\" in body or "&" in body:
        return False
    following = body.split("\r")[1:]
    return not any(segment[:3] in _HEADER_SEGMENTS or "|" not in segment for segment in following)


class PlainFields:
    """A plain message (see :func:`is_plain`) split into segments and fields once."""

    field_separator = "|"
    encoding_characters = "^~\\&"

    def __init__(self, text: str) -> None:
        self._names: list[str] = []
        self._segments: dict[str, list[list[str]]] = {}
        for number, segment in enumerate(text.split("\r")):
            parts = segment.split("|")
            if number == 0:  # MSH: MSH-1 is the separator itself, MSH-2 the encoding characters
                parts.insert(1, "|")
                if segment == PLAIN_START:  # nothing after MSH-2: python-hl7 reads no MSH-3
                    parts.pop()
            self._names.append(parts[0])
            self._segments.setdefault(parts[0], []).append(parts)

    def segment_names(self) -> list[str]:
        return list(self._names)

    def value(self, name: str, occurrence: int, field_no: int, component: int = 1, repetition: int = 1) -> str:
        found = self._segments.get(name)
        if found is None or not 1 <= occurrence <= len(found) or field_no < 1:
            return ""
        parts = found[occurrence - 1]
        if field_no >= len(parts):
            return ""
        text = parts[field_no]
        if name == "MSH" and field_no in (1, 2):
            return text.strip() if repetition == 1 and component == 1 else ""
        repetitions = text.split("~")
        if not 1 <= repetition <= len(repetitions):
            return ""
        components = repetitions[repetition - 1].split("^")
        if not 1 <= component <= len(components):
            return ""
        return components[component - 1].strip()

    def repetitions(self, name: str, occurrence: int, field_no: int) -> int:
        parts = self._segments[name][occurrence - 1]
        if len(parts) <= field_no:
            return 0
        if name == "MSH" and field_no in (1, 2):
            return 1
        return len(parts[field_no].split("~"))


class Hl7Fields:
    """Any message python-hl7 reads (other delimiters, escape sequences, sub-components...)."""

    def __init__(self, message: hl7.Message) -> None:
        self.message = message
        msh = message.segment("MSH")
        self.field_separator = str(msh[1])
        self.encoding_characters = str(msh[2]) if len(msh) > 2 else "^~\\&"

    def segment_names(self) -> list[str]:
        return [str(segment[0]) for segment in self.message]

    def value(self, name: str, occurrence: int, field_no: int, component: int = 1, repetition: int = 1) -> str:
        try:
            text = self.message.extract_field(name, occurrence, field_no, repetition, component)
        except (IndexError, KeyError):
            return ""
        return str(self.message.unescape(str(text))).strip()

    def repetitions(self, name: str, occurrence: int, field_no: int) -> int:
        segment = self.message.segments(name)[occurrence - 1]
        if len(segment) <= field_no:
            return 0
        return max(1, len(segment[field_no])) if isinstance(segment[field_no], hl7.Field) else 1
