"""The search coordinator's report of a saved donor search, as HTML or PDF, in English or Simplified Chinese.

Made from the saved record only (:class:`~engraft.registry.schemas.donor_search.SavedDonorSearchRecord`:
the request and the result as the API returned them), so the document shows the search as it was run,
whatever the donor registry holds later: the patient's typing, the search parameters and release, the
ranked donors with per-locus grades, match probabilities, DPB1 TCE, age, sex, CMV, ABO and the reason for
each rank, who ran it and when, and the record's SHA-256 fingerprint.

Per-locus detail is rendered generically: every scalar field of a locus comparison becomes a column
(labelled from :data:`FIELD_LABELS` when known, else from its name), and every field of a position is
listed beside its tokens, so fields added to the search result later appear without a change here.
Texts are English msgids translated from ``io/report_locale/<language>/LC_MESSAGES/donor_search_report.po``
as :mod:`engraft.io.risk_report_render` does; values (enum words) are translated when the catalogue has
them. The reason for each rank is rendered from the donor's saved sort keys (``rank_key``) by
:mod:`engraft.io.donor_search_report_reasons`, in the report's language; a search saved before those were
kept shows the engine's English sentence, marked as such. HTML by Jinja2
(``io/report_templates/donor_search_report.html``; ``standalone=False`` gives the body alone, without
inline styles, for a web page), PDF by WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from babel.messages.pofile import read_po

from engraft import __version__
from engraft.io.donor_search_report_match import ambiguities, count_label, count_rows, genotype_lines, match_msgids
from engraft.io.donor_search_report_reasons import rank_reasons, reason_msgids
from engraft.io.risk_report_render import (
    _BABEL_LOCALE,
    _CATALOGUE_LOCALE,
    _HTML_LANG,
    FONTS,
    LOCALE,
    TEMPLATES,
    ReportFormat,
    _template_environment,
    format_number,
)
from engraft.registry.schemas.donor_search import SavedDonorSearchRecord
from engraft.reports.languages import ReportLanguage
from engraft.reports.messages import N_

DOMAIN: Final = "donor_search_report"

__all__ = ["DOMAIN", "FIELD_LABELS", "ReportFormat", "ReportLanguage", "missing_translations", "render", "render_html"]

#: Labels of result fields and search parameters by field name (msgids); an unknown name is shown as itself.
FIELD_LABELS: Final[dict[str, str]] = {
    "mismatch_count": N_("Mismatches"),
    "gvh_count": N_("GvH"),
    "hvg_count": N_("HvG"),
    "direction": N_("Direction"),
    "antigen_mismatch_count": N_("Antigen mm"),
    "allele_mismatch_count": N_("Allele mm"),
    "grade": N_("Grade"),
    "mismatch_type": N_("Mismatch type"),
    "loci": N_("Loci matched"),
    "max_mismatches": N_("Mismatches allowed in total"),
    "max_mismatches_per_locus": N_("Mismatches allowed per locus"),
    "donor_type": N_("Donor type"),
    "registries": N_("Registries"),
    "min_age": N_("Minimum age"),
    "max_age": N_("Maximum age"),
    "limit": N_("Donors listed at most"),
    "predict_top": N_("Match prediction for the top"),
    "homozygous_mismatch_counts": N_("A homozygous mismatch counts as"),
    "patient_cmv": N_("Patient CMV serostatus"),
    "patient_abo": N_("Patient ABO group"),
    "patient_weight_kg": N_("Patient weight (kg)"),
    "patient_registry": N_("Patient's registry (chooses the frequency set)"),
    "patient_ethnicity": N_("Patient's ethnicity (chooses the frequency set)"),
    "confidence": N_("Confidence"),
}
_LOCUS_SKIPPED: Final = frozenset({"locus", "positions", "crossed", "ambiguity"})
#: Donor fields the report lays out itself; any other field of a donor is listed in its section by name.
_DONOR_SHOWN: Final = frozenset(
    {
        "rank", "donor_id", "donor_type", "registry", "age", "sex", "cmv", "abo", "mismatch_count", "match_label",
        "potential_loci", "loci", "untyped_loci", "dpb1", "dpb1_tce", "reason", "prediction", "rank_key",
        "counts", "counts_with_dpb1", "locus_counts", "reported_loci", "ethnicity", "rank_reason",
    }
)  # fmt: skip
_POSITION_TOKENS: Final = ("patient_token", "donor_token")

_LABELS: Final = (
    N_("Donor search report"),
    N_("Saved search {id}, run by {who} on {when} (UTC)."),
    N_("Patient"),
    N_("Registered patient {id}"),
    N_("Not a registered patient"),
    N_("Typing searched"),
    N_("Locus"),
    N_("Typing"),
    N_("Search"),
    N_("IPD-IMGT/HLA release"),
    N_("Donors in the registry"),
    N_("Donors passing the filters"),
    N_("Donors within the mismatches allowed"),
    N_("Match prediction"),
    N_("available"),
    N_("not available (no haplotype frequencies)"),
    N_("Ranked donors"),
    N_("No donor within the mismatches allowed."),
    N_("Rank"),
    N_("Donor"),
    N_("Type"),
    N_("Registry"),
    N_("Match"),
    N_("P(0 mm)"),
    N_("P(1 mm)"),
    N_("P(2 mm)"),
    N_("DPB1 TCE"),
    N_("Age"),
    N_("Sex"),
    N_("CMV"),
    N_("ABO"),
    N_("Ethnicity"),
    N_("Donor ethnicity (chooses the donor's haplotype frequency set)"),
    N_("not recorded (saved before donor ethnicity was reported)"),
    N_("Donor {id}: rank {rank}"),
    N_("Reason for the rank"),
    N_("Positions"),
    N_("Untyped loci"),
    N_("Loci with potential (ambiguous) matches"),
    N_("DPB1 T-cell epitopes"),
    N_("Patient TCE groups"),
    N_("Donor TCE groups"),
    N_("TCE table version"),
    N_("Probabilities"),
    N_("the patient's typing is not explained by the haplotype frequencies"),
    N_("the donor's typing is not explained by the haplotype frequencies"),
    N_("not predicted (outside the top donors asked for)"),
    N_("P(more than 2 mm)"),
    N_("Note"),
    N_("Record"),
    N_("Document fingerprint (SHA-256 of the saved search): {hash}"),
    N_("Software: Engraft {version}"),
    N_("Made on {date}."),
    N_("any"),
    N_("none"),
    N_("not known"),
    N_("no limit beyond the total"),
    N_("yes"),
    N_("no"),
    N_("This report shows the search as it was run and saved; the donor registry may have changed since."),
)

#: Enum values the report prints (translated when the catalogue has them).
_VALUES: Final = (
    "adult",
    "cord",
    "male",
    "female",
    "other",
    "unknown",
    "positive",
    "negative",
    "equivocal",
    "permissive",
    "non_permissive_gvh",
    "non_permissive_hvg",
    "bidirectional",
    "gvh_only",
    "hvg_only",
    "allele",
    "g_group",
    "p_group",
    "associated",
    "split",
    "broad",
    "null_match",
    "expressing_vs_null",
    "mismatch",
    "antigen",
    "definite",
    "exact",
    "potential",
)


def template_msgids() -> tuple[str, ...]:
    """Every msgid the document can show besides enum values (for the catalogue check)."""
    return (*_LABELS, *FIELD_LABELS.values(), *reason_msgids(), *match_msgids())


def value_msgids() -> tuple[str, ...]:
    return _VALUES


@functools.cache
def catalogue(language: ReportLanguage) -> dict[str, str]:
    """msgid -> translation (empty for English)."""
    folder = _CATALOGUE_LOCALE[language]
    if folder is None:
        return {}
    with (LOCALE / folder / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        parsed = read_po(handle, locale=folder)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string and not m.fuzzy}


def missing_translations(language: ReportLanguage) -> list[str]:
    """The msgids (labels and values) ``language``'s catalogue lacks (none for English)."""
    if _CATALOGUE_LOCALE[language] is None:
        return []
    known = catalogue(language)
    return sorted({m for m in (*template_msgids(), *value_msgids()) if m not in known})


def format_probability(p: float, language: ReportLanguage) -> str:
    """A probability as the document prints it: a percentage with one decimal (``97.3%``)."""
    from babel.numbers import format_percent

    return format_percent(p, "#,##0.0%", locale=_BABEL_LOCALE[language])


@dataclass(frozen=True, slots=True)
class _Words:
    """Translation and formatting for one language."""

    language: ReportLanguage

    def _(self, msgid: str) -> str:
        return catalogue(self.language).get(msgid, msgid)

    def value(self, value: Any) -> str:
        """A result value in words: enum words translated, numbers formatted, lists joined, None as a dash."""
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self._("yes") if value else self._("no")
        if isinstance(value, int | float):
            return format_number(value, self.language)
        if isinstance(value, str):
            translated = catalogue(self.language).get(value)
            return translated if translated is not None else value.replace("_", " ")
        if isinstance(value, Mapping):
            return "; ".join(f"{self.label(str(k))} {self.value(v)}" for k, v in value.items()) or "—"
        if isinstance(value, Sequence):
            return ", ".join(self.value(v) for v in value) or "—"
        return str(value)

    def label(self, name: str) -> str:
        msgid = FIELD_LABELS.get(name)
        return self._(msgid) if msgid is not None else name.replace("_", " ")

    def probability(self, p: Any) -> str:
        return format_probability(float(p), self.language) if isinstance(p, int | float) else "—"


def _locus_columns(donors: Sequence[Mapping[str, Any]]) -> list[str]:
    """Scalar fields of the locus comparisons, in order of first appearance (generic: new fields included)."""
    columns: dict[str, None] = {}
    for donor in donors:
        locus_rows = [*donor.get("loci", {}).values(), *([donor["dpb1"]] if donor.get("dpb1") else [])]
        for row in locus_rows:
            for key in row:
                if key not in _LOCUS_SKIPPED:
                    columns.setdefault(key, None)
    return list(columns)


def _positions(row: Mapping[str, Any], words: _Words) -> list[str]:
    lines = []
    for position in row.get("positions", ()):
        tokens = " ↔ ".join(str(position.get(k, "")) for k in _POSITION_TOKENS)
        details = [f"{words.label(k)}: {words.value(v)}" for k, v in position.items() if k not in _POSITION_TOKENS]
        details = [d for d in details if not d.endswith(": —")]
        lines.append(f"{tokens} ({'; '.join(details)})" if details else tokens)
    return lines


def _other_fields(donor: Mapping[str, Any], words: _Words) -> list[tuple[str, str]]:
    """(label, value) of the donor's fields the layout does not place (fields the result gains later)."""
    return [(words.label(k), words.value(v)) for k, v in donor.items() if k not in _DONOR_SHOWN]


def _ethnicity(donor: Mapping[str, Any], words: _Words) -> str:
    """The donor's population code as its file gave it (a code, not translated), or why there is none."""
    if "ethnicity" not in donor:
        return words._("not recorded (saved before donor ethnicity was reported)")
    return str(donor["ethnicity"]) if donor["ethnicity"] else words._("not known")


def _prediction_note(donor: Mapping[str, Any], words: _Words) -> str | None:
    prediction = donor.get("prediction")
    if prediction is None:
        return words._("not predicted (outside the top donors asked for)")
    if prediction.get("p_mismatches") is not None:
        return None
    why = (
        "the patient's typing is not explained by the haplotype frequencies"
        if prediction.get("patient_unrepresented")
        else "the donor's typing is not explained by the haplotype frequencies"
    )
    return words._(why)


def _typing_rows(gl: str) -> list[tuple[str, str]]:
    rows = []
    for part in gl.split("^"):
        first = part.split("+")[0].split("/")[0].split("~")[0]
        locus = first.removeprefix("HLA-").split("*")[0]
        rows.append((locus, part.replace("+", " + ")))
    return rows


def _parameters(criteria: Mapping[str, Any], words: _Words) -> list[tuple[str, str]]:
    rows = []
    for name, value in criteria.items():
        if name == "patient":
            continue
        if value is None or value == {} or value == []:
            shown = words._("any") if name in ("registries", "min_age", "max_age") else words._("none")
            if name in ("patient_abo", "patient_weight_kg"):
                shown = words._("not known")
            if name == "max_mismatches_per_locus":
                shown = words._("no limit beyond the total")
        else:
            shown = words.value(value)
        rows.append((words.label(name), shown))
    return rows


def _context(record: SavedDonorSearchRecord, language: ReportLanguage, *, standalone: bool) -> dict[str, Any]:
    words = _Words(language)
    result = record.result
    donors: list[Mapping[str, Any]] = list(result.get("donors", []))
    prediction_available = bool(result.get("prediction_available"))
    return {
        "_": words._,
        "w": words,
        "record": record,
        "result": result,
        "donors": donors,
        "reasons": rank_reasons(donors, record.criteria, words._),
        "count_label": lambda counts, fallback: count_label(counts, fallback, words._),
        "count_rows": lambda donor: count_rows(donor, words._),
        "ambiguities": lambda donor: ambiguities(donor, words._),
        "genotype_lines": lambda donor: genotype_lines(donor.get("prediction"), words._),
        "typing_rows": _typing_rows(record.patient_typing),
        "parameters": _parameters(record.criteria, words),
        "columns": _locus_columns(donors),
        "positions": lambda row: _positions(row, words),
        "prediction_note": lambda donor: _prediction_note(donor, words),
        "other_fields": lambda donor: _other_fields(donor, words),
        "ethnicity": lambda donor: _ethnicity(donor, words),
        "prediction_available": prediction_available,
        "run_at": record.run_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "made_on": dt.datetime.now(dt.UTC).date().isoformat(),
        "version": __version__,
        "lang": _HTML_LANG[language],
        "fonts": ", ".join(f'"{name}"' for name in FONTS[language]) + ", sans-serif",
        "standalone": standalone,
    }


def render_html(record: SavedDonorSearchRecord, language: ReportLanguage, *, standalone: bool = True) -> str:
    """The report as one HTML page (styles inline), or its body alone for a web page (``standalone=False``)."""
    template = _template_environment().get_template("donor_search_report.html")
    return template.render(_context(record, language, standalone=standalone))


def render_pdf(record: SavedDonorSearchRecord, language: ReportLanguage) -> bytes:
    """The report as PDF (WeasyPrint); ImportError/OSError when WeasyPrint or its system libraries are missing."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(record, language), base_url=str(TEMPLATES)).write_pdf(hinting=True)
    return pdf


def render(record: SavedDonorSearchRecord, language: ReportLanguage, document_format: ReportFormat) -> bytes:
    """The document's bytes in the format asked for (HTML as UTF-8)."""
    if document_format is ReportFormat.PDF:
        return render_pdf(record, language)
    return render_html(record, language).encode("utf-8")
