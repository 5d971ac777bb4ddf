"""``engraft donors generate|import|search`` end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from engraft.cli import app
from engraft.cli.common import console
from engraft.cli.donor_output import TCE_COLUMN, dpb1_column
from engraft.cli.donors import DonorTypeChoice, FileFormatChoice
from engraft.hla import Nomenclature
from engraft.hla.matching.dpb1_tce import TcePermissiveness
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.ranking import DPB1_LABEL
from engraft.hla.search.search_models import SearchCriteria, SearchResult
from engraft.io.donor_files import DonorFileFormat
from engraft.vocabulary import DonorKind

PATIENT = (
    "HLA-A*01:01+HLA-A*02:01^HLA-B*08:01+HLA-B*44:02^HLA-C*07:01+HLA-C*05:01^HLA-DRB1*03:01+HLA-DRB1*04:01"
    "^HLA-DQB1*02:01+HLA-DQB1*03:01"
)


def test_generate_then_search(tmp_path: Path, imgt_dir: Path) -> None:
    runner = CliRunner()
    store = tmp_path / "store"
    common = ["--store", str(store), "--imgt-dir", str(imgt_dir)]
    generated = runner.invoke(app, ["donors", "generate", "--donors", "3000", "--seed", "3", *common])
    assert generated.exit_code == 0, generated.output
    assert "3,000 synthetic donors" in generated.output
    searched = runner.invoke(app, ["donors", "search", PATIENT, "--mismatches", "2", "--limit", "5", "--json", *common])
    assert searched.exit_code == 0, searched.output
    result = json.loads(searched.output)
    assert result["loci"] == ["A", "B", "C", "DRB1", "DQB1"]
    assert all(d["mismatch_count"] <= 2 for d in result["donors"])
    table = runner.invoke(app, ["donors", "search", PATIENT, "--mismatches", "1", "--loci", "A,B,C,DRB1", *common])
    assert table.exit_code == 0 and "rank" in table.output
    bad = runner.invoke(app, ["donors", "search", "HLA-A*99:99+HLA-A*01:01", *common])
    assert bad.exit_code == 1
    facts = ["--donor-type", "any", "--patient-cmv", "Positive", "--patient-abo", "AB", "--json"]
    anyone = runner.invoke(app, ["donors", "search", PATIENT, "--mismatches", "2", "--limit", "50", *facts, *common])
    assert anyone.exit_code == 0, anyone.output
    donors = json.loads(anyone.output)["donors"]
    assert {d["donor_type"] for d in donors} <= {"adult", "cord"} and all(d["cmv"] for d in donors)
    sibling = runner.invoke(app, ["donors", "search", PATIENT, "--donor-type", "sibling", *common])
    assert sibling.exit_code == 2 and "sibling" in sibling.output


def test_donor_type_choices_are_the_vocabulary_and_any() -> None:
    assert {c.value for c in DonorTypeChoice} == {k.value for k in DonorKind} | {"any"}


def test_file_format_choices_are_the_formats_and_auto() -> None:
    assert {c.value for c in FileFormatChoice} == {f.value for f in DonorFileFormat} | {"auto"}


def test_import_reports_values_it_does_not_accept(tmp_path: Path, imgt_dir: Path) -> None:
    source = tmp_path / "donors.csv"
    source.write_text(
        "donor_id,cmv,gl\n"
        "1,pos,A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*03:01\n"
        "2,postive,A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*03:01\n",
        encoding="utf-8",
    )
    command = ["donors", "import", str(source), "--format", "csv", "--store", str(tmp_path / "s")]
    result = CliRunner().invoke(app, [*command, "--imgt-dir", str(imgt_dir)])
    assert result.exit_code == 0, result.output
    assert "stored 1" in result.output and "rejected 1 donor(s)" in result.output
    assert "donor 2 cmv: 'postive': expected CMV serostatus: one of 'positive'" in result.output


def test_import_atlas_sample(tmp_path: Path, imgt_dir: Path, atlas_samples_dir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "donors",
            "import",
            str(atlas_samples_dir / "donors-1000.json"),
            "--store",
            str(tmp_path / "s"),
            "--imgt-dir",
            str(imgt_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "read 1,000" in result.output


def test_search_without_store_fails_clearly(tmp_path: Path, imgt_dir: Path) -> None:
    result = CliRunner().invoke(
        app, ["donors", "search", PATIENT, "--store", str(tmp_path / "none"), "--imgt-dir", str(imgt_dir)]
    )
    assert result.exit_code == 2


def test_search_predicts_with_hf_sets_for_the_atlas_sample(
    tmp_path: Path, imgt_dir: Path, atlas_samples_dir: Path
) -> None:
    """Every predicted donor of the Atlas sample gets probabilities; a second global set is refused in one line."""
    runner = CliRunner()
    common = ["--store", str(tmp_path / "s"), "--imgt-dir", str(imgt_dir)]
    donors_file = atlas_samples_dir / "donors-1000.json"
    assert runner.invoke(app, ["donors", "import", str(donors_file), *common]).exit_code == 0
    first = json.loads(donors_file.read_text(encoding="utf-8"))["donors"][0]["Hla"]
    patient = "^".join(
        f"{locus}{first[locus]['Dna']['Field1']}+{locus}{first[locus]['Dna']['Field2']}"
        for locus in ("A", "B", "C", "DRB1", "DQB1")
    )
    hf = str(atlas_samples_dir / "hf-set-301.json")
    search = ["donors", "search", patient, "--mismatches", "4", "--limit", "10", "--predict-top", "10", "--json"]
    result = runner.invoke(app, [*search, "--hf-set", hf, "--consistency", "g_group", *common])
    assert result.exit_code == 0, result.output
    predictions = [d["prediction"] for d in json.loads(result.output)["donors"]]
    assert predictions and all(p is not None and p["p_mismatches"] is not None for p in predictions)
    assert {p["donor_genotype"] for p in predictions} == {"typed"}
    twice = runner.invoke(app, [*search, "--hf-set", hf, "--hf-set", hf, *common])
    assert twice.exit_code == 2 and "both cover registry any, ethnicity any" in " ".join(twice.output.split())
    assert "Traceback" not in twice.output


GL_DONOR = "A*01:01+A*02:01^B*08:01+B*44:02^C*07:01+C*05:01^DRB1*03:01+DRB1*04:01^DQB1*02:01+DQB1*03:01"


def _one_line_error(result: Result, *fragments: str) -> str:
    """The refusal: exit status 2, one line on stderr, no traceback, no raw repr."""
    text = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert text.startswith("error: ") and "Traceback" not in text and "Error(" not in text
    for fragment in fragments:
        assert fragment in text, text
    return text


@pytest.fixture
def common(tmp_path: Path, imgt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("ENGRAFT_HF_SET", raising=False)
    monkeypatch.delenv("ENGRAFT_MAC_FILE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return ["--store", str(tmp_path / "store"), "--imgt-dir", str(imgt_dir)]


def test_generate_never_overwrites_a_store_without_force(tmp_path: Path, common: list[str]) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["donors", "generate", "--donors", "200", "--seed", "1", *common])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["donors", "generate", "--donors", "100", *common])
    _one_line_error(again, "already holds a donor store (200 donors)", "pass --force to replace it")
    assert len(DonorStore.open(tmp_path / "store")) == 200
    forced = runner.invoke(app, ["donors", "generate", "--donors", "100", "--force", *common])
    assert forced.exit_code == 0, forced.output
    assert len(DonorStore.open(tmp_path / "store")) == 100


def test_generate_refuses_a_folder_that_is_not_a_store_even_with_force(tmp_path: Path, imgt_dir: Path) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    for extra in ([], ["--force"]):
        result = CliRunner().invoke(
            app, ["donors", "generate", "--donors", "10", "--store", str(folder), "--imgt-dir", str(imgt_dir), *extra]
        )
        _one_line_error(result, "is a folder that is not empty")
    assert (folder / "keep.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("content", "extra", "fragments"),
    [
        pytest.param("donor_id,gl\n1,A*01:01\n", ["--format", "json"], ["is not valid JSON", "line 1, column 1"],
                     id="csv-as-json"),
        pytest.param("id;typing\n1;A*01:01\n", [], ["neither JSON nor a donor CSV", "no donor_id column"],
                     id="not-a-donor-csv"),
        pytest.param('[{"donor_id": 1}', [], ["is not valid JSON"], id="truncated-json"),
        pytest.param('{"donors": 3}', [], ["JSON object with a 'donors' list"], id="atlas-without-list"),
        pytest.param("", [], ["is empty"], id="empty"),
    ],
)  # fmt: skip
def test_import_refuses_an_unreadable_file_in_one_line_and_writes_nothing(
    tmp_path: Path, common: list[str], content: str, extra: list[str], fragments: list[str]
) -> None:
    source = tmp_path / "donors.dat"
    source.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["donors", "import", str(source), *extra, *common])
    _one_line_error(result, str(source), *fragments)
    assert not (tmp_path / "store").exists()


def test_import_of_a_missing_file_is_one_line(tmp_path: Path, common: list[str]) -> None:
    result = CliRunner().invoke(app, ["donors", "import", str(tmp_path / "nowhere.csv"), *common])
    _one_line_error(result, "cannot read", "nowhere.csv")


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        pytest.param("d.csv", f"donor_id,gl\n1,{GL_DONOR}\n2,{GL_DONOR}\n", "csv", id="csv"),
        pytest.param("d.json", json.dumps([{"donor_id": 1, "gl": GL_DONOR}, {"donor_id": 2, "gl": GL_DONOR}]),
                     "json", id="json"),
        pytest.param("d.txt", f"donor_id,gl\n1,{GL_DONOR}\n2,{GL_DONOR}\n", "csv", id="csv-any-extension"),
    ],
)  # fmt: skip
def test_import_guesses_the_format_from_the_content(
    tmp_path: Path, common: list[str], name: str, content: str, fmt: str
) -> None:
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["donors", "import", str(source), *common])
    assert result.exit_code == 0, result.output
    assert f"read 2 ({fmt}), stored 2" in " ".join(result.output.split())


def test_import_reports_flagged_alleles_and_missing_loci(tmp_path: Path, common: list[str]) -> None:
    source = tmp_path / "old.csv"
    source.write_text(
        "donor_id,A_1,A_2,B_1,B_2,DRB1_1,DRB1_2\n"
        "1,A2,A*24:999,B7,B8,DR15,DR4\n"
        "2,A*01:01,A*02:01,B*08:01,,,\n"
        "3,A*NEW,A*01:XX,B*08:01,B*44:02,DRB1*03:01,DRB1*04:01\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["donors", "import", str(source), *common])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "read 3 (csv), stored 2" in said and "rejected 1 donor(s)" in said
    assert "flagged 1 allele(s) unknown to IPD-IMGT/HLA 3.58.0 in 1 stored donor(s)" in said
    assert "donor 1 A: 'A*24:999' stored as 'A*NEW': no current allele named A*24:999" in said
    assert "1 donor(s) missing a required locus (A, B, DRB1), not stored" in said
    assert "donor 2: DRB1 untyped" in said


def test_import_with_a_mac_list(tmp_path: Path, common: list[str]) -> None:
    mac = tmp_path / "alpha.v3.txt"
    mac.write_text("LAST UPDATED: 12/04/26\n*\tCODE\tSUBTYPE\n\n\tAB\t01/02\n", encoding="utf-8")
    source = tmp_path / "d.csv"
    source.write_text(f"donor_id,gl\n1,{GL_DONOR.replace('A*01:01+', 'A*01:AB+')}\n", encoding="utf-8")
    runner = CliRunner()
    without = runner.invoke(app, ["donors", "import", str(source), *common])
    assert "rejected 1" in without.output and "no MAC dictionary" in " ".join(without.output.split())
    with_list = runner.invoke(app, ["donors", "import", str(source), "--mac", str(mac), *common])
    assert with_list.exit_code == 0 and "stored 1" in with_list.output, with_list.output
    patient = PATIENT.replace("HLA-A*01:01+", "HLA-A*01:AB+")
    refused = runner.invoke(app, ["donors", "search", patient, *common])
    _one_line_error(refused, "multiple-allele code", "engraft hla install-mac")
    found = runner.invoke(app, ["donors", "search", patient, "--json", "--mac", str(mac), *common])
    assert found.exit_code == 0, found.output
    assert [d["donor_id"] for d in json.loads(found.output)["donors"]] == [1]
    missing = runner.invoke(app, ["donors", "search", patient, "--mac", str(tmp_path / "none.txt"), *common])
    _one_line_error(missing, "none.txt is not a file")


def test_prediction_without_frequencies_for_an_imported_store_is_refused(tmp_path: Path, common: list[str]) -> None:
    source = tmp_path / "d.csv"
    source.write_text(f"donor_id,gl\n1,{GL_DONOR}\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["donors", "import", str(source), *common]).exit_code == 0
    result = runner.invoke(app, ["donors", "search", PATIENT, "--predict-top", "5", *common])
    _one_line_error(result, "--predict-top needs the haplotype frequencies", "--hf-set", "ENGRAFT_HF_SET")
    plain = runner.invoke(app, ["donors", "search", PATIENT, *common])
    assert plain.exit_code == 0, plain.output


@pytest.fixture
def wide_console() -> Iterator[None]:
    """The table printed without wrapping its cells (rich reads the width once, at start)."""
    before = console._width
    console.width = 400
    try:
        yield
    finally:
        console._width = before


@pytest.mark.usefixtures("wide_console")
def test_prediction_uses_the_given_set_and_shows_probabilities(
    tmp_path: Path, common: list[str], atlas_samples_dir: Path
) -> None:
    runner = CliRunner()
    source = atlas_samples_dir / "donors-1000.json"
    assert runner.invoke(app, ["donors", "import", str(source), *common]).exit_code == 0
    hf = ["--hf-set", str(atlas_samples_dir / "hf-set-301.json")]
    args = ["donors", "search", PATIENT, "--mismatches", "4", "--limit", "5", "--predict-top", "5", *hf, *common]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "P(mismatches)" in table.output
    assert "0 mm " in table.output or "not explained by the frequency set" in table.output
    data = runner.invoke(app, [*args, "--json"])
    assert data.exit_code == 0, data.output
    assert all(d.get("prediction") is not None for d in json.loads(data.output)["donors"])
    bad = runner.invoke(app, [*args[: -len(common) - 2], "--hf-set", str(source), *common])
    _one_line_error(bad, "haplotype frequency set", str(source))


@pytest.mark.usefixtures("wide_console")
def test_a_generated_store_predicts_with_the_set_it_was_generated_from(tmp_path: Path, common: list[str]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["donors", "generate", "--donors", "2000", "--seed", "5", *common]).exit_code == 0
    args = ["donors", "search", PATIENT, "--mismatches", "2", "--limit", "5", "--predict-top", "5", *common]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "P(mismatches)" in result.output and "0 mm " in result.output  # the demo set explains demo donors
    source = tmp_path / "d.csv"
    source.write_text(f"donor_id,gl\n99999999,{GL_DONOR}\n", encoding="utf-8")
    imported = runner.invoke(app, ["donors", "import", str(source), *common])
    assert imported.exit_code == 0 and "match prediction needs" in " ".join(imported.output.split())
    _one_line_error(runner.invoke(app, args), "--predict-top needs the haplotype frequencies")


@pytest.mark.parametrize(
    ("category", "column", "phrase"),
    [
        pytest.param(TcePermissiveness.PERMISSIVE, "permissive mismatch", "DPB1 permissive mismatch", id="permissive"),
        pytest.param(TcePermissiveness.NON_PERMISSIVE_GVH, "non-permissive (GvH)", "DPB1 non-permissive mismatch",
                     id="gvh"),
        pytest.param(TcePermissiveness.NON_PERMISSIVE_HVG, "non-permissive (HvG)", "DPB1 non-permissive mismatch",
                     id="hvg"),
        pytest.param(TcePermissiveness.UNKNOWN, "unknown", "DPB1 permissiveness unknown", id="unknown"),
    ],
)  # fmt: skip
def test_every_tce_category_has_a_column_text(category: TcePermissiveness, column: str, phrase: str) -> None:
    assert TCE_COLUMN[category] == column
    assert phrase in DPB1_LABEL.values()


DPB1_PATIENT = PATIENT + "^HLA-DPB1*04:01+HLA-DPB1*02:01"


def test_the_dpb1_column_and_the_reason_agree(tmp_path: Path, common: list[str]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["donors", "generate", "--donors", "3000", "--seed", "11", *common]).exit_code == 0
    args = ["donors", "search", DPB1_PATIENT, "--mismatches", "4", "--limit", "200", "--json", *common]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    engine_result = _search(tmp_path / "store", common[-1], DPB1_PATIENT)
    expected = {
        "matched": "DPB1 allele-matched",
        "permissive mismatch": "DPB1 permissive mismatch",
        "non-permissive (GvH)": "DPB1 non-permissive mismatch",
        "non-permissive (HvG)": "DPB1 non-permissive mismatch",
        "unknown": "DPB1 permissiveness unknown",
        "unknown (untyped)": "DPB1 permissiveness unknown",
    }
    seen = set()
    for donor in engine_result.donors:
        column = dpb1_column(donor)
        seen.add(column)
        assert expected[column] in donor.reason, (column, donor.reason)
    assert {"matched", "unknown (untyped)"} <= seen and seen & {"non-permissive (GvH)", "non-permissive (HvG)"}


def _search(store: Path, imgt_dir: str, patient: str) -> SearchResult:
    nom = Nomenclature.load(imgt_dir)
    criteria = SearchCriteria(max_mismatches=4, limit=200)
    return DonorSearch(DonorStore.open(store), nom).search(patient_typing(nom, patient), criteria)


def test_a_serology_typed_patient_is_searched(tmp_path: Path, common: list[str]) -> None:
    source = tmp_path / "d.csv"
    source.write_text(
        "donor_id,A_1,A_2,B_1,B_2,DRB1_1,DRB1_2\n"
        "1,A*02:01,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01\n"
        "2,A*01:01,A*24:02,B*07:02,B*08:01,DRB1*15:01,DRB1*04:01\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(app, ["donors", "import", str(source), *common]).exit_code == 0
    args = ["donors", "search", "A2+A24^B7+B8^DR15+DR4", "--loci", "A,B,DRB1", "--mismatches", "1", "--json"]
    result = runner.invoke(app, [*args, *common])
    assert result.exit_code == 0, result.output
    donors = {d["donor_id"]: d["mismatch_count"] for d in json.loads(result.output)["donors"]}
    assert donors == {1: 0, 2: 1}


def test_a_patient_with_a_new_allele_needs_no_mac_list(tmp_path: Path, common: list[str]) -> None:
    source = tmp_path / "d.csv"
    source.write_text(f"donor_id,gl\n1,{GL_DONOR}\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["donors", "import", str(source), *common]).exit_code == 0
    patient = PATIENT.replace("HLA-A*01:01+", "HLA-A*01:NEW+")
    result = runner.invoke(app, ["donors", "search", patient, "--mismatches", "1", "--json", *common])
    assert result.exit_code == 0, result.output
    # A*01:NEW against the donor's A*01:01: a mismatch (WMDA: NEW is always a mismatch)
    assert [(d["donor_id"], d["mismatch_count"]) for d in json.loads(result.output)["donors"]] == [(1, 1)]
