"""``engraft donors search ... --report FILE``: the search saved in the registry (audited) and its report written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from engraft.cli import app
from tests.io.donor_search_report_checks import pdf_text, squeezed

runner = CliRunner()
PATIENT = (
    "HLA-A*01:01+HLA-A*03:01^HLA-B*08:01+HLA-B*07:02^HLA-C*07:01+HLA-C*07:02"
    "^HLA-DRB1*03:01+HLA-DRB1*15:01^HLA-DQB1*02:01+HLA-DQB1*06:02"
)


@pytest.fixture(scope="module")
def store(imgt_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli-store") / "store"
    made = runner.invoke(
        app, ["donors", "generate", "--donors", "3000", "--store", str(path), "--imgt-dir", str(imgt_dir)]
    )
    assert made.exit_code == 0, made.output
    return path


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql)).all()]
    finally:
        engine.dispose()


def test_report_saves_the_search_and_writes_the_pdf(store: Path, imgt_dir: Path, tmp_path: Path) -> None:
    url, out = f"sqlite:///{tmp_path / 'registry.db'}", tmp_path / "search.pdf"
    arguments = ["donors", "search", PATIENT, "--mismatches", "1", "--limit", "5", "--predict-top", "3"]
    arguments += ["--store", str(store), "--imgt-dir", str(imgt_dir), "--database", url, "--report", str(out)]
    result = runner.invoke(app, [*arguments, "--note", "first look"])
    said = " ".join(result.output.split())
    if result.exit_code == 1 and "PDF documents cannot be made" in said:
        pytest.skip(said)
    assert result.exit_code == 0, said
    saved = _rows(url, "SELECT id, content_hash, run_by, note, hla_release FROM saved_donor_search")
    assert len(saved) == 1
    search_id, content_hash, run_by, note, release = saved[0]
    assert str(run_by).startswith("donors search (") and note == "first look" and release == "3.58.0"
    assert f"saved search {search_id}" in said and f"fingerprint {content_hash}" in said
    audit = _rows(url, "SELECT action, entity, entity_id, actor FROM audit_entry WHERE entity = 'saved donor search'")
    assert audit == [("create", "saved donor search", search_id, run_by)]
    document = squeezed(pdf_text(out.read_bytes()))
    assert str(content_hash) in document and "Donorsearchreport" in document
    result_json = _rows(url, "SELECT result FROM saved_donor_search")[0][0]
    assert isinstance(result_json, str)
    donors = json.loads(result_json)["donors"]
    assert donors
    for donor in donors:
        assert squeezed(f"Donor {donor['donor_id']}: rank {donor['rank']} — {donor['match_label']}") in document


def test_a_report_file_of_another_kind_is_refused_before_anything_is_saved(
    store: Path, imgt_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    arguments = ["donors", "search", PATIENT, "--store", str(store), "--imgt-dir", str(imgt_dir)]
    result = runner.invoke(app, [*arguments, "--database", url, "--report", str(tmp_path / "search.docx")])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "expected a file ending in .pdf or .html" in " ".join(result.output.split())
    assert not (tmp_path / "registry.db").exists() and not (tmp_path / "search.docx").exists()
