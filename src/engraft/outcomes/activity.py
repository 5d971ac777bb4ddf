"""Transplant activity report in the shape of the EBMT activity survey tables (pure).

The EBMT activity survey (Passweg et al., annual report in Bone Marrow Transplantation) counts
haematopoietic cell transplants per year by indication (disease group) and donor type
(allogeneic family HLA-identical, family non-identical, unrelated; autologous), with first versus
subsequent transplants and stem cell source. This module produces those counts per centre and
overall ("ALL") from plain per-episode arrays; :mod:`engraft.registry.outcome_data` supplies them
from the registry. Output is long-format rows (CSV) or a nested dict (JSON), plus a stacked bar
chart of transplants per year (matplotlib :class:`~matplotlib.figure.Figure`, no pyplot state).

Indication groups follow the survey's rows, assigned from the ICD-10 code of the diagnosis linked to
the episode (a code-prefix rule, documented in :data:`INDICATION_RULES`; codes not listed fall into
"Other", a missing diagnosis into "missing"). Donor groups: matched sibling -> family
HLA-identical; haploidentical and other related -> family non-identical; matched or mismatched
unrelated and cord blood units -> unrelated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from engraft.outcomes._validation import OutcomeInputError

ALL_CENTRES = "ALL"

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


@dataclass(frozen=True, slots=True)
class ActivityReport:
    """Counts per (centre, year) and per (centre, year, indication); centre "ALL" is the total."""

    years: tuple[int, ...]
    centres: tuple[str, ...]
    by_year: tuple[dict[str, Any], ...]
    by_indication: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with the column definitions."""
        return {
            "source_layout": "EBMT activity survey (Passweg et al., Bone Marrow Transplant, annual)",
            "columns": list(COLUMNS),
            "years": list(self.years),
            "centres": list(self.centres),
            "by_year": list(self.by_year),
            "by_indication": list(self.by_indication),
        }

    def to_csv(self, table: str = "by_year") -> str:
        """One of the two tables as CSV text (``by_year`` or ``by_indication``)."""
        if table == "by_year":
            rows, keys = self.by_year, ["centre", "year"]
        elif table == "by_indication":
            rows, keys = self.by_indication, ["centre", "year", "indication"]
        else:
            raise OutcomeInputError(f"table: got {table!r}; expected 'by_year' or 'by_indication'")
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=[*keys, *COLUMNS], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()


def _counts(
    mask: NDArray[np.bool_],
    ttype: NDArray[np.str_],
    donor_col: NDArray[np.str_],
    source: NDArray[np.str_],
    first: NDArray[np.bool_],
) -> dict[str, int]:
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
    return out


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
    by_year: list[dict[str, Any]] = []
    by_indication: list[dict[str, Any]] = []
    for c in (ALL_CENTRES, *centres):
        in_centre = np.ones(n, dtype=bool) if c == ALL_CENTRES else cen == c
        for y in report_years:
            sel = in_centre & (yr == y)
            by_year.append({"centre": c, "year": y, **_counts(sel, tt, donor_col, src, first)})
            for group in INDICATION_ORDER:
                cell = sel & (ind == group)
                if cell.any():
                    by_indication.append(
                        {"centre": c, "year": y, "indication": group, **_counts(cell, tt, donor_col, src, first)}
                    )
    return ActivityReport(
        years=report_years, centres=centres, by_year=tuple(by_year), by_indication=tuple(by_indication)
    )


def activity_figure(report: ActivityReport, centre: str = ALL_CENTRES, *, title: str | None = None) -> Figure:
    """Stacked bars of transplants per year: autologous and allogeneic by donor group."""
    rows = [r for r in report.by_year if r["centre"] == centre]
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
        values = np.asarray([r[key] for r in rows], dtype=np.float64)
        if key == "allo_donor_unknown" and not values.any():
            continue
        ax.bar(x, values, bottom=bottom, label=label)
        bottom += values
    ax.set_xticks(x, [str(r["year"]) for r in rows], rotation=45 if len(rows) > 8 else 0)
    ax.set_xlabel("Year of transplant")
    ax.set_ylabel("Transplants")
    ax.set_title(title or f"Transplant activity ({'all centres' if centre == ALL_CENTRES else centre})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    return fig
