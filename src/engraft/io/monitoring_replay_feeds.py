"""Reading a FHIR R4 or HL7 v2 file for ``engraft monitor replay``: the feeds' own mapping, the export's episodes.

:func:`read_replay_file` reads any file the replay takes into a :class:`~engraft.io.monitoring_replay.ReplayInput`.
The format is read from the extension, else from the content (:func:`replay_format`):

- **registry CSV** (``.csv``, or a header with ``registry_id``): :func:`engraft.io.monitoring_replay.read_replay`;
- **FHIR R4 JSON** (``.json``, or content starting with ``{``) and **NDJSON** (``.ndjson``, ``.jsonl``, or JSON
  text of one object per line): :mod:`engraft.io.monitoring_replay_fhir`;
- **HL7 v2** (``.hl7``, or content starting with ``MSH``, or a batch's ``FHS``/``BHS``): one or more ORU^R01
  messages, :mod:`engraft.io.monitoring_replay_hl7`.

The messages name patients by medical record number (HL7 PID-3, FHIR ``Observation.subject`` identifier); the
export's ``patients.csv`` has an ``mrn`` column only when it was made with identity. A patient named by Engraft
id, an MRN that patients.csv lacks (or has at two centres, when no centre is named), or a patients.csv without
MRNs is a problem. Each result goes to the episode the registry would give it
(:func:`engraft.registry.ingest.episode_for_result`: the episode starting within 30 days after it, else the latest
started on or before its UTC date); results of no episode are counted and skipped.

As the registry stores a feed: a message whose key (HL7 MSH-3/4/10, FHIR ``Bundle.identifier``) was read earlier in
the file is a re-send and is counted once when its content is the same
(:func:`engraft.registry.ingest.content_digest`, the digest the registry compares) and a problem naming both
messages otherwise (the registry refuses a control id re-used for other content); a result whose source system and
id were read before is a duplicate when identical (counted once), replaces the earlier value when it is a correction
(HL7 OBX-11 ``C``, FHIR ``amended``/``corrected``) of the same patient and code, and is a problem otherwise; a value
outside the catalogue's possible range is a problem. Results whose status is not final (HL7 OBX-11 other than
``F``/``C``, FHIR Observation status other than final/amended/corrected, MedicationAdministration not ``completed``)
are skipped and counted.

**Transfusions**: FHIR MedicationAdministration platelet and red cell products are the patient's transfusions
(stored without an episode, they count for each of the patient's episodes, as the registry's evaluation reads
them), as days from each episode's day 0 (UTC dates). An episode whose patient has no platelet transfusion in the
file has no platelet transfusion record (``platelet_transfusion_days`` ``None``): platelet engraftment is then
not asserted, as for a CSV replay (an export holds no transfusion) and in the registry for an episode without one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from engraft.io.monitoring_replay import (
    FeedProblem,
    FeedSummary,
    ReplayContext,
    ReplayInput,
    ReplayProblem,
    read_context,
    read_replay,
)
from engraft.io.monitoring_replay_documents import LINE_BREAK, FeedDocument, FeedSettings, ReplayFileError
from engraft.io.monitoring_replay_fhir import fhir_file, ndjson_documents
from engraft.io.monitoring_replay_hl7 import hl7_documents
from engraft.measurements import lookup_observation_kind
from engraft.monitoring import MonitoredObservation
from engraft.registry.ingest import (
    IncomingObservation,
    IncomingTransfusion,
    MessageKey,
    PatientKey,
    content_digest,
    episode_for_result,
)
from engraft.registry.observation_batch import conversion
from engraft.vocabulary import TransfusionProduct

__all__ = [
    "FeedSettings",
    "ReplayFileError",
    "ReplayFormat",
    "read_replay_file",
    "replay_format",
    "summary_line",
]

_SNIFFED: Final = 4096
_MAX_PROBLEMS: Final = 1000


class ReplayFormat(StrEnum):
    CSV = "registry CSV"
    FHIR = "FHIR"
    NDJSON = "FHIR NDJSON"
    HL7V2 = "HL7 v2"


def replay_format(path: Path, head: bytes) -> ReplayFormat:
    """The format of ``path`` from its extension and first bytes ``head``; :class:`ReplayFileError` if none."""
    suffix = path.suffix.lower()
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n\x0b")
    if suffix == ".csv":
        return ReplayFormat.CSV
    if suffix in (".ndjson", ".jsonl"):
        return ReplayFormat.NDJSON
    if suffix == ".json" or text.startswith(("{", "[")):
        return ReplayFormat.FHIR
    if suffix == ".hl7" or text[:3] in ("MSH", "FHS", "BHS"):
        return ReplayFormat.HL7V2
    first_line = LINE_BREAK.split(text, maxsplit=1)[0]
    if "registry_id" in first_line.split(","):
        return ReplayFormat.CSV
    raise ReplayFileError(
        f"{path.name}: not a file the replay reads; expected an observations CSV (.csv), a FHIR R4 JSON document "
        "(.json: a Bundle, Observation or MedicationAdministration), FHIR NDJSON (.ndjson) or HL7 v2 ORU^R01 "
        "messages (.hl7, or starting with an MSH segment)"
    )


def read_replay_file(
    path: Path, context_directory: Path | None = None, settings: FeedSettings | None = None
) -> ReplayInput:
    """The episodes and results of ``path`` in any format the replay reads, the episode facts from the export
    folder ``context_directory`` (default: the file's folder). Raises :class:`ReplayFileError` for a file it does
    not read and :class:`OSError` for one it cannot open; problems of content are in the result."""
    settings = settings or FeedSettings()
    with path.open("rb") as handle:
        head = handle.read(_SNIFFED)
    kind = replay_format(path, head)
    if kind is ReplayFormat.CSV:
        return read_replay(path, context_directory)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReplayFileError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    documents: Iterable[FeedDocument] | None
    if kind is ReplayFormat.FHIR:
        documents = fhir_file(path, text, settings)
        if documents is None:
            kind, documents = ReplayFormat.NDJSON, ndjson_documents(path.name, text, settings)
    elif kind is ReplayFormat.NDJSON:
        documents = ndjson_documents(path.name, text, settings)
    else:
        documents = hl7_documents(path.name, text, settings)
    context = read_context(context_directory or path.parent, path.name)
    return _Assembly(context, settings, kind).replay(documents)


# ---- from documents to episodes -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Result:
    order: int
    registry_id: str
    item: IncomingObservation

    def content(self) -> tuple[object, ...]:
        i = self.item
        return (self.registry_id, i.observed_at, i.loinc, i.value, i.unit)


class _Assembly:
    """The documents' results and transfusions, de-duplicated, resolved to the export's patients and episodes."""

    def __init__(self, context: ReplayContext, settings: FeedSettings, kind: ReplayFormat) -> None:
        self.context = context
        self.settings = settings
        self.kind = kind
        self.problems: list[ReplayProblem] = context.problems
        self.results: dict[tuple[str, str], _Result] = {}
        self.transfusions: dict[tuple[str, str], tuple[str, TransfusionProduct, dt.datetime]] = {}
        self.messages = self.resent = self.duplicates = self.corrections = self.not_final = self.ignored = 0
        self.no_mrn_reported = False
        self.unknown_patients: set[tuple[str, PatientKey]] = set()

    def replay(self, documents: Iterable[FeedDocument]) -> ReplayInput:
        seen: dict[MessageKey, tuple[str, str]] = {}  # each key's content digest and the message that first had it
        for document in documents:
            self.messages += document.message
            if document.key is not None:
                digest = content_digest(document.observations, document.transfusions)
                earlier = seen.get(document.key)
                if earlier is not None:
                    if earlier[0] == digest:
                        self.resent += 1  # a re-send: the registry stores a message once
                    else:
                        self._reused_key(document, document.key, earlier[1])
                    continue
                seen[document.key] = (digest, document.where)
            self._add_problems(document.problems)
            self.not_final += document.not_final
            self.ignored += document.ignored
            for item in document.observations:
                self._observation(document, item)
            for given in document.transfusions:
                self._transfusion(document, given)
        summary = FeedSummary(
            kind=self.kind.value,
            messages=self.messages,
            resent=self.resent,
            results=len(self.results),
            duplicates=self.duplicates,
            corrections=self.corrections,
            transfusions=len(self.transfusions),
            not_final=self.not_final,
            ignored=self.ignored,
        )
        if self.problems or not self.context.usable:
            return ReplayInput({}, self.problems, read=summary)
        return self._episodes(summary)

    def _reused_key(self, document: FeedDocument, key: MessageKey, first: str) -> None:
        """A message whose key an earlier message of other content had: the registry refuses it (AE), as here."""
        where = f"{document.where} {'MSH-3/4/10' if document.hl7 else 'Bundle.identifier'}"
        value = f"{key.sender}|{key.control_id}"
        reason = (
            f"expected a key not re-used: {first} has this key but other results (a re-send must repeat the "
            "message unchanged)"
        )
        self._problem(where, value, reason)

    def _add_problems(self, problems: list[ReplayProblem]) -> None:
        room = _MAX_PROBLEMS - len(self.problems)
        if room > 0:
            self.problems += problems[:room]

    def _problem(self, where: str, value: str | int | float | None, reason: str) -> None:
        self._add_problems([FeedProblem(where, value, reason)])

    def _patient(self, document: FeedDocument, item: IncomingObservation | IncomingTransfusion) -> str | None:
        """The registry id of the export patient the item names (a problem when none or several)."""
        key: PatientKey = item.patient
        where = document.patient_where(item)
        if (document.where, key) in self.unknown_patients:
            return None  # named once per message
        if key.mrn is None:
            reason = (
                "a patient named by medical record number (an export names patients by registry id and mrn, not by "
                "Engraft record id)"
            )
            self._problem(where, key.engraft_id, f"expected {reason}")
            self.unknown_patients.add((document.where, key))
            return None
        mrns = self.context.mrns
        if mrns is None:
            if not self.no_mrn_reported and self.context.usable:
                self.no_mrn_reported = True
                reason = (
                    "expected an mrn column (an export made with identity): the file names patients by medical "
                    "record number"
                )
                self._problem("patients.csv", None, reason)
            return None
        centre = self.settings.centre
        found = [registry_id for at, registry_id in mrns.get(key.mrn, []) if centre is None or at == centre]
        if len(found) == 1:
            return found[0]
        self.unknown_patients.add((document.where, key))
        if not found:
            at_centre = f" at centre {centre}" if centre else ""
            self._problem(where, key.mrn, f"expected a medical record number of patients.csv{at_centre}")
        else:
            centres = ", ".join(sorted({at for at, _ in mrns[key.mrn]}))
            reason = (
                f"expected a medical record number of one centre (patients.csv has it at {centres}: name the centre)"
            )
            self._problem(where, key.mrn, reason)
        return None

    def _observation(self, document: FeedDocument, item: IncomingObservation) -> None:
        registry_id = self._patient(document, item)
        if registry_id is None:
            return
        where = f"{document.where} {item.label}"
        factors = conversion(item.loinc, item.unit)
        if len(factors) == 4:
            factor, zero, low, high = factors
            canonical = item.value * factor + zero
            if not (math.isfinite(canonical) and low <= canonical <= high):
                unit = lookup_observation_kind(item.loinc).canonical_unit.value
                self._problem(where, item.value, f"expected a value from {low:g} to {high:g} {unit} ({item.loinc})")
                return
        key = (item.source_system, item.source_id)
        result = _Result(len(self.results) + 1, registry_id, item)
        earlier = self.results.get(key)
        if earlier is None:
            self.results[key] = result
        elif earlier.content() == result.content():
            self.duplicates += 1
        elif item.corrects and (earlier.registry_id, earlier.item.loinc) == (registry_id, item.loinc):
            self.corrections += 1
            self.results[key] = _Result(earlier.order, registry_id, item)
        else:
            reason = (
                "expected either a new result or one identical to the result read earlier under that source "
                "system and id (a changed result is sent as a correction of the same patient and code: HL7 "
                "OBX-11 C, FHIR status amended or corrected)"
            )
            self._problem(where, item.source_id, reason)

    def _transfusion(self, document: FeedDocument, given: IncomingTransfusion) -> None:
        registry_id = self._patient(document, given)
        if registry_id is None:
            return
        key = (given.source_system, given.source_id)
        content = (registry_id, given.product, given.administered_at)
        earlier = self.transfusions.setdefault(key, content)
        if earlier is content:
            return
        if earlier == content:
            self.duplicates += 1
        else:
            reason = "expected an identifier not re-used for another administration"
            self._problem(f"{document.where} {given.label}", given.source_id, reason)

    def _episodes(self, summary: FeedSummary) -> ReplayInput:
        episodes = self.context.episodes
        starts = self.context.registry_ids()
        replay = ReplayInput(episodes, self.problems, read=summary)
        for result in sorted(self.results.values(), key=lambda r: r.order):
            item = result.item
            sequence = episode_for_result(starts.get(result.registry_id, []), item.observed_at)
            if sequence is None:
                replay.without_episode += 1
                continue
            episodes[(result.registry_id, sequence)].observations.append(
                MonitoredObservation(
                    id=result.order, observed_at=item.observed_at, loinc=item.loinc, value=item.value, unit=item.unit
                )
            )
        given: dict[str, list[tuple[TransfusionProduct, dt.datetime]]] = {}
        for registry_id, product, at in self.transfusions.values():
            given.setdefault(registry_id, []).append((product, at))
        for (registry_id, _sequence), episode in episodes.items():
            if registry_id not in given:
                continue
            context = episode.context
            platelets = sorted(
                {context.day_of(at) for p, at in given[registry_id] if p is TransfusionProduct.PLATELETS}
            )
            red_cells = sorted(
                {context.day_of(at) for p, at in given[registry_id] if p is TransfusionProduct.RED_CELLS}
            )
            episode.context = context.model_copy(
                update={
                    "platelet_transfusion_days": tuple(platelets) or None,
                    "red_cell_transfusion_days": tuple(red_cells),
                }
            )
        return replay


def summary_line(read: FeedSummary, without_episode: int) -> str:
    """What a FHIR or HL7 file held, in one sentence."""
    resent = f" ({read.resent} re-sent, counted once)" if read.resent else ""
    parts = [f"{read.results} result(s)", f"{read.transfusions} transfusion(s)"]
    if read.duplicates:
        parts.append(f"{read.duplicates} duplicate(s) counted once")
    if read.corrections:
        parts.append(f"{read.corrections} correction(s) applied")
    skipped = [f"{read.not_final} not final", f"{without_episode} not tied to an episode"]
    if read.ignored:
        skipped.append(f"{read.ignored} resource(s) of other types")
    noun = {"FHIR": "document", "FHIR NDJSON": "line"}.get(read.kind, "message")
    head = f"Read {read.messages} {read.kind} {noun}(s){resent}"
    return f"{head}: {', '.join(parts)}; skipped: {', '.join(skipped)}."
