"""Write the test datasets to CSV so that ``reference.R`` sees exactly what the tests see.

Usage (from the repository root)::

    .venv/bin/python tests/outcomes/reference/export_data.py /tmp/engraft-outcomes-data
    Rscript tests/outcomes/reference/reference.R /tmp/engraft-outcomes-data \
        tests/outcomes/reference/r_reference.csv

The CSV files written there are not committed. The synthetic cohort itself is committed as
``reference/synthetic.csv``; ``--regenerate-synthetic`` rewrites it from the seeded generator (then
rerun R and commit both files together).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _outcomes_data as data


def main(out_dir: str, regenerate_synthetic: bool = False) -> None:
    if regenerate_synthetic or not data.SYNTHETIC_CSV.exists():
        data.generate_synthetic().to_csv(data.SYNTHETIC_CSV, index=False, float_format="%.17g")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data.bmt().to_csv(out / "bmt.csv", index=False)
    data.cgvhd().to_csv(out / "cgvhd.csv", index=False)
    data.synthetic().to_csv(out / "synthetic.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--regenerate-synthetic"]
    main(args[0] if args else "/tmp/engraft-outcomes-data", "--regenerate-synthetic" in sys.argv)
