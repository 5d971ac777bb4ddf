"""The patient's instruments in plain words: numbers only for checked figures, missing ones stated."""

from __future__ import annotations

from typing import Any

import pytest

from engraft.provenance import VerificationLevel
from engraft.reports.episode_facts import SHOWN_AS_NUMBERS, figure_level
from engraft.reports.instruments import figure_line, instrument_sections
from engraft.scores import sources
from engraft.scores.provenance import PublishedOutcome
from tests.reports.report_cases import allogeneic_facts, autologous_facts


def _outcome(**changes: Any) -> PublishedOutcome:
    base: dict[str, Any] = {
        "band": "0",
        "endpoint": "overall survival",
        "time_point": "5 years",
        "value": 71,
        "ci_low": 69,
        "ci_high": 73,
        "cohort": "EBMT allogeneic HSCT 1980-2005 (whole cohort)",
        "n": 56505,
        "verification": "primary-abstract",
        "source": sources.GRATWOHL_2009,
    }
    return PublishedOutcome.model_validate({**base, **changes})


def test_a_checked_survival_figure_is_a_natural_frequency_with_its_range() -> None:
    line = figure_line(_outcome())
    assert line.frequency is not None and line.frequency.count == 71 and line.frequency.range_counts == (69, 73)
    assert line.text.params == {"count": 71, "years": 5}
    assert "were alive" in line.text.msgid
    assert 56505 in list(line.source.numbers())


def test_a_checked_treatment_death_figure_says_not_by_the_disease() -> None:
    line = figure_line(_outcome(endpoint="transplant-related mortality", value=15, ci_low=14, ci_high=17))
    assert line.frequency is not None and line.frequency.count == 15
    assert "not by the disease" in line.text.msgid


@pytest.mark.parametrize(
    "outcome",
    [
        pytest.param(
            _outcome(verification=VerificationLevel.UNVERIFIED, value=63.0, ci_low=None, ci_high=None),
            id="unverified-figure",
        ),
        pytest.param(
            _outcome(verification=VerificationLevel.UNVERIFIED, value=88.0, ci_low=80.0, ci_high=90.0),
            id="unverified-with-range",
        ),
    ],
)
def test_an_unverified_figure_is_never_printed_as_a_number(outcome: PublishedOutcome) -> None:
    line = figure_line(outcome)
    assert line.level is VerificationLevel.UNVERIFIED and line.frequency is None
    shown = set(line.text.numbers()) | set(line.source.numbers())
    assert outcome.value not in shown and 88 not in shown and 63 not in shown
    assert "do not show it" in line.text.msgid


def test_a_figure_that_is_not_a_percentage_is_described_without_a_number() -> None:
    line = figure_line(
        _outcome(unit="c-statistic", value=0.661, endpoint="NRM (c-statistic)", ci_low=None, ci_high=None)
    )
    assert line.frequency is None and 0.661 not in set(line.text.numbers())


def test_a_time_point_without_years_is_not_turned_into_a_sentence_with_a_number() -> None:
    line = figure_line(_outcome(time_point="validation set", ci_low=None, ci_high=None))
    assert line.frequency is None


def test_levels_shown_as_numbers_are_exactly_the_checked_ones() -> None:
    assert frozenset(VerificationLevel) - SHOWN_AS_NUMBERS == {VerificationLevel.UNVERIFIED}
    assert figure_level(_outcome()) in SHOWN_AS_NUMBERS
    assert figure_level(_outcome(verification=VerificationLevel.UNVERIFIED)) is VerificationLevel.UNVERIFIED


def test_every_instrument_is_explained_and_the_missing_ones_are_said_to_be_missing() -> None:
    sections = {s.key: s for s in instrument_sections(allogeneic_facts())}
    assert set(sections) == {"hct-ci", "hct-ci-age", "ebmt-risk", "refined-dri", "karnofsky"}
    assert sections["hct-ci"].assessed and sections["ebmt-risk"].assessed and sections["karnofsky"].assessed
    for missing in ("hct-ci-age", "refined-dri"):
        assert not sections[missing].assessed and "not assessed" in sections[missing].yours.msgid
        assert sections[missing].figures == ()
    assert sections["ebmt-risk"].yours.params == {"value": 3}


def test_the_ebmt_score_does_not_apply_to_an_autologous_transplant() -> None:
    sections = {s.key: s for s in instrument_sections(autologous_facts())}
    assert "does not apply to you" in sections["ebmt-risk"].yours.msgid
    assert all(not s.assessed for s in sections.values())


def test_an_autologous_transplant_gets_no_figures_from_donor_transplant_studies() -> None:
    from tests.reports.report_cases import hct_ci_items, stored

    facts = autologous_facts(findings=(stored("hct-ci", hct_ci_items("diabetes")),))
    hct_ci = next(s for s in instrument_sections(facts) if s.key == "hct-ci")
    assert hct_ci.assessed and hct_ci.figures == ()
    assert hct_ci.figures_note is not None and "studies of transplants from a donor" in hct_ci.figures_note.msgid
