"""Which texts of the pure core reach the pages, so that the ``core`` catalogue can be checked complete.

Collected without running anything: each instrument's description; every :class:`Phrase` template the pages
recognise (:func:`engraft.web.core_text.core_phrases`); the published outcomes' bands, endpoints, times,
cohorts and notes; the descriptive tables of the score modules (a module-level mapping whose values are
sentences, such as the Karnofsky descriptions or the HCT-CI item definitions); and the enumerations whose
values are shown as results (:data:`RESULT_ENUMS`). ``tests/web/test_core_texts.py`` also runs every
instrument and checks each text of its results, so a text written inline in a function is caught too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Final

from engraft.grading.sos_vod_findings import SosVodSign
from engraft.hla.search.frequency_set_label import label_texts
from engraft.hla.search.rank_explanation import rank_texts
from engraft.monitoring import default_rule_texts
from engraft.outcomes import benchmark_report
from engraft.scores.catalog import CATALOG
from engraft.scores.graft_quality import THRESHOLDS, GraftCategory, Measure
from engraft.scores.provenance import PublishedOutcome
from engraft.vocabulary import ConditioningIntensity, DiseaseStatus, DonorEligibility
from engraft.vocabulary.events import SosVodCriteria
from engraft.web.catalogue_check import UsedMessage
from engraft.web.core_text import CORE_CONTEXT, CORE_PACKAGES, _modules, core_phrases, parse_core_text
from engraft.web.form_messages import FIXED_MESSAGES
from engraft.web.i18n import merged_catalogue
from engraft.web.pages.risk_view import ResultView

RESULT_ENUMS: Final[tuple[type[Enum], ...]] = (
    ConditioningIntensity,
    DonorEligibility,
    GraftCategory,
    Measure,
    DiseaseStatus,
    SosVodCriteria,
    SosVodSign,
)
"""Enumerations a page shows by value (a result's band or value, a follow-up visit's disease status, the
SOS/VOD criteria set and the signs an alert's explanation names)."""
SHOWN_CONSTANTS: Final[Mapping[str, str]] = {
    benchmark_report.METHOD: "engraft.outcomes.benchmark_report.METHOD",
    **{t.scope: "engraft.scores.graft_quality.THRESHOLDS (scope)" for t in THRESHOLDS if t.scope},
}
"""Single texts of the core a page shows (the benchmark's method, the scope of a graft threshold)."""
OUTCOME_FIELDS: Final = ("band", "endpoint", "time_point", "cohort", "note")


def _sentences(value: object) -> Iterator[str]:
    """The texts of a descriptive table: a mapping (maybe nested) whose leaves are text with a space."""
    if isinstance(value, Mapping):
        leaves = list(value.values())
        if leaves and all(isinstance(leaf, str) for leaf in leaves):
            if any(" " in leaf for leaf in leaves):
                yield from (str(leaf.value) if isinstance(leaf, Enum) else leaf for leaf in leaves)
        else:
            for leaf in leaves:
                if isinstance(leaf, Mapping):
                    yield from _sentences(leaf)


def _outcomes(value: object) -> Iterator[PublishedOutcome]:
    if isinstance(value, PublishedOutcome):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _outcomes(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _outcomes(item)


def core_texts() -> dict[str, str]:
    """Every core text found without running anything -> where it was found."""
    found: dict[str, str] = {}
    for entry in CATALOG.values():
        found.setdefault(entry.description, f"instrument {entry.name}")
    for text, where in SHOWN_CONSTANTS.items():
        found.setdefault(text, where)
    for phrase in core_phrases():
        found.setdefault(phrase.template, "phrase")
    for text in FIXED_MESSAGES:
        found.setdefault(text, "form message")
    for text in rank_texts():
        found.setdefault(text, "engraft.hla.search.rank_explanation (why a donor ranks where it does)")
    for text in label_texts():
        found.setdefault(text, "engraft.hla.search.frequency_set_label (a frequency set's label)")
    for text in default_rule_texts():
        found.setdefault(text, "monitoring rule (default_rules.toml)")
    for enum in RESULT_ENUMS:
        for member in enum:
            found.setdefault(str(member.value), f"{enum.__name__}.{member.name}")
    for module in (m for package in CORE_PACKAGES[:1] for m in _modules(package)):
        for name, value in vars(module).items():
            if name.startswith("__"):
                continue
            for text in _sentences(value):
                if any(c.isalpha() for c in text):
                    found.setdefault(text, f"{module.__name__}.{name}")
            for outcome in _outcomes(value):
                for field in OUTCOME_FIELDS:
                    text = getattr(outcome, field)
                    if text and any(c.isalpha() for c in text):
                        found.setdefault(text, f"{module.__name__}.{name} ({field})")
    return found


def result_texts(view: ResultView) -> Iterator[str]:
    """The core texts a risk result page shows (band, value, rules, outcomes, notes, details), each once."""
    seen: set[str] = set()
    texts = [view.description, view.band, view.value, *view.notes]
    texts += [component.rule for component in view.components]
    for outcome in view.outcomes:
        texts += [outcome.band, outcome.endpoint, outcome.time_point, outcome.cohort, outcome.note, outcome.unit]
    texts += [line for detail in view.details for line in detail.lines]
    for text in texts:
        if text and text not in seen:
            seen.add(text)
            yield text


def core_text_translated(text: str, messages: Mapping[str, object]) -> bool:
    """Whether ``messages`` (a language's merged catalogue) translates ``text``: as a msgid of its own (with
    or without the core's context), or as a text of a phrase whose template it translates."""
    if not any(c.isalpha() for c in text):
        return True
    if text in messages or f"{CORE_CONTEXT}\x04{text}" in messages:
        return True
    message = parse_core_text(text)
    return message is not None and message.phrase.template in messages


def missing_core_translations(code: str, texts: Mapping[str, str] | None = None) -> list[UsedMessage]:
    """The core texts (default: :func:`core_texts`) that language ``code``'s catalogues leave untranslated."""
    messages = merged_catalogue(code)
    found = core_texts() if texts is None else texts
    return sorted(
        (UsedMessage(text, None, where) for text, where in found.items() if not core_text_translated(text, messages)),
        key=lambda used: used.msgid,
    )
