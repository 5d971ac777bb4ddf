"""Every monitoring-definition result survives a JSON round trip (the monitoring engine stores them as evidence)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel

from engraft.grading import (
    AncReading,
    CentreViralThresholds,
    ChimerismResult,
    CountMeasurement,
    CountSeries,
    Detection,
    Population,
    Reading,
    Specimen,
    Support,
    SupportKind,
    TemperatureReading,
    ViralLoadMeasurement,
    Virus,
    assess_dnaemia,
    bilirubin_doubling,
    bilirubin_rising_three_days,
    creatinine_doubling,
    febrile_neutropenia,
    neutrophil_engraftment,
    platelet_engraftment,
    poor_graft_function_operational,
    primary_graft_failure,
    secondary_graft_failure,
    weight_gain,
)
from engraft.measurements import Quantity
from engraft.vocabulary.clinical import GraftSource
from engraft.vocabulary.events import SosVodCriteria

T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def _series(values: dict[int, float]) -> CountSeries:
    return CountSeries(measurements=tuple(CountMeasurement(day=d, value=v, unit="10*9/L") for d, v in values.items()))


def _h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _results() -> list[BaseModel]:
    anc = _series({0: 0.05, 12: 0.6, 13: 0.8, 14: 1.0, 29: 0.2, 30: 0.3, 31: 0.1})
    platelets = _series({0: 5.0, 18: 25.0, 19: 30.0, 20: 40.0, 29: 8.0, 30: 9.0, 31: 7.0})
    neutrophils, plts = neutrophil_engraftment(anc), platelet_engraftment(platelets)
    viral = [
        ViralLoadMeasurement(at=_h(0), virus=Virus.CMV, specimen=Specimen.PLASMA, detection=Detection.NOT_DETECTED),
        ViralLoadMeasurement(
            at=_h(168),
            virus=Virus.CMV,
            specimen=Specimen.PLASMA,
            detection=Detection.QUANTIFIED,
            load=Quantity(value=2500, unit="[IU]/mL"),
        ),
    ]
    thresholds = CentreViralThresholds(
        virus=Virus.CMV, specimen=Specimen.PLASMA, threshold=Quantity(value=1000, unit="[IU]/mL"), source="test"
    )
    bilirubin = [Reading(at=_h(24 * d), quantity=Quantity(value=1.0 + 0.3 * d, unit="mg/dL")) for d in range(1, 4)]
    base = Reading(at=_h(0), quantity=Quantity(value=0.8, unit="mg/dL"))
    weight = Reading(at=_h(0), quantity=Quantity(value=70, unit="kg"))
    return [
        neutrophils,
        primary_graft_failure(anc, GraftSource.CORD_BLOOD, 60),
        secondary_graft_failure(neutrophils, plts, [Support(day=25, kind=SupportKind.GROWTH_FACTOR)], 60),
        poor_graft_function_operational(anc, platelets, [], ChimerismResult(myeloid_percent=99, lymphoid_percent=98)),
        febrile_neutropenia(
            [TemperatureReading(at=_h(1), quantity=Quantity(value=101.5, unit="[degF]"))],
            [AncReading(at=_h(0), quantity=Quantity(value=300, unit="/uL"))],
        ),
        assess_dnaemia(viral, thresholds),
        creatinine_doubling(base, bilirubin),
        bilirubin_doubling(base, bilirubin),
        bilirubin_rising_three_days(base, bilirubin, Population.PAEDIATRIC),  # type: ignore[list-item]
        weight_gain(
            weight, [Reading(at=_h(48), quantity=Quantity(value=74, unit="kg"))], SosVodCriteria.EBMT_2016_ADULT
        ),
    ]


@pytest.mark.parametrize("result", [pytest.param(r, id=type(r).__name__ + f"-{i}") for i, r in enumerate(_results())])
def test_result_survives_a_json_round_trip(result: BaseModel) -> None:
    assert type(result).model_validate_json(result.model_dump_json()) == result
