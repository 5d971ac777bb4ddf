"""Write the demo's CAR-T patients (:mod:`engraft.demo.car_t`) into a registry through the registry service.

THE DATA ARE SYNTHETIC. Each patient gets a diagnosis, an autologous immune effector cell episode (day 0 the
infusion, lymphodepletion as its conditioning), the recorded CRS event and the daily labs and vital signs (labs at
05:MM, vital signs at 07:MM UTC; an oxygen flow only on the days oxygen was given).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engraft.demo.car_t import LYMPHODEPLETION, SyntheticCarT
from engraft.registry.observations import ObservationRow
from engraft.registry.schemas.clinical import EventIn
from engraft.registry.schemas.episode import ConditioningAgentIn, EpisodeIn
from engraft.registry.schemas.patient import DiagnosisIn, IdentityIn, PatientIn
from engraft.registry.service import RegistryService
from engraft.vocabulary import CellTherapy, EventSource, EventType, GraftSource, ObservationSource, TransplantType

CAR_T_PRODUCT_SOURCE = GraftSource.PERIPHERAL_BLOOD
"""CAR-T cells are made from the patient's own leukapheresis (peripheral blood) product."""


@dataclass(frozen=True, slots=True)
class WrittenCarT:
    """What writing one CAR-T patient stored: the ids, and the observation rows still to be added."""

    patient_id: int
    episode_id: int
    rows: tuple[ObservationRow, ...]


def write_car_t(service: RegistryService, car_t: SyntheticCarT) -> WrittenCarT:
    """Store ``car_t``'s patient, diagnosis, episode and CRS event; return the ids and its observation rows."""
    script = car_t.script
    patient = service.create_patient(
        PatientIn(
            registry_id=car_t.registry_id,
            centre=car_t.centre.code,
            sex=script.sex,
            birth_date=car_t.birth_date,
            height_cm=car_t.height_cm,
            weight_kg=car_t.weight_kg,
            identity=IdentityIn(given_name=car_t.given_name, family_name=car_t.family_name, mrn=car_t.mrn),
        )
    )
    diagnosis = service.create_diagnosis(
        DiagnosisIn(
            patient_id=patient.id,
            who_name=script.who_name,
            icd10=script.icd10,
            diagnosis_date=car_t.diagnosis_date,
            status_at_transplant=script.status,
        )
    )
    episode = service.create_episode(
        EpisodeIn(
            patient_id=patient.id,
            diagnosis_id=diagnosis.id,
            centre=car_t.centre.code,
            transplant_type=TransplantType.AUTOLOGOUS,
            graft_source=CAR_T_PRODUCT_SOURCE,
            cell_therapy=CellTherapy.IMMUNE_EFFECTOR_CELLS,
            day0=car_t.day0,
            conditioning=[
                ConditioningAgentIn(drug=drug, total_dose=dose, unit=unit) for drug, dose, unit in LYMPHODEPLETION
            ],
        )
    )
    service.create_event(
        EventIn(
            patient_id=patient.id,
            episode_id=episode.id,
            event_type=EventType.CRS,
            event_date=car_t.day0 + dt.timedelta(days=car_t.crs_onset_day),
            source=EventSource.MANUAL,
            details={"grade": script.grade},
        )
    )
    return WrittenCarT(patient.id, episode.id, observation_rows(car_t, patient.id, episode.id))


def observation_rows(car_t: SyntheticCarT, patient_id: int, episode_id: int) -> tuple[ObservationRow, ...]:
    """The patient's labs and vital signs as observation rows (an oxygen flow of 0 is not recorded)."""
    lab_time = dt.datetime.combine(car_t.day0, dt.time(5, car_t.lab_minute), tzinfo=dt.UTC)
    vital_time = dt.datetime.combine(car_t.day0, dt.time(7, car_t.vital_minute), tzinfo=dt.UTC)
    key = f"{car_t.registry_id}/{episode_id}"
    rows: list[ObservationRow] = []
    feed, device = ObservationSource.LAB_FEED.value, ObservationSource.DEVICE.value
    for series, at, source in ((car_t.reported_labs(), lab_time, feed), (car_t.reported_vitals(), vital_time, device)):
        for loinc, unit, values in series:
            for day, value in zip(car_t.days.tolist(), values.tolist(), strict=True):
                if unit == "L/min" and value == 0:
                    continue
                when = at + dt.timedelta(days=day)
                rows.append(
                    ObservationRow(patient_id, episode_id, when, loinc, value, unit, source, f"{key}/{loinc}/{day}")
                )
    return tuple(rows)
