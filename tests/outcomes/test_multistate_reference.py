"""Multi-state estimators pinned to R mstate 0.3.3 on the EBMT ``ebmt4`` data (6-state model).

Figures: ../shared/reference/mstate-ebmt4.md (R 4.2.2, survival 3.5-3, mstate 0.3.3; the R calls are
listed there). Each printed figure is reproduced to half a unit of its last printed digit. Skipped, with
the reason, where ../shared is absent; required under CI.
"""

from __future__ import annotations

import numpy as np
import pytest

from engraft.outcomes.multistate_data import from_long
from engraft.outcomes.multistate_hazards import nelson_aalen
from engraft.outcomes.multistate_probabilities import aalen_johansen
from engraft.outcomes.multistate_transitions import ebmt_recovery_adverse_event
from tests.outcomes._mstate_reference import (
    Printed,
    ebmt4_long,
    pstate_caption,
    require_shared,
    se_caption,
    single_line,
    table,
)

METHODS = [
    pytest.param(h, m, id=f"msfit-{h}-probtrans-{m}") for h in ("aalen", "greenwood") for m in ("aalen", "greenwood")
]


@pytest.fixture(autouse=True)
def _shared() -> None:
    require_shared()


def _close(got: float, printed: str, what: str) -> None:
    ref = Printed(printed)
    assert abs(got - ref.value) <= ref.tolerance, f"{what}: got {got!r}, R printed {printed}"


def test_transition_numbering_is_tmat4() -> None:
    tm = ebmt_recovery_adverse_event()
    got = [(t.number, t.from_state, t.to_state, t.from_name, t.to_name) for t in tm.transitions]
    ref = [(int(r["trans"]), int(r["from"]), int(r["to"]), r["fromname"], r["toname"]) for r in table("3. ebmt4")]
    assert got == ref


def test_msprep_rows_and_event_frequencies() -> None:
    data = ebmt4_long()
    assert data.n_subjects == int(single_line(r"n = (\d+) patients"))
    assert data.n_rows == int(single_line(r"msebmt has (\d+) rows"))
    counts = data.events()
    names = list(counts.states)
    for k, row in enumerate(table("3a")):
        assert row["from"] == names[k]
        assert [int(row[name]) for name in names] == counts.frequencies[k].tolist()
        assert int(row["no event"]) == counts.no_event[k]
        assert int(row["total entering"]) == counts.entering[k]


def test_rows_events_and_event_times_per_transition() -> None:
    data = ebmt4_long()
    for row in table("3a", 1):
        k = int(row["trans"])
        rows = data.trans == k
        made = rows & (data.status == 1)
        assert (int(made.sum()), int(rows.sum()), np.unique(data.tstop[made]).size) == (
            int(row["events"]),
            int(row["rows"]),
            int(row["distinct_event_times"]),
        ), f"transition {k}"


def test_long_data_read_back_gives_the_same_hazards() -> None:
    data = ebmt4_long()
    again = from_long(
        data.transitions, data.ids[data.subject], data.from_state, data.to_state, data.tstart, data.tstop, data.status
    )
    assert again.events().frequencies.tolist() == data.events().frequencies.tolist()
    assert np.array_equal(nelson_aalen(again).cumulative, nelson_aalen(data).cumulative)


def test_grid_and_last_event_time() -> None:
    hazards = nelson_aalen(ebmt4_long())
    assert hazards.times.size == int(single_line(r"Distinct grid times in msf04\$Haz: (\d+)"))
    assert aalen_johansen(hazards).times.size == int(single_line(r"rows in pt04\[\[1\]\]: (\d+)"))
    made = ebmt4_long().status == 1
    _close(float(ebmt4_long().tstop[made].max()), single_line(r"Last event time = ([\d.]+) y"), "last event")
    _close(float(hazards.times[-1]), single_line(r"largest Tstop = ([\d.]+) y"), "largest Tstop")


def test_cumulative_hazards_and_both_standard_errors() -> None:
    hazards = nelson_aalen(ebmt4_long())
    rows = table("3b")
    assert len(rows) == 48
    for row in rows:
        k, t = int(row["trans"]) - 1, float(row["t"])
        haz, se_a = hazards.at([t], "aalen")
        _, se_g = hazards.at([t], "greenwood")
        what = f"trans {k + 1} at {t}"
        _close(float(haz[0, k]), row["Haz"], f"Haz {what}")
        _close(float(se_a[0, k]), row["seHaz_aalen"], f"seHaz aalen {what}")
        _close(float(se_g[0, k]), row["seHaz_greenwood"], f"seHaz greenwood {what}")


@pytest.mark.parametrize("state", [pytest.param(1, id="from-Tx"), pytest.param(2, id="from-Rec")])
def test_state_occupation_probabilities(state: int) -> None:
    occupation = aalen_johansen(nelson_aalen(ebmt4_long())).from_state(state)
    rows = table(pstate_caption(state))
    probs, _ = occupation.at([float(r["t"]) for r in rows])
    for i, row in enumerate(rows):
        for j in range(6):
            _close(float(probs[i, j]), row[f"pstate{j + 1}"], f"pstate{j + 1} from {state} at {row['t']}")


@pytest.mark.parametrize("state", [pytest.param(1, id="from-Tx"), pytest.param(2, id="from-Rec")])
@pytest.mark.parametrize(("hazard_variance", "method"), METHODS)
def test_state_occupation_standard_errors(state: int, hazard_variance: str, method: str) -> None:
    hazards = nelson_aalen(ebmt4_long())
    occupation = aalen_johansen(hazards, hazard_variance=hazard_variance, method=method).from_state(state)
    rows = table(se_caption(state, hazard_variance, method))
    _, se = occupation.at([float(r["t"]) for r in rows])
    for i, row in enumerate(rows):
        for j in range(6):
            _close(float(se[i, j]), row[f"se{j + 1}"], f"se{j + 1} from {state} at {row['t']}")
