"""HL7 v2 acknowledgements (ACK) for result messages: AA, AE, AR with MSA-3 text and an ERR segment.

- **AA** (application accept): the message's results are committed in the registry (or were already, for a
  re-sent message).
- **AE** (application error): the message is well formed but its content cannot be stored (an unknown code,
  unit or patient); nothing was stored. Sending it again unchanged will fail again.
- **AR** (application reject): the message is malformed (not HL7, not an ORU^R01, a required field missing)
  or the registry could not take it now; nothing was stored.

Each AE/AR names what is wrong in MSA-3 (text) and in an ERR segment: ERR-2 the location (segment id ^
segment sequence ^ field position), ERR-3 the HL7 error code (table 0357), ERR-4 severity E, ERR-8 the text.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

SEGMENT_END: Final = "\r"
DEFAULT_ENCODING: Final = "^~\\&"
DEFAULT_VERSION: Final = "2.5.1"
_ACK_IDS = itertools.count(1)


class AckCode(StrEnum):
    ACCEPT = "AA"
    ERROR = "AE"
    REJECT = "AR"


class ErrorCode(StrEnum):
    """HL7 table 0357 (message error condition codes) used here."""

    SEGMENT_SEQUENCE = "100"
    REQUIRED_FIELD_MISSING = "101"
    DATA_TYPE = "102"
    TABLE_VALUE_NOT_FOUND = "103"
    UNSUPPORTED_MESSAGE_TYPE = "200"
    UNSUPPORTED_EVENT = "201"
    UNSUPPORTED_PROCESSING_ID = "202"
    UNKNOWN_KEY = "204"
    DUPLICATE_KEY = "205"
    INTERNAL_ERROR = "207"


@dataclass(frozen=True, slots=True)
class ErrorLocation:
    """Where an error is: segment id, its 1-based sequence among segments of that id, field position."""

    segment: str
    sequence: int
    field: int

    def describe(self) -> str:
        return f"{self.segment}-{self.field}" + (f" (segment {self.sequence})" if self.sequence > 1 else "")


@dataclass(frozen=True, slots=True)
class MessageHeader:
    """The MSH fields an acknowledgement echoes (empty where the message did not say)."""

    field_separator: str = "|"
    encoding: str = "^~\\&"
    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    control_id: str = ""
    processing_id: str = "P"
    version: str = "2.5.1"

    @classmethod
    def best_effort(cls, text: str) -> MessageHeader:
        """The header of a message that may not parse: read from its first segment field by field."""
        first = text.lstrip("\x0b\r\n").split("\r", 1)[0].split("\n", 1)[0]
        if not first.startswith("MSH") or len(first) < 8:
            return cls()
        sep = first[3]
        fields = first.split(sep)
        encoding = fields[1] if len(fields) > 1 and len(fields[1]) == 4 else DEFAULT_ENCODING

        def field(n: int) -> str:  # MSH-n is fields[n - 1]: MSH-1 is the separator itself
            return fields[n - 1].split(encoding[0])[0][:180] if len(fields) > n - 1 else ""

        return cls(
            sep,
            encoding,
            field(3),
            field(4),
            field(5),
            field(6),
            field(10),
            field(11) or "P",
            field(12) or DEFAULT_VERSION,
        )


def _escape(text: str, header: MessageHeader) -> str:
    """Text made safe for an HL7 field (escape sequences for the delimiters, no segment breaks)."""
    escape = header.encoding[2] if len(header.encoding) > 2 else "\\"
    out = text.replace(escape, f"{escape}E{escape}")
    for char, code in (
        (header.field_separator, "F"),
        (header.encoding[0], "S"),
        (header.encoding[1], "R"),
        (header.encoding[3], "T"),
    ):
        out = out.replace(char, f"{escape}{code}{escape}")
    return out.replace("\r", " ").replace("\n", " ")[:500]


def build_ack(
    header: MessageHeader,
    code: AckCode,
    text: str = "",
    *,
    error: ErrorCode | None = None,
    location: ErrorLocation | None = None,
    now: dt.datetime | None = None,
) -> str:
    """The ACK for a message with ``header``: MSH, MSA (code, control id, text) and, for AE/AR, ERR."""
    sep, enc = header.field_separator, header.encoding
    comp = enc[0]
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d%H%M%S%z")
    ack_id = f"ACK{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}{next(_ACK_IDS):06d}"
    msh = sep.join(
        [
            "MSH",
            enc,
            header.receiving_application,
            header.receiving_facility,
            header.sending_application,
            header.sending_facility,
            stamp,
            "",
            f"ACK{comp}R01{comp}ACK",
            ack_id,
            header.processing_id,
            header.version,
        ]
    )
    segments = [msh, sep.join(["MSA", code.value, header.control_id, _escape(text, header)])]
    if code is not AckCode.ACCEPT:
        where = comp.join([location.segment, str(location.sequence), str(location.field)]) if location else ""
        condition = error or ErrorCode.INTERNAL_ERROR
        segments.append(sep.join(["ERR", "", where, condition.value, "E", "", "", "", _escape(text, header)]))
    return SEGMENT_END.join(segments) + SEGMENT_END
