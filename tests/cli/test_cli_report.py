"""``engraft report risk``: the explanation written to a file with its fingerprint; an unknown episode is one line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from engraft.cli import app as cli_app


def test_report_risk_writes_the_chinese_html(seeded: dict[str, int], database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "risk.zh.html"
    command = ["report", "risk", str(seeded["episode"]), "--lang", "zh", "--format", "html", "--out", str(out)]
    ran = CliRunner().invoke(cli_app, [*command, "--database", database_url])
    assert ran.exit_code == 0, ran.output
    html = out.read_text(encoding="utf-8")
    assert "您的移植：风险说明" in html and "wrote" in ran.output and "fingerprint" in ran.output


def test_an_unknown_episode_is_a_one_line_error(migrated_database_url: str, tmp_path: Path) -> None:
    command = ["report", "risk", "999999", "--out", str(tmp_path / "x.pdf"), "--database", migrated_database_url]
    ran = CliRunner().invoke(cli_app, command)
    assert ran.exit_code == 1 and "transplant episode" in ran.output and not (tmp_path / "x.pdf").exists()
