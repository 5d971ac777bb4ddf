"""Every published figure and rule carries a verification level; a secondary one cites the text it was read in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from engraft.provenance import VerificationLevel, weakest
from engraft.scores import sources
from engraft.scores.catalog import CATALOG
from engraft.scores.ebmt import EbmtRiskResult
from engraft.scores.provenance import Component, PublishedOutcome, ScoreResult

from .test_catalog import EXAMPLES


def _component(level: VerificationLevel, **extra: Any) -> dict[str, Any]:
    return {"item": "x", "input": "x=1", "points": 1, "rule": "rule", "verification": level, **extra}


def _outcome(level: VerificationLevel, **extra: Any) -> dict[str, Any]:
    return {
        "band": "0",
        "endpoint": "overall survival",
        "time_point": "5 years",
        "value": 70,
        "cohort": "c",
        "verification": level,
        "source": sources.GRATWOHL_2009,
        **extra,
    }


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_component_and_outcome_of_every_instrument_has_a_level(name: str) -> None:
    result = CATALOG[name].run(EXAMPLES[name])
    dumped = json.loads(result.model_dump_json())
    for part in (*dumped["components"], *dumped["outcomes"]):
        assert part["verification"] in {level.value for level in VerificationLevel}
        if part["verification"] == "secondary":
            assert part["reproduced_in"], part
    assert dumped["verification"] == weakest(c.verification for c in result.components).value or not result.components


@pytest.mark.parametrize(
    ("levels", "weakest_level"),
    [
        pytest.param(["primary", "primary-abstract"], "primary-abstract", id="abstract-weaker-than-full-text"),
        pytest.param(["primary", "secondary", "primary-abstract"], "secondary", id="secondary-weaker-than-abstract"),
        pytest.param(["secondary", "unverified"], "unverified", id="unverified-weakest"),
        pytest.param([], "unverified", id="nothing-checked-is-unverified"),
    ],
)
def test_weakest_level(levels: list[str], weakest_level: str) -> None:
    assert weakest(VerificationLevel(level) for level in levels) is VerificationLevel(weakest_level)


@pytest.mark.parametrize("model", [Component, PublishedOutcome])
def test_secondary_without_the_text_it_was_read_in_is_refused(model: type[Component | PublishedOutcome]) -> None:
    payload = _component if model is Component else _outcome
    with pytest.raises(ValidationError, match="reproduced_in"):
        model.model_validate(payload(VerificationLevel.SECONDARY))
    model.model_validate(payload(VerificationLevel.SECONDARY, reproduced_in=[sources.HB11_TABLE_11_4]))


def test_result_level_is_the_weakest_component_and_cannot_claim_more() -> None:
    base = {"instrument": "i", "version": "v", "value": 1, "band": "1", "citation": sources.GRATWOHL_2009}
    components = [_component(VerificationLevel.PRIMARY), _component(VerificationLevel.PRIMARY_ABSTRACT)]
    assert ScoreResult.model_validate({**base, "components": components}).verification is (
        VerificationLevel.PRIMARY_ABSTRACT
    )
    with pytest.raises(ValidationError, match="weakest component level"):
        ScoreResult.model_validate({**base, "components": components, "verification": "primary"})


def test_a_result_stored_with_the_old_verified_flag_reads_as_unverified() -> None:
    # Before the levels, results were stored with ``verified: true/false``; true also covered reproductions that
    # were not cited, so neither value can claim more than unverified.
    stored = json.loads(CATALOG["ebmt-risk"].run(EXAMPLES["ebmt-risk"]).model_dump_json())
    stored.pop("verification")
    for part in (*stored["components"], *stored["outcomes"]):
        level = part.pop("verification")
        part.pop("reproduced_in")
        part["verified"] = level in ("primary", "primary-abstract")
    assert any(part["verified"] for part in stored["outcomes"])
    read = EbmtRiskResult.model_validate(stored)
    assert {c.verification for c in (*read.components, *read.outcomes)} == {VerificationLevel.UNVERIFIED}
    assert read.verification is VerificationLevel.UNVERIFIED and read.value == 3


def test_a_stored_graft_quality_result_with_old_threshold_flags_reads() -> None:
    result = CATALOG["graft-quality"].run(EXAMPLES["graft-quality"])
    stored = json.loads(result.model_dump_json())
    stored.pop("verification")
    for part in stored["components"]:
        part.pop("verification"), part.pop("reproduced_in")
        part["verified"] = True
    for check in stored["checks"]:
        check["threshold"].pop("verification"), check["threshold"].pop("reproduced_in")
        check["threshold"]["verified"] = True
    read = type(result).model_validate(stored)
    assert read.verification is VerificationLevel.UNVERIFIED and read.value == result.value
