"""Phrases: the core's English sentences with slots, written exactly as before and read back."""

from __future__ import annotations

import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.outcomes.plots import NUMBER_AT_RISK, TIME_AXIS
from engraft.scores.conditioning import MAC_TBI_RULE, RIC_DOSE_RULE, RIC_IV_BUSULFAN_RULE, TBI_DOSE
from engraft.scores.donor_eligibility import OUTSIDE_WINDOW
from engraft.scores.graft_quality import THRESHOLD_RULE, THRESHOLD_RULE_SCOPED
from engraft.scores.hctci import SUPERSEDED, WEIGHTED_RULE
from engraft.vocabulary.phrases import Message, Phrase, phrases_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            MAC_TBI_RULE(limit=800, fractionation="fractionated"),
            "MAC if >= 800 cGy (fractionated); NMA only if <= 200 cGy",
            id="conditioning-mac-tbi",
        ),
        pytest.param(TBI_DOSE(dose="1200", fractions=6), "TBI 1200 cGy in 6 fraction(s)", id="tbi-dose"),
        pytest.param(
            RIC_IV_BUSULFAN_RULE(rule=RIC_DOSE_RULE(limit="9", unit="mg/kg"), oral="16"),
            "RIC if < 9 mg/kg; IV dose compared as oral equivalent 16 mg/kg (assumption: IV = 0.8 x oral)",
            id="conditioning-iv-busulfan",
        ),
        pytest.param(
            OUTSIDE_WINDOW(marker="HBsAg", day="-59", low="-30", high="+7"),
            "HBsAg: specimen day -59 is outside the allowed window -30 to +7 days",
            id="donor-window",
        ),
        pytest.param(
            THRESHOLD_RULE(op=">=", minimum="2e+06", unit="/kg", source="Dehn J et al. 2019", verdict="met"),
            ">= 2e+06 /kg (Dehn J et al. 2019): met",
            id="graft-threshold",
        ),
        pytest.param(
            SUPERSEDED(rule=WEIGHTED_RULE(definition="Requiring treatment", weight=1, finding="not present"), item="x"),
            "Requiring treatment [weight 1]: not present; superseded by x (mutually exclusive, higher scores)",
            id="hctci-superseded",
        ),
        pytest.param(NUMBER_AT_RISK(unit="months"), "Number at risk (time in months)", id="figure-at-risk"),
        pytest.param(TIME_AXIS(unit="days"), "Time (days)", id="figure-time-axis"),
    ],
)
def test_a_phrase_writes_the_english_the_core_always_wrote(text: str, expected: str) -> None:
    assert text == expected


def test_a_message_keeps_its_parameters_and_renders_another_template() -> None:
    message = TBI_DOSE.message(dose="400", fractions=2)
    assert message.text == "TBI 400 cGy in 2 fraction(s)"
    assert dict(message.params) == {"dose": "400", "fractions": 2}
    assert message.render("全身照射 {dose} cGy，分 {fractions} 次", str) == "全身照射 400 cGy，分 2 次"
    assert message.render("{fractions}/{dose}", lambda v: f"<{v}>") == "<2>/<400>"


def test_parse_reads_back_what_the_phrase_wrote() -> None:
    text = MAC_TBI_RULE(limit=500, fractionation="single fraction")
    parsed = MAC_TBI_RULE.parse(text)
    assert parsed == Message(MAC_TBI_RULE, (("limit", "500"), ("fractionation", "single fraction")))
    assert MAC_TBI_RULE.parse("MAC if >= 500 cGy") is None
    assert TIME_AXIS.parse("Time (days) and more") is None


def test_literal_braces_are_escaped_in_the_pattern() -> None:
    phrase = Phrase("{{literal}} {value} (x+1)")
    assert phrase.slots == ("value",)
    assert phrase(value="3") == "{literal} 3 (x+1)"
    parsed = phrase.parse("{literal} 3 (x+1)")
    assert parsed is not None and dict(parsed.params) == {"value": "3"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param("{value:.2f} mg", "not a plain name", id="format-spec"),
        pytest.param("{value!r} mg", "not a plain name", id="conversion"),
        pytest.param("{} mg", "not a plain name", id="positional"),
        pytest.param("{a} and {a}", "appears twice", id="repeated-slot"),
    ],
)
def test_a_template_with_anything_but_plain_slots_is_refused(template: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        Phrase(template)


@pytest.mark.parametrize(
    "params",
    [pytest.param({"dose": "1"}, id="missing"), pytest.param({"dose": "1", "fractions": 1, "x": 2}, id="extra")],
)
def test_a_message_needs_exactly_its_slots(params: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"expected exactly \['dose', 'fractions'\]"):
        TBI_DOSE.message(**params)  # type: ignore[arg-type]


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


@given(unit=_TEXT.filter(lambda s: ")" not in s))
def test_any_value_round_trips_through_a_one_slot_phrase(unit: str) -> None:
    parsed = TIME_AXIS.parse(TIME_AXIS(unit=unit))
    assert parsed is not None and dict(parsed.params) == {"unit": unit}


@given(op=st.sampled_from([">", ">="]), minimum=st.floats(0.001, 1e9), verdict=st.sampled_from(["met", "NOT met"]))
def test_threshold_rules_round_trip(op: str, minimum: float, verdict: str) -> None:
    for phrase, extra in ((THRESHOLD_RULE, {}), (THRESHOLD_RULE_SCOPED, {"scope": "per kg"})):
        params = {
            "op": op,
            "minimum": f"{minimum:.3g}",
            "unit": "/kg",
            "source": "Dehn J et al. 2019",
            "verdict": verdict,
        }
        params.update(extra)
        parsed = phrase.parse(phrase(**params))
        assert parsed is not None and dict(parsed.params) == params


def test_phrases_of_finds_module_constants_and_those_in_containers() -> None:
    one, two, three = Phrase("one {a}"), Phrase("two {b}"), Phrase("three {c}")
    module = types.ModuleType("m")
    module.ONE = one  # type: ignore[attr-defined]
    module.TABLE = {"x": (two, [three])}  # type: ignore[attr-defined]
    module.TEXT = "not a phrase"  # type: ignore[attr-defined]
    assert phrases_of([module]) == {"one {a}": one, "two {b}": two, "three {c}": three}
