"""The ``engraft db`` commands on a fresh SQLite file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from engraft.cli import app
from engraft.registry.migrate import head_revision

runner = CliRunner()


def test_db_upgrade_creates_file_then_check_passes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'registry.db'}"
    upgraded = runner.invoke(app, ["db", "upgrade", "--database", url])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"revision {head_revision()}" in upgraded.output
    assert (tmp_path / "new" / "registry.db").exists()
    checked = runner.invoke(app, ["db", "check", "--database", url])
    assert checked.exit_code == 0, checked.output
    assert "matches" in checked.output


def test_db_check_fails_on_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(app, ["db", "check", "--database", url])
    assert result.exit_code == 1


def test_version_option() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "engraft" in result.output
