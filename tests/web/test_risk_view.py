"""The risk pages' view of an instrument's result: value, band, components, outcomes, citation, verification."""

from __future__ import annotations

import pytest

from engraft.provenance import VerificationLevel
from engraft.scores.catalog import CATALOG
from engraft.web.pages.risk_view import (
    ALL_BADGES,
    LEVELS,
    VERIFIED,
    number_text,
    result_view,
    stored_result,
    verification,
)
from tests.scores.test_catalog import EXAMPLES


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_instrument_result_has_a_view(name: str) -> None:
    result = CATALOG[name].run(EXAMPLES[name])
    view = result_view(result)
    assert view.instrument == result.instrument and view.value and view.band
    assert view.citation.text == result.citation.text()
    assert len(view.components) == len(result.components)
    assert len(view.outcomes) == len(result.outcomes)
    assert [c.verification.checked for c in view.components] == [c.verified for c in result.components]
    assert [o.verification.checked for o in view.outcomes] == [o.verified for o in result.outcomes]


@pytest.mark.parametrize("name", list(CATALOG))
def test_a_stored_result_comes_back_as_the_instruments_own_type(name: str) -> None:
    result = CATALOG[name].run(EXAMPLES[name])
    again = stored_result(result.instrument, result.model_dump(mode="json"))
    assert type(again) is type(result) and again == result


def test_instrument_specific_fields_are_shown_as_details() -> None:
    view = result_view(CATALOG["ebmt-risk"].run(EXAMPLES["ebmt-risk"]))
    assert [(d.key, d.label, d.lines) for d in view.details] == [("stage", "Stage", ("early",))]
    graft = result_view(CATALOG["graft-quality"].run(EXAMPLES["graft-quality"]))
    checks = next(d for d in graft.details if d.key == "checks")
    assert checks.lines[0] == "tnc_per_kg: 4×10⁷ (≥ 3×10⁷ /kg): passed"


def test_each_figure_shows_its_level_and_the_result_says_so() -> None:
    view = result_view(CATALOG["ebmt-risk"].run(EXAMPLES["ebmt-risk"]))  # factor points: EBMT Handbook Table 11.2
    assert view.components and all(c.verification.key == "secondary" for c in view.components)
    assert not view.all_checked
    dri = result_view(CATALOG["refined-dri"].run(EXAMPLES["refined-dri"]))  # rule table unverified
    assert dri.components and all(c.verification.key == "unverified" for c in dri.components)
    graft = result_view(CATALOG["graft-quality"].run(EXAMPLES["graft-quality"]))
    assert {c.verification.key for c in graft.components} <= {"primary", "primary-abstract", "secondary"}


def test_citation_links_doi_and_pubmed() -> None:
    view = result_view(CATALOG["hct-ci"].run(EXAMPLES["hct-ci"]))
    assert ("doi:10.1182/blood-2005-05-2004", "https://doi.org/10.1182/blood-2005-05-2004") in view.citation.links
    assert ("PMID 15994282", "https://pubmed.ncbi.nlm.nih.gov/15994282/") in view.citation.links


@pytest.mark.parametrize(
    ("flag", "key"),
    [
        pytest.param(True, "verified", id="instrument-verified"),
        pytest.param(False, "unverified", id="instrument-unverified"),
        pytest.param(VerificationLevel.PRIMARY, "primary", id="primary"),
        pytest.param(VerificationLevel.PRIMARY_ABSTRACT, "primary-abstract", id="primary-abstract"),
        pytest.param(VerificationLevel.SECONDARY, "secondary", id="secondary"),
        pytest.param(VerificationLevel.UNVERIFIED, "unverified", id="unverified"),
    ],
)
def test_verification_badges(flag: bool | VerificationLevel, key: str) -> None:
    assert verification(flag).key == key


def test_each_level_has_its_own_badge() -> None:
    assert set(LEVELS) == set(VerificationLevel)
    assert len({b.key for b in ALL_BADGES}) == len({b.label for b in ALL_BADGES}) == len(ALL_BADGES) == 5
    assert [b.checked for b in ALL_BADGES] == [True, True, False, False, True]
    assert VERIFIED.checked


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(2.0, "2", id="whole"),
        pytest.param(2.5, "2.5", id="decimal"),
        pytest.param(99999.0, "99999", id="below-powers"),
        pytest.param(1e5, "1×10⁵", id="at-powers"),
        pytest.param(1.5e5, "1.5×10⁵", id="mantissa"),
        pytest.param(3e7, "3×10⁷", id="cord-tnc"),
        pytest.param(0.0, "0", id="zero"),
    ],
)
def test_number_text(value: float, text: str) -> None:
    assert number_text(value) == text


def test_a_secondary_figure_shows_both_its_study_and_the_handbook_table() -> None:
    view = result_view(CATALOG["ebmt-risk"].run(EXAMPLES["ebmt-risk"]))
    handbook = [o for o in view.outcomes if o.verification.key == "secondary"]
    assert handbook and {o.source for o in handbook} == {
        "Gratwohl A et al. 2009 · Barba P et al. 2024, Table 11.4",
        "Gratwohl A et al. 2009 · Barba P et al. 2024, Table 11.3",
    }
