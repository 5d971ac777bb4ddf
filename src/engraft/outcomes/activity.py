"""Transplant activity report in the shape of the EBMT activity survey tables (pure).

The EBMT activity survey (Passweg et al., annual report in Bone Marrow Transplantation) counts
haematopoietic cell transplants per year by indication (disease group) and donor type
(allogeneic family HLA-identical, family non-identical, unrelated; autologous), with first versus
subsequent transplants and stem cell source. This module produces those counts per centre and
overall ("ALL") from plain per-episode arrays (:func:`activity_report`) or from the registry's
outcome table (:func:`activity_of_table`). The result is a typed :class:`ActivityReport` of
long-format rows (written as CSV by :mod:`engraft.io.outcome_csv`), plus a stacked bar chart of
transplants per year (matplotlib :class:`~matplotlib.figure.Figure`, no pyplot state).

Indication groups follow the survey's rows, assigned from the ICD-10 code of the diagnosis linked to
the episode (a code-prefix rule, documented in :data:`INDICATION_RULES`; codes not listed fall into
"Other", a missing diagnosis into "missing"). Donor groups: matched sibling -> family
HLA-identical; haploidentical and other related -> family non-identical; matched or mismatched
unrelated and cord blood units -> unrelated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray
from pydantic import Field

from engraft.outcomes._validation import OutcomeInputError
from engraft.outcomes.outcome_table import OutcomeTable
from engraft.provenance import FrozenModel
from engraft.vocabulary.phrases import Phrase

ALL_CENTRES = "ALL"
EVERY_CENTRE: Final = "all centres"
ACTIVITY_TITLE: Final = Phrase("Transplant activity ({centre})")
"""The activity figure's title (English; the pages translate the drawn figure)."""

INDICATION_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("CML", ("C92.1",)),
    ("MDS/MPN", ("D46", "D45", "D47.1", "D47.3", "D47.4", "C93.1", "C94.6")),
    ("AML", ("C92", "C93.0", "C94.0", "C94.2")),
    ("ALL", ("C91.0", "C83.5")),
    ("CLL", ("C91.1",)),
    ("Other leukaemia", ("C91", "C93", "C94", "C95")),
    ("Plasma cell disorders", ("C90", "E85")),
    ("Hodgkin lymphoma", ("C81",)),
    ("Non-Hodgkin lymphoma", ("C82", "C83", "C84", "C85", "C86", "C88")),
    ("Bone marrow failure", ("D60", "D61")),
    ("Haemoglobinopathies", ("D56", "D57", "D58")),
    ("Primary immune deficiencies", ("D80", "D81", "D82", "D83", "D84")),
    ("Autoimmune disease", ("G35", "G36", "G37", "M05", "M06", "M32", "M34", "K50", "K51")),
    ("Inherited disorders of metabolism", ("E7", "E80", "E83", "E84", "E88")),
    ("Solid tumours", ("C0", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C80")),
)
"""Ordered (group, ICD-10 prefixes): the first group with a matching prefix wins."""

INDICATION_ORDER: tuple[str, ...] = (*(g for g, _ in INDICATION_RULES), "Other", "missing")

DONOR_GROUPS: dict[str, str] = {
    "matched sibling": "allo_family_hla_identical",
    "haploidentical": "allo_family_non_identical",
    "other related": "allo_family_non_identical",
    "matched unrelated": "allo_unrelated",
    "mismatched unrelated": "allo_unrelated",
    "cord blood unit": "allo_unrelated",
}

COLUMNS: tuple[str, ...] = (
    "allo_family_hla_identical",
    "allo_family_non_identical",
    "allo_unrelated",
    "allo_donor_unknown",
    "allo_total",
    "auto",
    "total",
    "first_transplant",
    "subsequent_transplant",
    "allo_first",
    "auto_first",
    "bone_marrow",
    "peripheral_blood",
    "cord_blood",
)


def disease_group(icd10: str) -> str:
    """EBMT survey indication group of an ICD-10 code ("missing" if blank, "Other" if unlisted)."""
    code = icd10.strip().upper()
    if not code:
        return "missing"
    for group, prefixes in INDICATION_RULES:
        if any(code.startswith(p) for p in prefixes):
            return group
    return "Other"


SOURCE_LAYOUT: Final = "EBMT activity survey (Passweg et al., Bone Marrow Transplant, annual)"


class ActivityCounts(FrozenModel):
    """Transplants in one cell of the survey tables, by donor type, first/subsequent and graft source."""

    allo_family_hla_identical: int = Field(ge=0)
    allo_family_non_identical: int = Field(ge=0)
    allo_unrelated: int = Field(ge=0)
    allo_donor_unknown: int = Field(ge=0)
    allo_total: int = Field(ge=0)
    auto: int = Field(ge=0)
    total: int = Field(ge=0)
    first_transplant: int = Field(ge=0)
    subsequent_transplant: int = Field(ge=0)
    allo_first: int = Field(ge=0)
    auto_first: int = Field(ge=0)
    bone_marrow: int = Field(ge=0)
    peripheral_blood: int = Field(ge=0)
    cord_blood: int = Field(ge=0)


class ActivityByYear(ActivityCounts):
    """Counts of one centre ("ALL" for every centre) in one year."""

    centre: str
    year: int


class ActivityByIndication(ActivityByYear):
    """Counts of one centre in one year for one indication (cells without a transplant are left out)."""

    indication: str


class ActivityReport(FrozenModel):
    """Counts per (centre, year) and per (centre, year, indication); centre "ALL" is the total."""

    source_layout: str = SOURCE_LAYOUT
    columns: tuple[str, ...] = Field(default=COLUMNS, description="the count columns, in survey order")
    years: tuple[int, ...]
    centres: tuple[str, ...]
    by_year: tuple[ActivityByYear, ...]
    by_indication: tuple[ActivityByIndication, ...]


def _counts(
    mask: NDArray[np.bool_],
    ttype: NDArray[np.str_],
    donor_col: NDArray[np.str_],
    source: NDArray[np.str_],
    first: NDArray[np.bool_],
) -> ActivityCounts:
    allo = mask & (ttype == "allogeneic")
    auto = mask & (ttype == "autologous")
    out = {c: int(np.count_nonzero(allo & (donor_col == c))) for c in COLUMNS[:3]}
    out["allo_donor_unknown"] = int(np.count_nonzero(allo & (donor_col == "")))
    out["allo_total"] = int(np.count_nonzero(allo))
    out["auto"] = int(np.count_nonzero(auto))
    out["total"] = int(np.count_nonzero(mask))
    out["first_transplant"] = int(np.count_nonzero(mask & first))
    out["subsequent_transplant"] = int(np.count_nonzero(mask & ~first))
    out["allo_first"] = int(np.count_nonzero(allo & first))
    out["auto_first"] = int(np.count_nonzero(auto & first))
    out["bone_marrow"] = int(np.count_nonzero(mask & (source == "bone marrow")))
    out["peripheral_blood"] = int(np.count_nonzero(mask & (source == "peripheral blood")))
    out["cord_blood"] = int(np.count_nonzero(mask & (source == "cord blood")))
    return ActivityCounts.model_validate(out)


def _strings(values: ArrayLike, field: str, n: int) -> NDArray[np.str_]:
    arr = np.asarray(values).astype(np.str_)
    if arr.ndim != 1 or arr.size != n:
        raise OutcomeInputError(f"{field}: got shape {arr.shape}; expected {n} values (one per transplant)")
    return arr


def activity_report(
    *,
    centre: ArrayLike,
    year: ArrayLike,
    transplant_type: ArrayLike,
    donor_relation: ArrayLike,
    graft_source: ArrayLike,
    icd10: ArrayLike,
    sequence_number: ArrayLike,
    years: Sequence[int] | None = None,
) -> ActivityReport:
    """Count transplants (one entry per episode) per centre and year, and per indication.

    ``transplant_type`` holds "autologous"/"allogeneic", ``donor_relation`` the registry's donor
    relation (blank if unknown), ``sequence_number`` 1 for a first transplant. ``years`` restricts
    (and orders) the years reported; by default every year present.
    """
    yr = np.asarray(year, dtype=np.int64)
    if yr.ndim != 1:
        raise OutcomeInputError(f"year: got shape {yr.shape}; expected a 1-d sequence")
    n = yr.size
    cen = _strings(centre, "centre", n)
    tt = _strings(transplant_type, "transplant_type", n)
    bad = ~np.isin(tt, ["autologous", "allogeneic"])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise OutcomeInputError(f"transplant_type[{i}]: got {tt[i]!r}; expected 'autologous' or 'allogeneic'")
    rel = _strings(donor_relation, "donor_relation", n)
    donor_col = np.asarray([DONOR_GROUPS.get(r, "") for r in rel.tolist()], dtype=np.str_).reshape(n)
    src = _strings(graft_source, "graft_source", n)
    ind = np.asarray([disease_group(c) for c in _strings(icd10, "icd10", n).tolist()], dtype=np.str_).reshape(n)
    seq = np.asarray(sequence_number, dtype=np.int64)
    if seq.shape != (n,):
        raise OutcomeInputError(f"sequence_number: got shape {seq.shape}; expected {n} values")
    first = seq == 1
    report_years = tuple(sorted({int(y) for y in yr.tolist()})) if years is None else tuple(int(y) for y in years)
    centres = tuple(sorted({str(c) for c in cen.tolist()}))
    by_year: list[ActivityByYear] = []
    by_indication: list[ActivityByIndication] = []
    for c in (ALL_CENTRES, *centres):
        in_centre = np.ones(n, dtype=bool) if c == ALL_CENTRES else cen == c
        for y in report_years:
            sel = in_centre & (yr == y)
            cell_counts = _counts(sel, tt, donor_col, src, first).model_dump()
            by_year.append(ActivityByYear(centre=c, year=y, **cell_counts))
            for group in INDICATION_ORDER:
                cell = sel & (ind == group)
                if cell.any():
                    counts = _counts(cell, tt, donor_col, src, first).model_dump()
                    by_indication.append(ActivityByIndication(centre=c, year=y, indication=group, **counts))
    return ActivityReport(
        years=report_years, centres=centres, by_year=tuple(by_year), by_indication=tuple(by_indication)
    )


def activity_figure(report: ActivityReport, centre: str = ALL_CENTRES, *, title: str | None = None) -> Figure:
    """Stacked bars of transplants per year: autologous and allogeneic by donor group."""
    rows = [r for r in report.by_year if r.centre == centre]
    if not rows:
        raise OutcomeInputError(f"centre: got {centre!r}; expected one of {[ALL_CENTRES, *report.centres]}")
    fig = Figure(figsize=(7.5, 4.5))
    ax = fig.add_axes((0.1, 0.15, 0.56, 0.75))
    x = np.arange(len(rows))
    bottom = np.zeros(len(rows))
    series = (
        ("auto", "Autologous"),
        ("allo_family_hla_identical", "Allo, family HLA-identical"),
        ("allo_family_non_identical", "Allo, family non-identical"),
        ("allo_unrelated", "Allo, unrelated"),
        ("allo_donor_unknown", "Allo, donor unknown"),
    )
    for key, label in series:
        values = np.asarray([getattr(r, key) for r in rows], dtype=np.float64)
        if key == "allo_donor_unknown" and not values.any():
            continue
        ax.bar(x, values, bottom=bottom, label=label)
        bottom += values
    ax.set_xticks(x, [str(r.year) for r in rows], rotation=45 if len(rows) > 8 else 0)
    ax.set_xlabel("Year of transplant")
    ax.set_ylabel("Transplants")
    ax.set_title(title or ACTIVITY_TITLE(centre=EVERY_CENTRE if centre == ALL_CENTRES else centre))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    return fig


def activity_of_table(table: OutcomeTable, years: Sequence[int] | None = None) -> ActivityReport:
    """The activity report of every episode of the registry's outcome table (one row per episode)."""
    return activity_report(
        centre=table.centre,
        year=table.year,
        transplant_type=table.transplant_type,
        donor_relation=table.donor_relation,
        graft_source=table.graft_source,
        icd10=table.icd10,
        sequence_number=table.sequence_number,
        years=years,
    )


def report_years(present: Sequence[int], first_year: int | None = None, last_year: int | None = None) -> list[int]:
    """The years a report covers: ``first_year`` to ``last_year``, by default those of the transplants.

    With a single bound the other comes from ``present`` (the years with a transplant) without making
    the range empty; a year without a transplant gets a row of zeros.
    """
    known = sorted({int(y) for y in present})
    if not known and (first_year is None or last_year is None):
        raise OutcomeInputError("year: got no transplants; expected at least one, or first_year and last_year")
    first = first_year if first_year is not None else min(known[0], last_year if last_year is not None else known[0])
    last = last_year if last_year is not None else max(known[-1], first)
    if last < first:
        raise OutcomeInputError(f"last_year: got {last}; expected a year >= first_year ({first})")
    return list(range(first, last + 1))
