"""What ``engraft donors`` prints: the import report and the table of ranked donors.

The table's DPB1 column says what the rank reason says, from the same two facts (allele match, then
TCE permissiveness, :func:`dpb1_column`); with match prediction it shows the probabilities of 0, 1 and
2 mismatches (or why there are none).
"""

from __future__ import annotations

from rich.table import Table

from engraft.cli.common import console, err_console
from engraft.hla.matching.dpb1_tce import TcePermissiveness
from engraft.hla.prediction.match_prediction import MatchProbabilities
from engraft.hla.search.donor_import import ImportReport
from engraft.hla.search.search_models import DonorMatch, SearchResult

#: The DPB1 column per TCE category of a mismatched DPB1 (the rank reason's words, shortened).
TCE_COLUMN = {
    TcePermissiveness.PERMISSIVE: "permissive mismatch",
    TcePermissiveness.NON_PERMISSIVE_GVH: "non-permissive (GvH)",
    TcePermissiveness.NON_PERMISSIVE_HVG: "non-permissive (HvG)",
    TcePermissiveness.UNKNOWN: "unknown",
}
SHOWN = 50


def dpb1_column(donor: DonorMatch) -> str:
    """DPB1 as the reason ranks it: allele-matched, else the TCE category, else unknown."""
    if donor.dpb1 is not None and donor.dpb1.mismatch_count == 0:
        return "matched"
    if donor.dpb1 is None or donor.dpb1_tce is None:
        return "unknown (untyped)"
    return TCE_COLUMN[donor.dpb1_tce.category]


def prediction_column(prediction: MatchProbabilities | None) -> str:
    """``0 mm 93%, 1 mm 6%, 2 mm 1%``, or why there are no probabilities."""
    if prediction is None:
        return "-"
    if prediction.p_mismatches is None:
        flags = (("patient", prediction.patient_unrepresented), ("donor", prediction.donor_unrepresented))
        who = [w for w, flag in flags if flag]
        return f"{' and '.join(who) or 'typing'} not explained by the frequency set"
    p0, p1, p2 = prediction.p_mismatches
    return f"0 mm {p0:.0%}, 1 mm {p1:.0%}, 2 mm {p2:.0%}"


def result_table(result: SearchResult, mismatches: int, *, predicted: bool) -> Table:
    title = f"{result.matching_donors:,} donor(s) within {mismatches} mismatch(es); top {len(result.donors)}"
    table = Table(title=title)
    columns = ["rank", "donor", "type", "match", *(["P(mismatches)"] if predicted else []), "age", "DPB1", "reason"]
    for column in columns:
        table.add_column(column)
    for d in result.donors:
        cells = [str(d.rank), str(d.donor_id), d.donor_type.value, d.match_label]
        if predicted:
            cells.append(prediction_column(d.prediction))
        cells += [str(d.age) if d.age is not None else "-", dpb1_column(d), d.reason]
        table.add_row(*cells)
    return table


def _problems(lines: list[str], what: str) -> None:
    for line in lines[:SHOWN]:
        err_console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    if len(lines) > SHOWN:
        err_console.print(f"  ... and {len(lines) - SHOWN} more {what}", markup=False, highlight=False)


def print_import_report(report: ImportReport, file_format: str, release: str) -> None:
    console.print(
        f"read {report.read:,} ({file_format}), stored {report.stored:,}, replaced {report.replaced:,}, "
        f"removed {report.removed:,}, rejected {report.rejected_donors:,} donor(s)",
        soft_wrap=True,
        highlight=False,
    )
    if flagged := report.flagged:
        console.print(
            f"flagged {len(report.flagged):,} allele(s) unknown to IPD-IMGT/HLA {release} in "
            f"{report.flagged_donors:,} stored donor(s): stored as NEW (a mismatch against every named allele)",
            soft_wrap=True,
            highlight=False,
        )
        _problems(
            [f"donor {f.donor_id} {f.locus}: {f.token!r} stored as {f.stored_as!r}: {f.reason}" for f in flagged],
            "flagged alleles",
        )
    if report.missing_required:
        console.print(
            f"{len(report.missing_required):,} donor(s) missing a required locus (A, B, DRB1), not stored",
            soft_wrap=True,
            highlight=False,
        )
        _problems(
            [f"donor {m.donor_id}: {', '.join(m.loci)} untyped" for m in report.missing_required],
            "donors missing a required locus",
        )
    _problems(
        [f"donor {v.donor_id} {v.field}: {v.value!r}: expected {v.expected}" for v in report.invalid_values],
        "invalid values",
    )
    _problems([f"donor {i.donor_id} {i.locus}: {i.token!r}: {i.reason}" for i in report.invalid], "invalid typings")
