"""The centre's results for similar patients: shown only with enough peers, equal to the estimators' values."""

from __future__ import annotations

import numpy as np
import pytest

from engraft.outcomes.cumulative_incidence import cumulative_incidence
from engraft.outcomes.kaplan_meier import kaplan_meier
from engraft.outcomes.registry_endpoints import derive_endpoint
from engraft.reports.centre_results import AgeBand, age_band, centre_results, similar_patients
from tests.reports.report_cases import allogeneic_facts, outcome_table


def _peers(n: int, **changes: object) -> list[dict[str, object]]:
    """``n`` similar patients: every fifth died (day 100 + i), every seventh relapsed (day 200 + i)."""
    rows = []
    for i in range(n):
        row: dict[str, object] = {"age_years": 45.0 + (i % 10), "last_contact_day": 500.0 + 10 * i}
        if i % 5 == 0:
            row["death_day"] = 100.0 + i
            row["last_contact_day"] = 100.0 + i
        if i % 7 == 3:
            row["relapse_day"] = 200.0 + i
        rows.append({**row, **changes})
    return rows


@pytest.mark.parametrize(
    ("age", "band"),
    [
        pytest.param(17.99, AgeBand.CHILD, id="just-below-18"),
        pytest.param(18.0, AgeBand.YOUNG_ADULT, id="at-18"),
        pytest.param(39.99, AgeBand.YOUNG_ADULT, id="just-below-40"),
        pytest.param(40.0, AgeBand.ADULT, id="at-40"),
        pytest.param(59.99, AgeBand.ADULT, id="just-below-60"),
        pytest.param(60.0, AgeBand.OLDER_ADULT, id="at-60"),
        pytest.param(0.0, AgeBand.CHILD, id="newborn"),
    ],
)
def test_age_bands(age: float, band: AgeBand) -> None:
    assert age_band(age) is band


@pytest.mark.parametrize(
    ("n", "shown"),
    [pytest.param(29, False, id="one-below"), pytest.param(30, True, id="at"), pytest.param(31, True, id="one-above")],
)
def test_the_centre_figure_needs_at_least_min_peers(n: int, shown: bool) -> None:
    results = centre_results(outcome_table(_peers(n)), allogeneic_facts(), min_peers=30)
    assert results.shown is shown and results.peers == n
    if not shown:
        assert results.figures == () and "Too few to show" in results.statement.msgid
        assert {29, 30} <= set(results.statement.numbers())


def test_other_patients_are_not_peers() -> None:
    others = [
        {"centre": "C2"},
        {"transplant_type": "autologous", "donor_relation": "autologous"},
        {"donor_relation": "matched sibling"},
        {"icd10": "C91.0"},
        {"age_years": 60.0},
        {"age_years": 39.9},
        {"sequence_number": 2},
    ]
    table = outcome_table(_peers(30) + others)
    peers = similar_patients(table, centre_results(table, allogeneic_facts()).criteria, episode_id=7)  # type: ignore[arg-type]
    assert len(peers) == 30


def test_the_episode_itself_is_not_its_own_peer() -> None:
    table = outcome_table(_peers(30))
    facts = allogeneic_facts(episode_id=int(table.episode_id[0]))
    assert centre_results(table, facts, min_peers=30).peers == 29


def test_the_figures_are_the_estimators_values_at_one_year() -> None:
    table = outcome_table(_peers(40))
    results = centre_results(table, allogeneic_facts(), min_peers=30)
    figures = {f.endpoint: f.frequency for f in results.figures}
    os_ = derive_endpoint(table, "os")
    km = kaplan_meier(os_.time, os_.status).survival_at([365.0])
    assert figures["os"] is not None
    assert figures["os"].percent == round(100 * float(km.survival[0]), 1)
    assert (figures["os"].low, figures["os"].high) == (
        round(100 * float(km.lower[0]), 1),
        round(100 * float(km.upper[0]), 1),
    )
    for endpoint in ("nrm", "relapse"):
        derived = derive_endpoint(table, endpoint)
        cif = cumulative_incidence(derived.time, derived.status).at([365.0], cause=1).incidence
        frequency = figures[endpoint]
        assert frequency is not None and frequency.percent == round(100 * float(cif[0]), 1)
    assert results.figures[0].text.params["count"] == figures["os"].count


def test_without_follow_up_to_one_year_the_figure_is_not_given() -> None:
    table = outcome_table(_peers(30, last_contact_day=200.0, death_day=np.nan, relapse_day=np.nan))
    results = centre_results(table, allogeneic_facts(), min_peers=30)
    assert results.shown and all(f.frequency is None for f in results.figures)
    assert all("followed that long" in f.text.msgid for f in results.figures)


def test_missing_facts_mean_no_peers_and_say_so() -> None:
    results = centre_results(outcome_table(_peers(40)), allogeneic_facts(icd10=None), min_peers=30)
    assert not results.shown and results.criteria is None and "not recorded" in results.statement.msgid


def test_min_peers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="expected 1 or more"):
        centre_results(outcome_table([]), allogeneic_facts(), min_peers=0)
