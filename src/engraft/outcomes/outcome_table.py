"""The per-episode outcome table the endpoint functions read (filled by a registry adapter or a test)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
StrArray = NDArray[np.str_]


@dataclass(frozen=True, slots=True, eq=False)
class OutcomeTable:
    """One row per transplant episode; string columns use ``""`` for missing, floats NaN.

    Day columns are days from the episode's day 0.
    """

    episode_id: IntArray
    patient_id: IntArray
    centre: StrArray
    sequence_number: IntArray
    transplant_type: StrArray
    donor_relation: StrArray
    graft_source: StrArray
    icd10: StrArray
    disease_status: StrArray
    recipient_cmv: StrArray
    conditioning_intensity: StrArray
    year: IntArray
    day0: NDArray[np.datetime64]
    age_years: FloatArray
    hctci: FloatArray
    performance_score: FloatArray
    last_contact_day: FloatArray
    death_day: FloatArray
    relapse_day: FloatArray
    agvhd_2_4_day: FloatArray
    agvhd_3_4_day: FloatArray
    cgvhd_day: FloatArray
    cgvhd_systemic_day: FloatArray
    neutrophil_day: FloatArray
    platelet_day: FloatArray
    next_transplant_day: FloatArray

    def __len__(self) -> int:
        return int(self.episode_id.size)

    def select(self, rows: NDArray[np.bool_] | IntArray) -> OutcomeTable:
        """The rows selected by a boolean mask or an index array."""
        return OutcomeTable(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def column(self, name: str) -> NDArray[Any]:
        """A column by name (used for grouping by a user-chosen field)."""
        if name not in {f.name for f in fields(self)}:
            raise KeyError(name)
        value: NDArray[Any] = getattr(self, name)
        return value

    def first_transplants(self) -> OutcomeTable:
        """Only first transplants (``sequence_number == 1``), the default analysis population."""
        return self.select(self.sequence_number == 1)
