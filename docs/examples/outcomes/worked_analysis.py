"""The worked analysis of docs/outcomes-worked-analysis.md: a CIBMTR-layout CSV to tables and figures.

Run from the repository root (needs the test extras for scikit-survival's BMT data)::

    .venv/bin/python docs/examples/outcomes/worked_analysis.py out/worked-analysis

tests/outcomes/test_worked_analysis.py runs it too, so the document's output stays true.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pandas as pd

from engraft.io.figures import save_figure
from engraft.io.outcome_mapping import read_mapping
from engraft.io.registry_outcomes import read_registry_csv
from engraft.outcomes import cumulative_incidence_frame, kaplan_meier_frame

HERE = Path(__file__).resolve().parent
MONTHS = [0, 12, 24, 36, 48, 60, 72]


def write_bmt_csv(path: Path) -> Path:
    """Step 0: scikit-survival's BMT data (35 patients, months) as a CIBMTR public-dataset style CSV."""
    from sksurv.datasets import load_bmt

    x, y = load_bmt()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["pseudoid", "disease", "intxrel", "rel", "trm", "dfs"])
        for i, (dis, status, months) in enumerate(zip(x["dis"], y["status"], y["ftime"], strict=True)):
            code = 1 if int(dis) == 0 else 2  # the study's codes: 1 = ALL, 2 = AML
            s = int(status)
            writer.writerow([f"P{i + 1:03d}", code, f"{months:g}", int(s == 1), int(s == 2), int(s > 0)])
    return path


def show(title: str, frame: pd.DataFrame) -> None:
    print(f"\n## {title}")
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def main(out: Path) -> None:
    source = write_bmt_csv(out / "bmt_cibmtr.csv")
    imported = read_registry_csv(source, read_mapping(HERE / "cibmtr-bmt.toml"))
    df = imported.to_frame("pandas")
    show(f"{len(df)} transplants read from {source.name} (first 5)", df.head())

    km = kaplan_meier_frame(df, time="dfs_time", event="dfs_status", by="disease", time_unit="months")
    show("Disease-free survival: n, events, median (months) with 95% limits", km.summary_frame())
    show("Disease-free survival at 12, 24 and 36 months", km.to_frame(times=[12, 24, 36]))
    test = km.logrank()
    print(f"\nlog-rank: chi2 = {test.statistic:.4f}, df = {test.df}, p = {test.p_value:.4f}")
    fig = km.plot(risk_times=MONTHS, title="Disease-free survival by disease (BMT data)")
    for path in save_figure(fig, out / "dfs_by_disease", formats=("png",)):
        print(f"wrote {path}")

    cif = cumulative_incidence_frame(df, time="relapse_time", status="relapse_status", by="disease", time_unit="months")
    show("Cumulative incidence at 12 and 24 months (cause 1 relapse, 2 NRM)", cif.to_frame(times=[12, 24]))
    for test_of_cause in cif.gray_test().tests:
        label = imported.endpoints["relapse"].cause_labels[test_of_cause.cause - 1]
        chi2, df_, p = test_of_cause.statistic, test_of_cause.df, test_of_cause.p_value
        print(f"Gray's test, {label}: chi2 = {chi2:.4f}, df = {df_}, p = {p:.4f}")
    for cause, name, title in ((1, "relapse", "Relapse"), (2, "nrm", "Non-relapse mortality")):
        fig = cif.plot(cause=cause, risk_times=MONTHS, title=f"{title} by disease (BMT data)")
        for path in save_figure(fig, out / f"{name}_by_disease", formats=("png",)):
            print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/worked-analysis"))
