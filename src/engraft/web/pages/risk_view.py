"""What the risk pages show of an instrument's result: value, band, components, published outcomes, citation.

:func:`result_view` turns any :class:`~engraft.scores.ScoreResult` (an instrument's own result type included)
into plain view models the templates lay out. Every component and outcome carries a :class:`Verification`:
how far the figure was checked against its source. Instruments, grading rules and units all carry a
:class:`~engraft.provenance.VerificationLevel`; each level has its own badge, so an unverified figure never
looks like a checked one (the older yes/no "verified" badge remains for callers that pass a flag).
The clinical texts (bands, rules, cohorts, notes) come from the instruments in English, with their sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from pydantic import BaseModel

from engraft.api.routes_scores import result_type
from engraft.provenance import Citation, VerificationLevel
from engraft.scores.catalog import CATALOG
from engraft.scores.graft_quality import ThresholdCheck
from engraft.scores.provenance import Component, PublishedOutcome, ScoreResult
from engraft.vocabulary.phrases import Phrase
from engraft.web.forms.labels import field_label
from engraft.web.i18n import N_


@dataclass(frozen=True, slots=True)
class Verification:
    """A badge: ``key`` is its CSS modifier and stable name, ``label`` and ``explanation`` English msgids."""

    key: str
    label: str
    explanation: str

    @property
    def checked(self) -> bool:
        """Whether the figure was read in its primary source (paper, abstract or regulation)."""
        return self.key in {"primary", "primary-abstract", "verified"}


LEVELS: Final[Mapping[VerificationLevel, Verification]] = {
    VerificationLevel.PRIMARY: Verification(
        "primary", N_("Primary source"), N_("Checked against the primary paper's full text.")
    ),
    VerificationLevel.PRIMARY_ABSTRACT: Verification(
        "primary-abstract", N_("Primary abstract"), N_("Checked against the primary paper's own abstract.")
    ),
    VerificationLevel.SECONDARY: Verification(
        "secondary",
        N_("Secondary source"),
        N_("Taken from an authoritative text reproducing the primary table, cited beside it."),
    ),
    VerificationLevel.UNVERIFIED: Verification(
        "unverified", N_("Unverified"), N_("Not checked against a source: use with caution.")
    ),
}
"""The badge of each verification level."""

VERIFIED: Final = Verification(
    "verified",
    N_("Verified"),
    N_("Read in the primary paper, its abstract or the regulation itself (see the clinical evidence register)."),
)
"""An instrument's figure flagged ``verified=True`` (its primary source, full text or abstract)."""

ALL_BADGES: Final[tuple[Verification, ...]] = (*LEVELS.values(), VERIFIED)


def verification(flag: bool | VerificationLevel) -> Verification:
    """The badge of an instrument's ``verified`` flag (unverified when false) or of a verification level."""
    if isinstance(flag, VerificationLevel):
        return LEVELS[flag]
    return VERIFIED if flag else LEVELS[VerificationLevel.UNVERIFIED]


@dataclass(frozen=True, slots=True)
class CitationView:
    short: str
    text: str
    title: str
    links: tuple[tuple[str, str], ...]
    """(label, URL) pairs: DOI, PubMed, the page the figures were checked on."""


def citation_view(citation: Citation) -> CitationView:
    links: list[tuple[str, str]] = []
    if citation.doi:
        links.append((f"doi:{citation.doi}", f"https://doi.org/{citation.doi}"))
    if citation.pmid:
        links.append((f"PMID {citation.pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{citation.pmid}/"))
    if citation.url and citation.url.startswith(("https://", "http://")):
        links.append((N_("Source page"), citation.url))
    return CitationView(citation.short(), citation.text(), citation.title or "", tuple(links))


@dataclass(frozen=True, slots=True)
class ComponentView:
    item: str
    input: str
    points: str
    rule: str
    verification: Verification


@dataclass(frozen=True, slots=True)
class OutcomeView:
    band: str
    endpoint: str
    time_point: str
    value: str
    interval: str
    cohort: str
    unit: str
    """The figure's unit when it is not a percentage (a c-statistic): a core text, shown after the value."""
    n: int | None
    verification: Verification
    source: str
    note: str


@dataclass(frozen=True, slots=True)
class DetailView:
    """A field an instrument's own result type adds (risk group, stage, reasons...), as label and lines."""

    key: str
    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ResultView:
    instrument: str
    description: str
    version: str
    value: str
    band: str
    components: tuple[ComponentView, ...]
    outcomes: tuple[OutcomeView, ...]
    citation: CitationView
    notes: tuple[str, ...]
    details: tuple[DetailView, ...]

    @property
    def all_checked(self) -> bool:
        """Whether every component and outcome was checked against its primary source."""
        return all(c.verification.checked for c in self.components) and all(
            o.verification.checked for o in self.outcomes
        )


_BASE_FIELDS: Final = frozenset(ScoreResult.model_fields)


_SUPERSCRIPT: Final = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number_text(value: float) -> str:
    """A figure without a trailing ``.0`` (``2``, ``2.5``); cell doses in powers of ten (``4×10⁷``)."""
    if value != 0 and abs(value) >= 1e5:
        mantissa, _, exponent = f"{value:.3g}".partition("e")
        if not exponent:
            mantissa, _, exponent = f"{value:.2e}".partition("e")
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    return f"{value:g}"


THRESHOLD_CHECK: Final = Phrase("{measure}: {value} ({sign} {minimum} {unit}): {verdict}")
PASSED: Final = "passed"
NOT_MET: Final = "NOT MET"
SKIPPED_FOR_DONOR: Final = Phrase("no screening answers given for donor {donor} (donor_screening)")
NO_EBMT_CATEGORY: Final = Phrase("donor relation '{relation}' has no EBMT score category")
NOT_AN_EBMT_DISEASE: Final = Phrase("ICD-10 {icd10} is not one of the EBMT score's diseases")
CORD_UNITS: Final = Phrase("{count} cord blood units: thresholds are published for one or two units")
DONOR_REFUSED: Final = Phrase("the donor's records do not fit the instrument: {reason}")
GRAFT_REFUSED: Final = Phrase("the recorded graft does not fit the instrument: {reason}")
REGIMEN_REFUSED: Final = Phrase("the recorded regimen does not fit the instrument: {reason}")
"""Reasons :mod:`engraft.registry.risk_profile` gives for skipping an instrument, recognised to translate them."""


def _threshold_check(check: ThresholdCheck) -> str:
    limit = check.threshold
    return THRESHOLD_CHECK(
        measure=check.measure.value,
        value=number_text(check.value),
        sign="≥" if limit.inclusive else ">",
        minimum=number_text(limit.minimum),
        unit=limit.unit,
        verdict=PASSED if check.passed else NOT_MET,
    )


def _component(component: Component) -> ComponentView:
    return ComponentView(
        component.item,
        component.input,
        number_text(component.points),
        component.rule,
        verification(component.verification),
    )


def source_text(source: Citation, reproduced_in: tuple[Citation, ...] = ()) -> str:
    """The figure's own source, then each text it was read in with its table (``Gratwohl A et al. 2009 ·
    Barba P et al. 2024, Table 11.4``)."""
    parts = [source.short()]
    for text in reproduced_in:
        table = text.volume_pages.rsplit(", ", 1)[-1] if text.volume_pages and "Table" in text.volume_pages else ""
        parts.append(f"{text.short()}, {table}" if table.startswith("Table") else text.short())
    return " · ".join(parts)


def _outcome(outcome: PublishedOutcome) -> OutcomeView:
    unit = outcome.unit
    value = f"{number_text(outcome.value)}{unit if unit == '%' else ''}"
    shown_unit = "" if unit in ("%", "") else unit
    interval = ""
    if outcome.ci_low is not None and outcome.ci_high is not None:
        interval = f"{number_text(outcome.ci_low)}–{number_text(outcome.ci_high)}"
    return OutcomeView(
        outcome.band,
        outcome.endpoint,
        outcome.time_point,
        value,
        interval,
        outcome.cohort,
        shown_unit,
        outcome.n,
        verification(outcome.verification),
        source_text(outcome.source, outcome.reproduced_in),
        outcome.note or "",
    )


def _lines(value: Any) -> tuple[str, ...]:
    if value is None or value == "" or value == ():
        return ()
    if isinstance(value, Enum):
        return (str(value.value),)
    if isinstance(value, ThresholdCheck):
        return (_threshold_check(value),)
    if isinstance(value, BaseModel):
        return (_model_text(value),)
    if isinstance(value, tuple | list):
        return tuple(line for item in value for line in _lines(item))
    if isinstance(value, float):
        return (number_text(value),)
    return (str(value),)


def _model_text(model: BaseModel) -> str:
    parts = []
    for key in type(model).model_fields:
        value = getattr(model, key)
        if isinstance(value, BaseModel | tuple | list | dict) or value is None:
            continue
        text = str(value.value) if isinstance(value, Enum) else _lines(value)[0] if _lines(value) else ""
        parts.append(f"{key}: {text}")
    return "; ".join(parts)


def result_view(result: ScoreResult) -> ResultView:
    """The view of ``result`` (any instrument's result type)."""
    entry = CATALOG.get(result.instrument)
    details = tuple(
        DetailView(key, field_label(key), _lines(getattr(result, key)))
        for key in type(result).model_fields
        if key not in _BASE_FIELDS and _lines(getattr(result, key))
    )
    return ResultView(
        instrument=result.instrument,
        description=entry.description if entry else "",
        version=result.version,
        value=_lines(result.value)[0] if _lines(result.value) else "",
        band=result.band,
        components=tuple(_component(c) for c in result.components),
        outcomes=tuple(_outcome(o) for o in result.outcomes),
        citation=citation_view(result.citation),
        notes=result.notes,
        details=details,
    )


def stored_result(instrument: str, result: Mapping[str, Any]) -> ScoreResult:
    """A stored assessment's result (its JSON) as the instrument's own result type again."""
    entry = CATALOG.get(instrument)
    model = result_type(entry) if entry is not None else ScoreResult
    return model.model_validate(result)
