"""HL7 v2 ORU^R01 lab result messages read into the registry's items (fields: :mod:`engraft.io.hl7_fields`).

A message is **malformed** (:class:`MalformedMessage`, answered AR) when it is not HL7, is not an ORU^R01,
or lacks a field Engraft needs to know what it is: MSH-9, MSH-10, MSH-11 = P (production), a PID with PID-3
before each OBX, OBX-3. A well-formed message whose **content** cannot be stored (an OBX-3 code that maps to
no catalogue LOINC code, an OBX-6 unit that is neither UCUM nor a listed lab spelling, a non-numeric OBX-5,
a time without a zone) yields problems naming segment and field (answered AE); nothing is stored.

Mapping, explicit only:

- **OBX-3** coding system ``LN`` is LOINC, which must be in the observation catalogue; another coding system
  is looked up in the feed's local code table (:attr:`Hl7Settings.local_codes`, ``(system, code) -> LOINC``);
- **OBX-6** is a UCUM code (coding system ``UCUM`` or a code of the closed set) or a spelling of
  :mod:`engraft.io.lab_units`;
- **OBX-2** must be ``NM`` (numeric); **OBX-11** ``F`` (final) or ``C`` (corrected) results are stored, other
  statuses (preliminary, in process...) are counted as not stored;
- **time**: OBX-14, else OBR-7 of the OBX's order; a time without a zone offset takes the feed's configured
  zone (:attr:`Hl7Settings.timezone`) and is refused without one;
- **patient**: PID-3, the repetition of identifier type ``MR`` (and assigning authority PID-3.4, when
  configured) as the medical record number, or the repetition assigned by ``ENGRAFT`` as the Engraft id;
- **identity**: a result is ``(source_system, source_id)`` = (``hl7v2:<MSH-3>^<MSH-4>``, ``<OBR-3 filler
  order number>|<OBX-3 code>|<OBX-4 sub-id>``), so the same result re-sent in a new message is stored
  once; a corrected result (``C``) keeps the identity of the result it corrects and replaces it
  (:mod:`engraft.registry.ingest_corrections`; stored as new when the original never came). Without OBR-3 the
  message control id and OBX-1 stand in (a correction then names no stored result and is stored as new).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from engraft.io.hl7_ack import ErrorCode, ErrorLocation, MessageHeader
from engraft.io.hl7_fields import MessageFields, parse_fields
from engraft.io.lab_units import LAB_UNIT_SPELLINGS, lab_unit
from engraft.measurements import (
    LOCAL_CODE_SYSTEM_HL7,
    OBSERVATION_CATALOGUE,
    Ucum,
    UnitError,
    local_code,
)
from engraft.registry.errors import Problem
from engraft.registry.ingest import IncomingObservation, MessageKey, PatientKey
from engraft.registry.observation_batch import conversion
from engraft.vocabulary import InboundProtocol

STORED_RESULT_STATUSES: Final = frozenset({"F", "C"})
ENGRAFT_ASSIGNING_AUTHORITY: Final = "ENGRAFT"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_TS = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(\.\d{1,6})?([+-]\d{4})?$")


@dataclass(frozen=True, slots=True)
class Hl7Settings:
    """What a feed's messages mean where HL7 leaves it to the sites."""

    local_codes: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """``(OBX-3 coding system, code) -> LOINC`` for a lab's own codes (each LOINC must be in the catalogue)."""
    units: Mapping[str, Ucum] = field(default_factory=lambda: dict(LAB_UNIT_SPELLINGS))
    timezone: dt.tzinfo | None = None
    """The zone of times sent without an offset; ``None``: such times are refused."""
    mrn_authority: str | None = None
    """PID-3.4 of the medical record numbers to use; ``None``: any repetition typed ``MR``."""

    def __post_init__(self) -> None:
        for (system, code), loinc in self.local_codes.items():
            if loinc not in OBSERVATION_CATALOGUE:
                raise ValueError(f"local code {system}|{code} maps to LOINC {loinc!r}, which is not in the catalogue")


class MalformedMessage(ValueError):
    """The message cannot be read as an ORU^R01 (answered AR), with where and why."""

    def __init__(self, reason: str, location: ErrorLocation | None, error: ErrorCode) -> None:
        self.reason = reason
        self.location = location
        self.error = error
        where = f"{location.describe()}: " if location else ""
        super().__init__(f"{where}{reason}")


@dataclass(frozen=True, slots=True)
class OruResults:
    """A readable ORU^R01: its key, its storable results and the problems that forbid storing any."""

    header: MessageHeader
    key: MessageKey
    observations: tuple[IncomingObservation, ...]
    problems: tuple[tuple[ErrorLocation, ErrorCode, Problem], ...]
    not_final: int = 0
    """OBX segments whose result status (OBX-11) is not final or corrected: not stored."""


def normalise(text: str) -> str:
    """Segments separated by carriage returns only (files and some senders use line feeds)."""
    return text.replace("\r\n", "\r").replace("\n", "\r").strip("\r\x0b\x1c")


def read_oru(text: str, settings: Hl7Settings = Hl7Settings()) -> OruResults:
    """Read an ORU^R01 message; raise :class:`MalformedMessage` when it is not one."""
    raw = normalise(text)
    _check_delimiters(raw)
    try:
        message = parse_fields(raw)
    except Exception as exc:  # python-hl7 raises ParseException, and IndexError/ValueError on odd input
        where = ErrorLocation("MSH", 1, 1)
        raise MalformedMessage(f"not an HL7 v2 message ({exc})", where, ErrorCode.SEGMENT_SEQUENCE) from exc
    return _Reader(message, settings).read()


def _check_delimiters(raw: str) -> None:
    """MSH-1 and MSH-2 must be delimiters a parser can use: four encoding characters (component, repetition,
    escape, sub-component; a fifth, truncation, allowed), none a letter, digit or space, all distinct from each
    other and from the field separator (a letter there would split segment names: ``^D\\&`` cuts "PID")."""
    if not raw.startswith("MSH") or len(raw) < 4:
        return  # not a message at all: the parser's own refusal names it
    separator, header = raw[3], raw.split("\r", 1)[0]
    encoding = header[4:].split(separator, 1)[0]
    delimiters = separator + encoding
    if (
        len(encoding) not in (4, 5)
        or any(c.isalnum() or c.isspace() for c in delimiters)
        or len(set(delimiters)) != len(delimiters)
    ):
        raise MalformedMessage(
            f"the delimiters {separator!s}{encoding!s} cannot be used: expected a field separator and four (or five) "
            "encoding characters, none a letter, digit or space, all different (usually |^~\\&)",
            ErrorLocation("MSH", 1, 2),
            ErrorCode.DATA_TYPE,
        )


class _Reader:
    def __init__(self, message: MessageFields, settings: Hl7Settings) -> None:
        self.message = message
        self.settings = settings
        self.value = message.value
        self.repetitions = message.repetitions
        self.counts: dict[str, int] = {}
        self.problems: list[tuple[ErrorLocation, ErrorCode, Problem]] = []

    def read(self) -> OruResults:
        header = self._header()
        key = MessageKey(
            InboundProtocol.HL7V2, f"{header.sending_application}^{header.sending_facility}", header.control_id
        )
        source_system = f"hl7v2:{key.sender}"[:128]
        observations: list[IncomingObservation] = []
        patient: PatientKey | None = None
        order_time = ""
        filler = ""
        not_final = 0
        obx_seen = 0
        for name in self.message.segment_names():
            occurrence = self.counts[name] = self.counts.get(name, 0) + 1
            if name == "PID":
                patient = self._patient(occurrence)
            elif name == "OBR":
                order_time = self.value("OBR", occurrence, 7)
                filler = self.value("OBR", occurrence, 3)
            elif name == "OBX":
                obx_seen += 1
                if patient is None:
                    raise MalformedMessage(
                        "an OBX comes before any PID: whose result it is cannot be known",
                        ErrorLocation("OBX", occurrence, 3),
                        ErrorCode.SEGMENT_SEQUENCE,
                    )
                status = self.value("OBX", occurrence, 11)
                if status not in STORED_RESULT_STATUSES:
                    not_final += 1
                    continue
                item = self._observation(occurrence, patient, order_time, filler, header, source_system, status)
                if item is not None:
                    observations.append(item)
        if not obx_seen:
            raise MalformedMessage(
                "the message has no OBX segment", ErrorLocation("OBX", 1, 1), ErrorCode.SEGMENT_SEQUENCE
            )
        return OruResults(header, key, tuple(observations), tuple(self.problems), not_final)

    def _header(self) -> MessageHeader:
        fields = {n: self.value("MSH", 1, n) for n in (3, 4, 5, 6, 10, 11, 12)}
        kind, event = self.value("MSH", 1, 9, 1), self.value("MSH", 1, 9, 2)
        header = MessageHeader(
            self.message.field_separator,
            self.message.encoding_characters,
            fields[3],
            fields[4],
            fields[5],
            fields[6],
            fields[10],
            fields[11] or "P",
            fields[12] or "2.5.1",
        )
        if not kind:
            raise MalformedMessage(
                "MSH-9 (message type) is empty", ErrorLocation("MSH", 1, 9), ErrorCode.REQUIRED_FIELD_MISSING
            )
        if kind != "ORU":
            reason = f"message type {kind!r} is not a result message: send ORU^R01"
            raise MalformedMessage(reason, ErrorLocation("MSH", 1, 9), ErrorCode.UNSUPPORTED_MESSAGE_TYPE)
        if event != "R01":
            reason = f"trigger event {event!r} is not R01: send ORU^R01"
            raise MalformedMessage(reason, ErrorLocation("MSH", 1, 9), ErrorCode.UNSUPPORTED_EVENT)
        if not fields[10]:
            reason = "MSH-10 (message control id) is empty: it makes a re-sent message recognisable"
            raise MalformedMessage(reason, ErrorLocation("MSH", 1, 10), ErrorCode.REQUIRED_FIELD_MISSING)
        if len(fields[10]) > 128:
            reason = "MSH-10 (message control id) is longer than 128 characters"
            raise MalformedMessage(reason, ErrorLocation("MSH", 1, 10), ErrorCode.DATA_TYPE)
        if fields[11] not in ("", "P"):
            reason = f"processing id {fields[11]!r}: only production messages (P) are stored in the registry"
            raise MalformedMessage(reason, ErrorLocation("MSH", 1, 11), ErrorCode.UNSUPPORTED_PROCESSING_ID)
        return header

    def _patient(self, occurrence: int) -> PatientKey:
        count = self.repetitions("PID", occurrence, 3)
        mrn: str | None = None
        for repetition in range(1, count + 1):
            value = self.value("PID", occurrence, 3, 1, repetition)
            authority = self.value("PID", occurrence, 3, 4, repetition)
            kind = self.value("PID", occurrence, 3, 5, repetition)
            if not value:
                continue
            if authority == ENGRAFT_ASSIGNING_AUTHORITY:
                if value.isdigit() and 1 <= int(value) < 2**31:
                    return PatientKey(engraft_id=int(value))
                reason = f"PID-3 {value!r} assigned by ENGRAFT is not an Engraft patient id (a positive integer)"
                raise MalformedMessage(reason, ErrorLocation("PID", occurrence, 3), ErrorCode.DATA_TYPE)
            wanted = self.settings.mrn_authority
            if mrn is None and kind == "MR" and (wanted is None or authority == wanted):
                mrn = value
        if mrn is None:
            authority_text = f" assigned by {self.settings.mrn_authority}" if self.settings.mrn_authority else ""
            reason = (
                f"PID-3 holds no medical record number (identifier type MR{authority_text}) "
                f"and no Engraft id (assigning authority {ENGRAFT_ASSIGNING_AUTHORITY})"
            )
            raise MalformedMessage(reason, ErrorLocation("PID", occurrence, 3), ErrorCode.REQUIRED_FIELD_MISSING)
        return PatientKey(mrn=mrn)

    def _problem(self, occurrence: int, field_no: int, error: ErrorCode, value: str, expected: str) -> None:
        location = ErrorLocation("OBX", occurrence, field_no)
        self.problems.append((location, error, Problem(f"OBX-{field_no}", value, expected, occurrence)))

    def _observation(
        self,
        n: int,
        patient: PatientKey,
        order_time: str,
        filler: str,
        header: MessageHeader,
        source_system: str,
        status: str,
    ) -> IncomingObservation | None:
        code, system = self.value("OBX", n, 3, 1), self.value("OBX", n, 3, 3)
        if not code:
            reason = "OBX-3 (observation identifier) is empty"
            raise MalformedMessage(reason, ErrorLocation("OBX", n, 3), ErrorCode.REQUIRED_FIELD_MISSING)
        start = len(self.problems)
        loinc = self._loinc(n, code, system)
        value_type = self.value("OBX", n, 2)
        raw_value = self.value("OBX", n, 5)
        number: float | None = None
        if value_type != "NM":
            self._problem(n, 2, ErrorCode.DATA_TYPE, value_type, "NM (numeric results only)")
        elif not _NUMBER.match(raw_value) or not math.isfinite(float(raw_value)):
            self._problem(n, 5, ErrorCode.DATA_TYPE, raw_value, "a decimal number (no comparator such as < or >)")
        else:
            number = float(raw_value)
        unit_text, unit_system = self.value("OBX", n, 6, 1), self.value("OBX", n, 6, 3)
        unit: Ucum | None = None
        try:
            unit = Ucum(unit_text) if unit_system == "UCUM" else lab_unit(unit_text, self.settings.units)
        except (UnitError, ValueError) as exc:
            expected = str(exc) if isinstance(exc, UnitError) else "a UCUM code of the closed set"
            self._problem(n, 6, ErrorCode.TABLE_VALUE_NOT_FOUND, unit_text, expected)
        if loinc is not None and unit is not None:
            converts = conversion(loinc, unit.value)  # (field, value, reason) when the unit does not fit the code
            if len(converts) == 3:
                self._problem(n, 6, ErrorCode.TABLE_VALUE_NOT_FOUND, unit_text, converts[2])
                unit = None
        observed_at = self._time(n, order_time)
        if len(self.problems) > start or loinc is None or unit is None or number is None or observed_at is None:
            return None
        sub_id = self.value("OBX", n, 4)
        if filler:
            source_id = f"{filler}|{code}|{sub_id}"
        else:
            source_id = f"{header.control_id}|OBX{self.value('OBX', n, 1) or n}"
        return IncomingObservation(
            n,
            f"OBX[{n}]",
            patient,
            observed_at,
            loinc,
            number,
            unit.value,
            source_system,
            source_id[:128],
            corrects=status == "C",
        )

    def _loinc(self, n: int, code: str, system: str) -> str | None:
        if system == "LN":
            if code in OBSERVATION_CATALOGUE:
                return code
            expected = f"a LOINC code of Engraft's observation catalogue ({len(OBSERVATION_CATALOGUE)} codes)"
            self._problem(n, 3, ErrorCode.TABLE_VALUE_NOT_FOUND, f"{code}^^LN", expected)
            return None
        loinc = local_code(system, code) or self.settings.local_codes.get((system, code))
        if loinc is None:
            expected = (
                f"a LOINC code (coding system LN), an Engraft local code ({LOCAL_CODE_SYSTEM_HL7}) or a code of the "
                "feed's local code table"
            )
            self._problem(n, 3, ErrorCode.TABLE_VALUE_NOT_FOUND, f"{code}^^{system}", expected)
        return loinc

    def _time(self, n: int, order_time: str) -> dt.datetime | None:
        text, field_no = self.value("OBX", n, 14), 14
        if not text:
            text, field_no = order_time, 7
        if not text:
            self._problem(n, 14, ErrorCode.REQUIRED_FIELD_MISSING, "", "an observation time (OBX-14, or OBR-7)")
            return None
        where = "OBX-14" if field_no == 14 else "OBR-7"
        moment = parse_timestamp(text, self.settings.timezone)
        if moment is None:
            zone = "" if self.settings.timezone else " with a zone offset (e.g. +0100); no default zone is configured"
            self._problem(n, 14, ErrorCode.DATA_TYPE, text, f"a time YYYYMMDDHHMM[SS[.S]][+/-ZZZZ] in {where}{zone}")
        return moment


def parse_timestamp(text: str, default_zone: dt.tzinfo | None) -> dt.datetime | None:
    """An HL7 v2 TS/DTM to minute precision or finer; ``None`` when malformed or zone-less without a default."""
    match = _TS.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset is not None:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[3:5])
        if hours > 23 or minutes > 59:
            return None  # not a zone offset (+9900): malformed, reported on its field
        zone: dt.tzinfo | None = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    else:
        zone = default_zone
    if zone is None:
        return None
    micro = round(float(fraction) * 1_000_000) if fraction else 0
    try:
        naive = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), min(micro, 999_999)
        )
    except ValueError:
        return None
    return naive.replace(tzinfo=zone)
