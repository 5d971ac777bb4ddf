"""Episodes, stored instrument results and outcome tables the report tests are built from."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import Any

import numpy as np

from engraft.outcomes.outcome_table import OutcomeTable
from engraft.reports import EpisodeFacts, InstrumentFinding
from engraft.scores.catalog import run
from engraft.scores.hctci import HctCiItemFlags

_DEFAULTS: dict[str, Any] = {
    "centre": "C1",
    "sequence_number": 1,
    "transplant_type": "allogeneic",
    "donor_relation": "matched unrelated",
    "graft_source": "peripheral blood",
    "icd10": "C92.0",
    "disease_status": "CR1",
    "recipient_cmv": "positive",
    "conditioning_intensity": "MAC",
    "year": 2020,
    "day0": np.datetime64("2020-01-01"),
    "age_years": 50.0,
    "hctci": np.nan,
    "performance_score": np.nan,
    "last_contact_day": 800.0,
    "death_day": np.nan,
    "relapse_day": np.nan,
    "agvhd_2_4_day": np.nan,
    "agvhd_3_4_day": np.nan,
    "cgvhd_day": np.nan,
    "cgvhd_systemic_day": np.nan,
    "neutrophil_day": 15.0,
    "platelet_day": 20.0,
    "next_transplant_day": np.nan,
}
_DTYPES = {"IntArray": np.int64, "FloatArray": np.float64, "StrArray": np.str_}


def outcome_table(rows: list[dict[str, Any]]) -> OutcomeTable:
    """An outcome table of ``rows`` (each overriding the defaults above); ids 1000, 1001, ..."""
    columns: dict[str, Any] = {}
    for field in fields(OutcomeTable):
        if field.name in ("episode_id", "patient_id"):
            columns[field.name] = np.arange(1000, 1000 + len(rows), dtype=np.int64)
            continue
        values = [row.get(field.name, _DEFAULTS[field.name]) for row in rows]
        dtype = _DTYPES.get(str(field.type).split("[")[0], "datetime64[D]")
        columns[field.name] = np.asarray(values, dtype=dtype)
    return OutcomeTable(**columns)


def stored(name: str, payload: dict[str, Any]) -> InstrumentFinding:
    """An instrument run through the catalogue and read back as the registry stores it."""
    return InstrumentFinding.from_stored(run(name, payload).model_dump(mode="json"))


def hct_ci_items(*present: str) -> dict[str, Any]:
    return {"items": {item: item in present for item in HctCiItemFlags.model_fields}}


def allogeneic_facts(**changes: Any) -> EpisodeFacts:
    """A 52-year-old with AML in CR1, matched unrelated donor; HCT-CI (diabetes), EBMT score and Karnofsky 90."""
    findings = (
        stored("hct-ci", hct_ci_items("diabetes")),
        stored(
            "ebmt-risk",
            {
                "age_years": 52,
                "disease": "aml",
                "status": "CR1",
                "months_diagnosis_to_transplant": 5,
                "donor_relation": "matched unrelated",
                "donor_sex": "male",
                "recipient_sex": "male",
            },
        ),
        stored("karnofsky", {"score": 90, "age_years": 52}),
    )
    base: dict[str, Any] = {
        "episode_id": 7,
        "centre": "C1",
        "transplant_type": "allogeneic",
        "graft_source": "peripheral blood",
        "donor_relation": "matched unrelated",
        "donor_count": 1,
        "age_years": 52,
        "icd10": "C92.0",
        "disease_status": "CR1",
        "day0": dt.date(2026, 1, 5),
        "findings": findings,
    }
    return EpisodeFacts.model_validate({**base, **changes})


def autologous_facts(**changes: Any) -> EpisodeFacts:
    """A 60-year-old with myeloma, own cells; no instrument assessed."""
    base: dict[str, Any] = {
        "episode_id": 8,
        "centre": "C1",
        "transplant_type": "autologous",
        "graft_source": "peripheral blood",
        "donor_relation": None,
        "donor_count": 0,
        "age_years": 60,
        "icd10": "C90.0",
        "day0": dt.date(2026, 2, 1),
    }
    return EpisodeFacts.model_validate({**base, **changes})
