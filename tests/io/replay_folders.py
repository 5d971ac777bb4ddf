"""An export-like folder (patients.csv with identity, episodes.csv) and the same results as CSV, FHIR and HL7 v2,
for the replay tests (``engraft monitor replay``, :mod:`engraft.io.monitoring_replay_feeds`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tests.io.feeds import bundle, observation, obx, oru, platelet_transfusion

DAY0 = dt.datetime(2025, 3, 1, 6, tzinfo=dt.UTC)
"""06:00 UTC on day 0 of PT-001's episode 1."""
MRN = "MRN-100"
PATIENTS_WITH_IDENTITY = (
    "registry_id,centre,sex,birth_date,given_name,family_name,mrn\n"
    f"PT-001,C1,female,1980-02-03,Ann,Example,{MRN}\n"
    "PT-002,C1,male,1975-06-01,Bob,Example,MRN-200\n"
)
PATIENTS_WITHOUT_IDENTITY = "registry_id,centre,sex,birth_date\nPT-001,C1,female,1980-02-03\n"
EPISODES = (
    "registry_id,sequence_number,centre,transplant_type,graft_source,day0\n"
    "PT-001,1,C1,allogeneic,peripheral blood,2025-03-01\n"
    "PT-002,1,C1,autologous,peripheral blood,2025-01-10\n"
)
CSV_HEADER = "registry_id,episode_sequence,observed_at,loinc,value,unit,source_id\n"

Series = list[tuple[int, str, float, str]]
"""(day from day 0, LOINC, value, UCUM unit) of PT-001's results, at 06:00 UTC."""


def export_folder(folder: Path, *, identity: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    patients = PATIENTS_WITH_IDENTITY if identity else PATIENTS_WITHOUT_IDENTITY
    (folder / "patients.csv").write_text(patients, encoding="utf-8")
    (folder / "episodes.csv").write_text(EPISODES, encoding="utf-8")
    return folder


def at(day: int, hour: int = 6) -> dt.datetime:
    return DAY0 + dt.timedelta(days=day, hours=hour - 6)


def anc_course(days: range, engrafts_on: int = 12) -> Series:
    """ANC 0.1 x10^9/L until ``engrafts_on``, 1.5 from then."""
    return [(d, "751-8", 0.1 if d < engrafts_on else 1.5, "10*9/L") for d in days]


def write_csv(folder: Path, series: Series, name: str = "observations.csv") -> Path:
    rows = "".join(
        f"PT-001,1,{at(d).isoformat()},{loinc},{value},{unit},r-{n}\n"
        for n, (d, loinc, value, unit) in enumerate(series)
    )
    path = folder / name
    path.write_text(CSV_HEADER + rows, encoding="utf-8")
    return path


def fhir_observations(series: Series, mrn: str = MRN) -> list[dict[str, Any]]:
    subject = {"identifier": {"system": "urn:engraft:mrn", "value": mrn}}
    return [
        observation(f"r-{n}", loinc, value, unit, subject=subject, at=at(d).isoformat())
        for n, (d, loinc, value, unit) in enumerate(series)
    ]


def platelets_given(identifier: str, day: int) -> dict[str, Any]:
    return platelet_transfusion(identifier, at=at(day, hour=9).isoformat())


def write_bundle(folder: Path, resources: list[dict[str, Any]], name: str = "bundle.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(bundle(*resources, identifier="B-1")), encoding="utf-8")
    return path


def hl7_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S+0000")


def hl7_message(control_id: str, series: Series, *, mrn: str = MRN, first: int = 0, status: str = "F") -> str:
    """One ORU^R01 (segments ended by CR) with an OBR per result (filler ``F-<n>``: the result's identity)."""
    message = oru(control_id, obx(1), mrn=mrn).split("\r")
    segments = message[:2]
    for n, (d, loinc, value, unit) in enumerate(series, start=first):
        time = hl7_time(at(d))
        segments.append(f"OBR|{n + 1}||F-{n}|58410-2^CBC panel^LN|||{time}")
        segments.append(obx(1, loinc, str(value), unit, status=status, time=time))
    return "\r".join(segments) + "\r"
