"""The simulated ward's live lab feed: HL7 v2 ORU^R01 messages sent over MLLP, every ACK checked.

:func:`admit_ward` registers the ward (:mod:`engraft.demo.ward`) in the registry once: a demo centre, the
patients with their medical record numbers, an allogeneic transplant episode each (the CAR-T bed: an autologous
immune effector cell episode, day 0 the infusion), and the history before
the anchor back-filled as observations (keyed, so a second call writes nothing). A ward admitted more than
:data:`~engraft.demo.ward.WARD_STALE_AFTER_DAYS` days ago is left as it is and a new one admitted.

:class:`WardFeed` then plays a laboratory system: every ``interval`` seconds it sends the next bed's
current results as one ORU^R01 over a real MLLP connection (vital signs every round, the lab panel and
weight every :data:`LAB_EVERY_ROUNDS` rounds of that bed) and checks that the listener answers ``AA``.
The messages follow the conventions :mod:`engraft.io.hl7_oru` reads: LOINC in OBX-3 (``LN``), UCUM in
OBX-6, OBX-14 with a zone offset, the medical record number in PID-3 typed ``MR``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select

from engraft.demo.ward import (
    VITALS,
    WARD,
    WARD_STALE_AFTER_DAYS,
    WardCourse,
    WardPatient,
    WardResult,
    history,
    results_at,
)
from engraft.io.mllp import MllpClient
from engraft.registry.models import Patient
from engraft.registry.observations import ObservationRow, add_observations
from engraft.registry.schemas.donor import DonorIn
from engraft.registry.schemas.episode import EpisodeIn
from engraft.registry.schemas.patient import CentreIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import (
    CellTherapy,
    DonorEligibility,
    DonorRelation,
    GraftSource,
    ObservationSource,
    TransplantType,
)

WARD_CENTRE: Final = "DEMO-WARD"
SENDING_APPLICATION: Final = "DEMOLAB"
SENDING_FACILITY: Final = "DEMOWARD"
BACKFILL_SOURCE: Final = "demo-ward-history"
LAB_EVERY_ROUNDS: Final = 3
DEFAULT_INTERVAL_S: Final = 3.0


@dataclass(frozen=True, slots=True)
class AdmittedWard:
    """The ward in the registry: its anchor and each bed's patient id and medical record number."""

    anchor: dt.datetime
    beds: tuple[tuple[WardPatient, int, str], ...]
    backfilled: int


def _existing_anchor(service: RegistryService, now: dt.datetime) -> dt.datetime | None:
    """The anchor of the newest ward in the registry, if it is recent enough to keep."""
    with service.read_snapshot() as session:
        ids = session.scalars(select(Patient.registry_id).where(Patient.registry_id.like("WARD-%"))).all()
    anchors = []
    for registry_id in ids:
        try:
            anchors.append(dt.datetime.strptime(registry_id.split("-")[1], "%Y%m%d%H%M").replace(tzinfo=dt.UTC))
        except (IndexError, ValueError):
            continue
    if not anchors:
        return None
    newest = max(anchors)
    return newest if now - newest <= dt.timedelta(days=WARD_STALE_AFTER_DAYS) else None


def admit_ward(service: RegistryService, now: dt.datetime | None = None) -> AdmittedWard:
    """Register the ward (or find the recent one already registered) and back-fill its history."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    anchor = _existing_anchor(service, now) or now.replace(second=0, microsecond=0)
    if WARD_CENTRE not in {c.code for c in service.list_centres()}:
        service.create_centre(CentreIn(code=WARD_CENTRE, name="Demo transplant ward (synthetic)", country="GB"))
    with service.read_snapshot() as session:
        stmt = select(Patient.registry_id, Patient.id).where(Patient.registry_id.like(f"WARD-{anchor:%Y%m%d%H%M}-%"))
        known = {str(registry_id): int(patient_id) for registry_id, patient_id in session.execute(stmt)}
    beds = []
    rows: list[ObservationRow] = []
    for patient in WARD:
        registry_id = patient.registry_id(anchor)
        if registry_id in known:
            beds.append((patient, known[registry_id], patient.mrn(anchor)))
            continue
        patient_id, episode_id = _register(service, patient, anchor)
        beds.append((patient, patient_id, patient.mrn(anchor)))
        rows.extend(_row(patient_id, episode_id, registry_id, r) for r in history(patient, anchor))
    inserted = add_observations(service, rows).inserted if rows else 0
    return AdmittedWard(anchor, tuple(beds), inserted)


def _register(service: RegistryService, patient: WardPatient, anchor: dt.datetime) -> tuple[int, int]:
    out = service.create_patient(
        PatientIn(
            registry_id=patient.registry_id(anchor),
            centre=WARD_CENTRE,
            sex=patient.sex,
            birth_date=dt.date(patient.birth_year, 3, 1),
            height_cm=patient.height_cm,
            weight_kg=patient.weight_kg,
            identity=IdentityIn(
                given_name=patient.given_name, family_name=patient.family_name, mrn=patient.mrn(anchor)
            ),
        )
    )
    if patient.course is WardCourse.CAR_T_CRS:
        episode = service.create_episode(
            EpisodeIn(
                patient_id=out.id,
                centre=WARD_CENTRE,
                transplant_type=TransplantType.AUTOLOGOUS,
                graft_source=GraftSource.PERIPHERAL_BLOOD,
                cell_therapy=CellTherapy.IMMUNE_EFFECTOR_CELLS,
                day0=patient.day0(anchor),
            )
        )
        return out.id, episode.id
    donor = service.create_donor(
        DonorIn(
            donor_code=f"{patient.registry_id(anchor)}-D1",
            relation=DonorRelation.MATCHED_UNRELATED,
            age_years=30 + patient.bed,
            sex=patient.sex,
            eligibility=DonorEligibility.ELIGIBLE,
        )
    )
    episode = service.create_episode(
        EpisodeIn(
            patient_id=out.id,
            donor_ids=[donor.id],
            centre=WARD_CENTRE,
            transplant_type=TransplantType.ALLOGENEIC,
            graft_source=GraftSource.PERIPHERAL_BLOOD,
            day0=patient.day0(anchor),
            gvhd_prophylaxis=["tacrolimus", "methotrexate"],
        )
    )
    return out.id, episode.id


def _row(patient_id: int, episode_id: int, registry_id: str, result: WardResult) -> ObservationRow:
    source = ObservationSource.DEVICE if result.code in VITALS else ObservationSource.LAB_FEED
    return ObservationRow(
        patient_id,
        episode_id,
        result.at,
        result.code,
        result.value,
        result.unit,
        source.value,
        f"{registry_id}/{result.code}/{result.at:%Y%m%d%H%M}",
        BACKFILL_SOURCE,
    )


def _hl7_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S+0000")


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def oru_message(
    control_id: str, patient: WardPatient, mrn: str, results: tuple[WardResult, ...], sent_at: dt.datetime
) -> str:
    """One ORU^R01 (segments separated by carriage returns) carrying ``results`` of one patient."""
    filler = f"{control_id}-{mrn}"
    taken = min(r.at for r in results)
    segments = [
        f"MSH|^~\\&|{SENDING_APPLICATION}|{SENDING_FACILITY}|ENGRAFT|ENGRAFT|{_hl7_time(sent_at)}||ORU^R01^ORU_R01|"
        f"{control_id}|P|2.5.1",
        f"PID|1||{mrn}^^^{SENDING_FACILITY}^MR||{patient.family_name}^{patient.given_name}||"
        f"{patient.birth_year}0301|{'M' if patient.sex.value == 'male' else 'F'}",
        f"OBR|1||{filler}|ENGRAFT-WARD^Ward round results^L|||{_hl7_time(taken)}",
    ]
    for n, result in enumerate(results, start=1):
        segments.append(
            f"OBX|{n}|NM|{result.code}^^LN||{_number(result.value)}|{result.unit}^^UCUM|||||F|||{_hl7_time(result.at)}"
        )
    return "\r".join(segments) + "\r"


def ack_code(ack: str) -> str:
    """MSA-1 of an ACK (AA, AE, AR...), empty when it has no MSA segment."""
    for segment in ack.replace("\n", "\r").split("\r"):
        if segment.startswith("MSA|"):
            return segment.split("|")[1]
    return ""


class AckNotAccepted(RuntimeError):
    """The listener answered a ward message with something other than AA."""


@dataclass
class FeedProgress:
    """What the feed has sent so far (messages and results acknowledged AA)."""

    messages: int = 0
    results: int = 0
    acks: list[str] = field(default_factory=list)


class WardFeed:
    """Sends the ward's results to an MLLP listener every ``interval`` seconds, checking each ACK."""

    def __init__(
        self,
        ward: AdmittedWard,
        host: str,
        port: int,
        interval: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval={interval}: expected a positive number of seconds")
        self.ward = ward
        self.host = host
        self.port = port
        self.interval = interval
        self.clock = clock
        self.progress = FeedProgress()
        self._run = clock().strftime("%y%m%d%H%M%S")

    def next_message(self, round_number: int) -> tuple[str, int]:
        """The message of round ``round_number`` (0-based) and how many results it carries."""
        patient, _patient_id, mrn = self.ward.beds[round_number % len(self.ward.beds)]
        labs = (round_number // len(self.ward.beds)) % LAB_EVERY_ROUNDS == 0
        now = self.clock().replace(microsecond=0)
        results = results_at(patient, self.ward.anchor, now, labs=labs)
        control_id = f"W{self._run}-{round_number + 1}"
        return oru_message(control_id, patient, mrn, results, now), len(results)

    async def run(self, rounds: int | None = None) -> FeedProgress:
        """Send ``rounds`` messages (forever if None); raise :class:`AckNotAccepted` on an ACK that is not AA."""
        client = await MllpClient.connect(self.host, self.port)
        try:
            for round_number in itertools.count() if rounds is None else range(rounds):
                message, count = self.next_message(round_number)
                ack = await client.exchange(message)
                if ack_code(ack) != "AA":
                    raise AckNotAccepted(f"ward message {round_number + 1} not accepted: {ack!r}")
                self.progress.messages += 1
                self.progress.results += count
                self.progress.acks.append(ack)
                if rounds is None or round_number + 1 < rounds:
                    await asyncio.sleep(self.interval)
        finally:
            await client.close()
        return self.progress
