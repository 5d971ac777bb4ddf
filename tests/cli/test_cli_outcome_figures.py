"""``engraft outcomes survival|cif`` figure options: formats, size in millimetres, resolution, time axis unit."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.cli.test_cli_outcomes import _write_csv, invoke


def _common(tmp_path: Path) -> list[str]:
    data = _write_csv(tmp_path / "cohort.csv")
    return ["--csv", str(data), "--time-unit", "months", "--out", str(tmp_path / "out"), "--group-column", "arm"]


def test_journal_sized_pdf_and_png_with_years_on_the_axis(tmp_path: Path) -> None:
    options = ["--figure-format", "pdf", "--figure-format", "png", "--width-mm", "85", "--height-mm", "90"]
    result = invoke(
        "survival", "--time", "os_months", "--status", "os_status", *_common(tmp_path), *options, "--dpi", "300"
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    assert (out / "os.pdf").read_bytes().startswith(b"%PDF")
    assert not (out / "os.svg").exists()
    with Image.open(out / "os.png") as png:
        assert png.size == (int(85 / 25.4 * 300), int(90 / 25.4 * 300))  # matplotlib truncates
        assert png.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    cif = invoke(
        "cif",
        "--endpoint",
        "relapse",
        "--time",
        "rel_months",
        "--status",
        "rel_status",
        *_common(tmp_path),
        "--figure-format",
        "svg",
        "--figure-time-unit",
        "years",
    )
    assert cif.exit_code == 0, cif.output
    svg = (out / "relapse.svg").read_text()
    assert "Time (years)" in svg and "Gray test, p = " in svg and "(n = 20)" in svg


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--dpi", "71"], "dpi: got 71; expected 72 to 1200", id="dpi-below-72"),
        pytest.param(["--dpi", "1201"], "dpi: got 1201", id="dpi-above-1200"),
        pytest.param(["--width-mm", "49", "--height-mm", "60"], "width_mm: got 49.0", id="too-narrow"),
        pytest.param(["--width-mm", "85"], "--height-mm", id="width-without-height"),
        pytest.param(["--figure-time-unit", "weeks"], "time_unit: got 'weeks'", id="unknown-unit"),
        pytest.param(["--width-mm", "500", "--height-mm", "500", "--dpi", "1200"], "pixels", id="too-many-pixels"),
    ],
)
def test_figure_options_are_checked(tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke("survival", "--time", "os_months", "--status", "os_status", *_common(tmp_path), *args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_unknown_format_is_refused_by_the_option(tmp_path: Path) -> None:
    result = invoke(
        "survival", "--time", "os_months", "--status", "os_status", *_common(tmp_path), "--figure-format", "tiff"
    )
    assert result.exit_code == 2 and "tiff" in result.output
