"""docs/outcomes-worked-analysis.md: its script runs, prints exactly the document's output, saves its figures."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from engraft.io.outcome_mapping import read_mapping
from engraft.io.registry_outcomes import read_registry_csv
from engraft.outcomes import OutcomeInputError
from tests.outcomes._artefacts import ARTEFACTS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "outcomes-worked-analysis.md"
SCRIPT = ROOT / "docs" / "examples" / "outcomes" / "worked_analysis.py"


def test_the_documented_output_is_what_the_script_prints(capsys: pytest.CaptureFixture[str]) -> None:
    out = ARTEFACTS / "worked-analysis"
    runpy.run_path(str(SCRIPT), run_name="worked_analysis")["main"](out)
    printed = capsys.readouterr().out.replace(str(out), "out/worked-analysis")
    command = "$ .venv/bin/python docs/examples/outcomes/worked_analysis.py out/worked-analysis\n"
    block = DOC.read_text().split(command)[1]
    assert block.startswith(printed)  # every line, in order, up to the end of the output
    for name in ("dfs_by_disease", "relapse_by_disease", "nrm_by_disease"):
        assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert (ROOT / "docs" / "images" / "outcomes-worked-analysis" / f"{name}.png").exists()


def test_the_documented_refusal_is_the_real_one(tmp_path: Path) -> None:
    source = tmp_path / "bmt_cibmtr.csv"
    source.write_text("pseudoid,disease,intxrel,rel,trm,dfs\nP001,1,13,1,1,1\n")
    with pytest.raises(OutcomeInputError) as refused:
        read_registry_csv(source, read_mapping(SCRIPT.parent / "cibmtr-bmt.toml"))
    assert f"`{refused.value}`" in " ".join(DOC.read_text().split())
