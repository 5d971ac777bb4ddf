"""An acute GVHD staging moment without any body weight on file: the lower GI stage cannot be read from the stool
output (its thresholds depend on the weight), so the organ is not assessed and nothing is raised; before, the
evaluation of the whole episode failed. Grossly bloody stool is stage 4 whatever the weight."""

from __future__ import annotations

import datetime as dt

import pytest

from engraft.monitoring import MonitoredObservation, evaluate, load_rule_set
from tests.monitoring.series_builder import AS_OF_END, at, context


def _findings(bloody: bool) -> list[MonitoredObservation]:
    t = at(10)
    rows = [
        ("ENGRAFT-RASH-BSA", 30.0, "%"),
        ("1975-2", 1.0, "mg/dL"),
        ("ENGRAFT-UGI", 0.0, "1"),
        *([("ENGRAFT-BLOODYST", 1.0, "1")] if bloody else []),
        ("ENGRAFT-STOOL-D", 600.0, "mL/d"),  # the staging moment: every finding before it is read
    ]
    return [
        MonitoredObservation(id=n, observed_at=t + dt.timedelta(minutes=n), loinc=code, value=value, unit=unit)
        for n, (code, value, unit) in enumerate(rows, start=1)
    ]


@pytest.mark.parametrize(
    ("bloody", "grade_found"),
    [pytest.param(False, False, id="stool-volume-without-weight-not-assessed"), pytest.param(True, True, id="bloody")],
)
def test_no_body_weight_on_file(bloody: bool, grade_found: bool) -> None:
    found = evaluate(load_rule_set(), context(), _findings(bloody), AS_OF_END).detections
    assert any(d.rule_id == "acute-gvhd-grade" for d in found) is grade_found
