"""The patient's own risk instruments in plain words, each with its published outcomes.

For each instrument the report explains what it measures, the patient's value, and what the study behind
it found for people in the same group, as "of 100 people like you, about N ..." with the percentage, the
study's range, cohort, time point, citation and verification level. A figure is printed as a number only
when its level is in :data:`~engraft.reports.episode_facts.SHOWN_AS_NUMBERS`; an unverified figure is
described without its number. An instrument not assessed for this episode is said to be missing.
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import Field

from engraft.provenance import Citation, FrozenModel, VerificationLevel
from engraft.reports.episode_facts import SHOWN_AS_NUMBERS, EpisodeFacts, InstrumentFinding, figure_level
from engraft.reports.frequencies import Frequency
from engraft.reports.messages import N_, Message, Verbatim, msg, verbatim
from engraft.reports.wording import LEVEL_NAMES, is_neoplasm
from engraft.scores.ebmt import disease_for_icd10
from engraft.scores.provenance import PublishedOutcome
from engraft.vocabulary import TransplantType


class FigureLine(FrozenModel):
    """One published figure as the patient reads it."""

    text: Message
    frequency: Frequency | None
    source: Message
    citation: Citation
    reproduced_in: tuple[Citation, ...] = ()
    level: VerificationLevel


class InstrumentSection(FrozenModel):
    """One instrument: what it measures, the patient's value (or that it is missing), its published figures."""

    key: str
    title: Message
    what_it_is: Message
    yours: Message
    rule_note: Message | None = Field(default=None, description="said when the result's rule is unverified")
    assessed: bool
    figures: tuple[FigureLine, ...] = ()
    figures_note: Message | None = None
    citation: Citation | None = None
    version: str | None = None


class _Instrument(FrozenModel):
    names: tuple[str, ...]
    title: str
    what_it_is: str
    what_it_is_params: tuple[tuple[str, int], ...] = ()
    allogeneic_only: bool = False
    value_is_entered: bool = False
    """The value is what the team recorded (a performance score), not worked out by a rule."""


_INSTRUMENTS: Final = (
    _Instrument(
        names=("hct-ci",),
        title=N_("Other health problems (HCT-CI)"),
        what_it_is=N_(
            "This score counts other health problems, such as heart, lung, liver or kidney problems. "
            "More points mean a higher chance of serious problems from the transplant."
        ),
    ),
    _Instrument(
        names=("hct-ci-age",),
        title=N_("Other health problems and age (HCT-CI/age)"),
        what_it_is=N_("This is the same count of health problems, with one more point for people aged {age} or older."),
        what_it_is_params=(("age", 40),),
    ),
    _Instrument(
        names=("ebmt-risk",),
        title=N_("EBMT risk score"),
        what_it_is=N_(
            "This score adds up five things: your age, how far the disease has gone, the time from diagnosis to "
            "transplant, the type of donor, and whether a woman donor gives cells to a man. A higher score means "
            "a higher risk."
        ),
        allogeneic_only=True,
    ),
    _Instrument(
        names=("refined-dri",),
        title=N_("Disease risk (refined DRI)"),
        what_it_is=N_(
            "This index sorts blood cancers by how likely they are to come back after a transplant. It uses the "
            "type of disease and how well it has responded to treatment so far."
        ),
    ),
    _Instrument(
        names=("karnofsky", "lansky"),
        title=N_("How well you manage daily life (performance status)"),
        what_it_is=N_(
            "This scale shows how well you can do your daily tasks, or play for a child. A higher number means "
            "you can do more on your own. People who are more active before a transplant often cope better."
        ),
        value_is_entered=True,
    ),
)

_ENDPOINT_SURVIVAL: Final = frozenset({"overall survival"})
_ENDPOINT_TREATMENT_DEATH: Final = frozenset({"non-relapse mortality", "transplant-related mortality"})
_YEARS = re.compile(r"^(\d+) years?$")
_ENDPOINT_NAMES: Final = {
    "overall survival": N_("survival"),
    "non-relapse mortality": N_("death from the treatment"),
    "transplant-related mortality": N_("death from the treatment"),
}
"""Plain names of the published endpoints; another endpoint is shown as its source names it."""


def _frequency(outcome: PublishedOutcome) -> Frequency:
    if outcome.ci_low is not None and outcome.ci_high is not None:
        return Frequency(percent=outcome.value, low=outcome.ci_low, high=outcome.ci_high)
    return Frequency(percent=outcome.value)


def _outcome_sentence(outcome: PublishedOutcome, frequency: Frequency) -> Message | None:
    """The natural-frequency sentence, or None when the endpoint or time point has no plain wording."""
    years = _YEARS.match(outcome.time_point)
    if years is None:
        return None
    count, span = frequency.count, int(years.group(1))
    if outcome.endpoint in _ENDPOINT_SURVIVAL:
        return msg(
            N_(
                "Of 100 people in this group in the study, about {count} were alive {years} years after the transplant."
            ),
            count=count,
            years=span,
        )
    if outcome.endpoint in _ENDPOINT_TREATMENT_DEATH:
        return msg(
            N_(
                "Of 100 people in this group in the study, about {count} had died within {years} years of a problem "
                "caused by the treatment, not by the disease."
            ),
            count=count,
            years=span,
        )
    return None


def _time_point(outcome: PublishedOutcome) -> Message | Verbatim:
    years = _YEARS.match(outcome.time_point)
    return msg(N_("{years} years"), years=int(years.group(1))) if years else verbatim(outcome.time_point)


def _source(outcome: PublishedOutcome, level: VerificationLevel) -> Message:
    checked = msg(LEVEL_NAMES[level])
    if outcome.n is not None:
        return msg(
            N_("Study: {cohort}, {n} people; time point: {time_point}. Checked: {checked}."),
            cohort=verbatim(outcome.cohort),
            n=outcome.n,
            time_point=_time_point(outcome),
            checked=checked,
        )
    return msg(
        N_("Study: {cohort}; time point: {time_point}. Checked: {checked}."),
        cohort=verbatim(outcome.cohort),
        time_point=_time_point(outcome),
        checked=checked,
    )


def figure_line(outcome: PublishedOutcome) -> FigureLine:
    """One published figure: a number only when checked, and only as a share of people out of 100."""
    level = figure_level(outcome)
    source = _source(outcome, level)
    endpoint: Message | Verbatim = (
        msg(_ENDPOINT_NAMES[outcome.endpoint]) if outcome.endpoint in _ENDPOINT_NAMES else verbatim(outcome.endpoint)
    )
    if level not in SHOWN_AS_NUMBERS:
        text = msg(
            N_(
                "The study also gave a figure for {endpoint} in this group. We have not yet checked it against the "
                "study itself, so we do not show it."
            ),
            endpoint=endpoint,
        )
        return FigureLine(
            text=text,
            frequency=None,
            source=source,
            citation=outcome.source,
            reproduced_in=outcome.reproduced_in,
            level=level,
        )
    if outcome.unit == "%":
        frequency = _frequency(outcome)
        sentence = _outcome_sentence(outcome, frequency)
        if sentence is not None:
            return FigureLine(
                text=sentence,
                frequency=frequency,
                source=source,
                citation=outcome.source,
                reproduced_in=outcome.reproduced_in,
                level=level,
            )
    text = msg(
        N_("The study also measured how well this score predicts {endpoint}. That is not a risk for one person."),
        endpoint=endpoint,
    )
    return FigureLine(
        text=text,
        frequency=None,
        source=source,
        citation=outcome.source,
        reproduced_in=outcome.reproduced_in,
        level=level,
    )


FROM_DONOR_STUDIES: Final = N_(
    "The published figures for this score come from studies of transplants from a donor. They may not apply to a "
    "transplant with your own cells, so we do not show them. Ask your doctor what your score means for you."
)
"""Said instead of the figures for an autologous transplant: the instruments' outcome cohorts are allogeneic."""


RISK_GROUP_NAMES: Final[dict[str, str]] = {
    "low": N_("low"),
    "intermediate": N_("intermediate"),
    "high": N_("high"),
    "very high": N_("very high"),
    "high/very high": N_("high or very high"),
}
"""The refined DRI's risk groups in plain, translated words; another text value is shown as it is stored."""


def _yours(finding: InstrumentFinding) -> Message:
    value = finding.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return msg(N_("Your result: {value}."), value=value)
    group = RISK_GROUP_NAMES.get(str(value))
    return msg(N_("Your result: {value}."), value=msg(group) if group is not None else verbatim(str(value)))


RULE_NOT_CHECKED: Final = N_(
    "Parts of how this result is worked out have not yet been checked against the study that made the score. "
    "Take it as a rough guide and ask your doctor what it means for you."
)
"""Said beside a result whose rule is ``unverified`` (the value is shown, its rule is not vouched for)."""

NOT_A_NEOPLASM: Final = N_("This index is for cancers of the blood, so it does not apply to your disease.")
NOT_AN_EBMT_DISEASE: Final = N_(
    "This score was made for a list of blood diseases that does not include yours, so it does not apply to you."
)


def _not_for_disease(instrument: str, icd10: str | None) -> str | None:
    """Why ``instrument`` does not apply to this diagnosis, or None when it may apply (or the diagnosis is unknown)."""
    if not icd10:
        return None
    if instrument == "refined-dri" and not is_neoplasm(icd10):
        return NOT_A_NEOPLASM
    if instrument == "ebmt-risk" and disease_for_icd10(icd10) is None:
        return NOT_AN_EBMT_DISEASE
    return None


def instrument_sections(facts: EpisodeFacts) -> tuple[InstrumentSection, ...]:
    """Every instrument of the explanation for this episode, assessed or stated as missing."""
    sections = []
    for instrument in _INSTRUMENTS:
        key = instrument.names[0]
        title, what = msg(instrument.title), msg(instrument.what_it_is, **dict(instrument.what_it_is_params))
        if instrument.allogeneic_only and facts.transplant_type is TransplantType.AUTOLOGOUS:
            yours = msg(N_("This score is used for transplants from a donor, so it does not apply to you."))
            sections.append(InstrumentSection(key=key, title=title, what_it_is=what, yours=yours, assessed=False))
            continue
        finding = facts.finding(*instrument.names)
        not_for_disease = _not_for_disease(key, facts.icd10)
        if finding is None and not_for_disease is not None:
            sections.append(
                InstrumentSection(key=key, title=title, what_it_is=what, yours=msg(not_for_disease), assessed=False)
            )
            continue
        if finding is None:
            yours = msg(
                N_("This was not assessed for you yet, so we cannot say what it shows. Ask your doctor about it.")
            )
            sections.append(InstrumentSection(key=key, title=title, what_it_is=what, yours=yours, assessed=False))
            continue
        own_cells = facts.transplant_type is TransplantType.AUTOLOGOUS and bool(finding.outcomes)
        sections.append(
            InstrumentSection(
                key=finding.instrument,
                title=title,
                what_it_is=what,
                yours=_yours(finding),
                rule_note=(
                    msg(RULE_NOT_CHECKED)
                    if finding.verification is VerificationLevel.UNVERIFIED and not instrument.value_is_entered
                    else None
                ),
                assessed=True,
                figures=() if own_cells else tuple(figure_line(o) for o in finding.outcomes),
                figures_note=msg(FROM_DONOR_STUDIES) if own_cells else None,
                citation=finding.citation,
                version=finding.version,
            )
        )
    return tuple(sections)
