"""``engraft hla install|status`` as a user runs them (a tmp cache; release files never enter the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from engraft.cli import app
from engraft.hla.nomenclature.release_files import REQUIRED_FILES
from engraft.registry.typing_validation import hla_typing_validator
from tests.io.http_directory import serve_directory
from tests.io.test_mac_list import MAC_TEXT

runner = CliRunner()


def _said(result: Result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty XDG cache and no ENGRAFT_IMGT_DIR: nothing is configured yet."""
    monkeypatch.delenv("ENGRAFT_IMGT_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "engraft" / "imgt-hla"


def test_install_from_a_local_folder_configures_the_release(cache: Path, imgt_dir: Path) -> None:
    before = runner.invoke(app, ["hla", "status"])
    assert before.exit_code == 1 and "engraft hla install" in _said(before)
    assert hla_typing_validator()[1] is None

    installed = runner.invoke(app, ["hla", "install", "--from", str(imgt_dir)])
    assert installed.exit_code == 0, installed.output
    assert "installed IPD-IMGT/HLA 3.58.0" in _said(installed)
    target = cache / "3.58.0"
    assert all((target / rel).read_bytes() == (imgt_dir / rel).read_bytes() for rel in REQUIRED_FILES)
    assert not list(target.rglob("*.part"))

    status = runner.invoke(app, ["hla", "status"])
    assert status.exit_code == 0, status.output
    assert "configured release: IPD-IMGT/HLA 3.58.0 (from the cache" in _said(status)
    validator, release = hla_typing_validator()
    assert release == "3.58.0"
    validator("HLA-A*01:01+HLA-A*02:01")

    again = runner.invoke(app, ["hla", "install", "3.58.0", "--from", str(imgt_dir)])
    assert again.exit_code == 0, again.output


def test_status_names_the_environment_variable(imgt_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    status = runner.invoke(app, ["hla", "status"])
    assert status.exit_code == 0, status.output
    assert "3.58.0" in status.output and "ENGRAFT_IMGT_DIR=" in _said(status)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["3.57.0"], "holds release 3.58.0, not the requested 3.57.0", id="other-release-than-files"),
        pytest.param(["latest"], "not the requested latest", id="not-a-release-number"),
    ],
)
def test_install_checks_the_release_number_read_from_the_files(
    cache: Path, imgt_dir: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["hla", "install", *arguments, "--from", str(imgt_dir)])
    assert result.exit_code == 1
    assert message in _said(result)
    assert not cache.exists() or not any(cache.rglob("*.txt"))


def test_install_from_an_incomplete_or_missing_folder_fails_in_one_line(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "partial" / "wmda").mkdir(parents=True)
    partial = runner.invoke(app, ["hla", "install", "--from", str(tmp_path / "partial")])
    assert partial.exit_code == 1 and "lacks wmda/hla_nom.txt" in _said(partial)
    assert isinstance(partial.exception, SystemExit)
    missing = runner.invoke(app, ["hla", "install", "--from", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "does not exist" in _said(missing)
    assert isinstance(missing.exception, SystemExit)


def test_download_refuses_a_malformed_release_before_any_network_access(cache: Path) -> None:
    result = runner.invoke(app, ["hla", "install", "latest"])
    assert result.exit_code == 1 and "is not of the form '3.58.0'" in _said(result)
    assert not cache.exists()


def test_demo_without_a_release_loads_no_typings_and_says_how_to_install_one(cache: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(app, ["demo", "--database", url, "--transplants", "2"])
    assert result.exit_code == 0, _said(result)
    assert "engraft hla install" in _said(result) and "without HLA typings" in _said(result)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            donors = conn.execute(text("SELECT count(*), count(hla_gl_string) FROM donor")).one()
    finally:
        engine.dispose()
    assert donors[0] >= 1 and donors[1] == 0  # donors stored, no typing stored unchecked


def test_install_mac_downloads_from_a_server_and_status_names_it(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imgt_dir: Path
) -> None:
    monkeypatch.delenv("ENGRAFT_MAC_FILE", raising=False)
    site = tmp_path / "site"
    site.mkdir()
    (site / "alpha.v3.txt").write_text(MAC_TEXT, encoding="utf-8")
    with serve_directory(site) as base:
        installed = runner.invoke(app, ["hla", "install-mac", "--url", f"{base}/alpha.v3.txt"])
        missing = runner.invoke(app, ["hla", "install-mac", "--url", f"{base}/none.zip"])
    assert installed.exit_code == 0, installed.output
    assert "installed the MAC list (3 codes)" in _said(installed)
    assert missing.exit_code == 1 and isinstance(missing.exception, SystemExit)
    said = _said(missing)
    assert "error: download of the MAC list from" in said and "HTTP Error 404" in said
    assert "Traceback" not in missing.output and len(missing.output.strip().splitlines()) == 1
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    status = runner.invoke(app, ["hla", "status"])
    assert status.exit_code == 0, status.output
    assert "MAC list: from the cache" in _said(status)


def test_install_mac_from_a_file_that_is_no_mac_list_fails_in_one_line(cache: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html>no codes here</html>\n", encoding="utf-8")
    result = runner.invoke(app, ["hla", "install-mac", "--from", str(page)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "holds no MAC code lines" in _said(result) and "Traceback" not in result.output
    status = runner.invoke(app, ["hla", "status"])
    assert "MAC list: none (run `engraft hla install-mac`" in _said(status)


def test_registry_typings_with_a_mac_or_serology_after_install_mac(
    cache: Path, tmp_path: Path, imgt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENGRAFT_MAC_FILE", raising=False)
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    validator, _ = hla_typing_validator()
    validator("HLA-A2+HLA-A24^B7+B8^DR15+DR4")  # an old serology-typed record
    with pytest.raises(ValueError, match="engraft hla install-mac"):
        validator("HLA-A*01:AB+HLA-A*02:01")
    mac = tmp_path / "alpha.v3.txt"
    mac.write_text(MAC_TEXT, encoding="utf-8")
    assert runner.invoke(app, ["hla", "install-mac", "--from", str(mac)]).exit_code == 0
    typings = validator("HLA-A*01:AB+HLA-A*02:01")
    assert isinstance(typings, dict) and "A" in typings
    with pytest.raises(ValueError, match="'ZZZ' is not in the MAC list"):
        validator("HLA-A*01:ZZZ+HLA-A*02:01")
