"""What the replay's FHIR and HL7 v2 readers share: the feed's site settings and one message, read.

A file of messages (:mod:`engraft.io.monitoring_replay_hl7`, :mod:`engraft.io.monitoring_replay_fhir`) is read
into :class:`FeedDocument` values, one per HL7 message, FHIR document or NDJSON line, each with its key, results,
transfusions and problems; :mod:`engraft.io.monitoring_replay_feeds` assembles them into the export's episodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from engraft.io.fhir_results import FhirSettings
from engraft.io.hl7_oru import Hl7Settings
from engraft.io.monitoring_replay import ReplayProblem
from engraft.registry.ingest import IncomingObservation, IncomingTransfusion, MessageKey

LINE_BREAK: Final = re.compile(r"\r\n|\r|\n")


class ReplayFileError(ValueError):
    """The file is not one the replay reads (unknown format, not UTF-8, not JSON, not a FHIR resource): one
    sentence naming the file."""


@dataclass(frozen=True, slots=True)
class FeedSettings:
    """What the file's senders leave to the site: HL7's codes, units, zone and MRN authority, FHIR's MRN system,
    and the centre whose medical record numbers the file carries (``None``: an MRN must be unique in the export)."""

    hl7: Hl7Settings = field(default_factory=Hl7Settings)
    fhir: FhirSettings = field(default_factory=FhirSettings)
    centre: str | None = None


@dataclass(slots=True)
class FeedDocument:
    """One message (an HL7 message, a FHIR document or NDJSON line), read."""

    where: str
    key: MessageKey | None = None
    observations: tuple[IncomingObservation, ...] = ()
    transfusions: tuple[IncomingTransfusion, ...] = ()
    problems: list[ReplayProblem] = field(default_factory=list)
    not_final: int = 0
    ignored: int = 0
    hl7: bool = False
    message: bool = True
    """False for the lines before an HL7 file's first message (a problem, not a message)."""

    def patient_where(self, item: IncomingObservation | IncomingTransfusion) -> str:
        return f"{self.where} PID-3 ({item.label})" if self.hl7 else f"{self.where} {item.label}.subject"


def shown_value(value: Any) -> str | int | float | None:
    """A value as a problem shows it: numbers and ``None`` as they are, text cut to 80 characters."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
