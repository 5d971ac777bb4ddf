"""Downloading an IPD-IMGT/HLA release from a real HTTP server on 127.0.0.1 (a copy of the release, no fake fetcher).

The server serves the repository's layout (``/<branch>/wmda/...``) as the official repository does; the
tests alter its copy to see a damaged file refused, and point at a closed port to see "no network".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engraft.cli import app
from engraft.config.hla_release import configured_release
from engraft.hla import HlaReleaseError
from engraft.hla.nomenclature.release_files import ALLELE_STATUS_FILE, REQUIRED_FILES
from engraft.io.imgt_checksums import CHECKSUM_FILE, md5_of, parse_checksums
from engraft.io.imgt_release import (
    ReleaseUnreachable,
    download_release,
    install_release_from,
    installed_releases,
    locate_release,
)
from tests.io.release_server import ReleaseServer, closed_port_url, copy_release, serve_release

WMDA_FILES = tuple(r for r in REQUIRED_FILES if r.startswith("wmda/"))
NOT_LISTED = tuple(r for r in REQUIRED_FILES if not r.startswith("wmda/"))


@pytest.fixture
def server(imgt_dir: Path, tmp_path: Path) -> Iterator[ReleaseServer]:
    with serve_release(imgt_dir, tmp_path / "site") as running:
        yield running


@pytest.fixture
def no_configured_release(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("ENGRAFT_IMGT_DIR", raising=False)
    monkeypatch.delenv("ENGRAFT_IMGT_MIRROR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "engraft" / "imgt-hla"


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, the size unchanged
    path.write_bytes(bytes(data))


def test_download_stores_every_file_equal_to_the_release_and_checked_by_md5(
    server: ReleaseServer, imgt_dir: Path, tmp_path: Path
) -> None:
    steps: list[tuple[str, int, int]] = []
    installed = download_release(
        "3.58.0", cache_dir=tmp_path / "cache", base_url=server.base_url, progress=lambda *s: steps.append(s)
    )
    target = tmp_path / "cache" / "3.58.0"
    assert installed.files.root == target.resolve() and installed.files.release == "3.58.0"
    for rel in (*REQUIRED_FILES, CHECKSUM_FILE, ALLELE_STATUS_FILE):
        assert (target / rel).read_bytes() == (imgt_dir / rel).read_bytes(), rel
    assert set(installed.checked) == set(WMDA_FILES) and installed.not_listed == NOT_LISTED
    downloaded = (*REQUIRED_FILES, ALLELE_STATUS_FILE)
    assert installed.fetched_bytes == sum((imgt_dir / rel).stat().st_size for rel in downloaded)
    assert steps[-1] == (CHECKSUM_FILE, len(REQUIRED_FILES) + 1, len(REQUIRED_FILES) + 1)
    assert [done for _, done, _ in steps] == list(range(1, len(REQUIRED_FILES) + 2))
    assert sorted(server.requests) == sorted(f"/3580/{rel}" for rel in (CHECKSUM_FILE, *downloaded))
    assert not list(target.rglob("*.part"))
    assert installed_releases(tmp_path / "cache") == ["3.58.0"]


def test_a_second_download_fetches_only_the_checksums(server: ReleaseServer, tmp_path: Path) -> None:
    download_release("3.58.0", cache_dir=tmp_path, base_url=server.base_url)
    server.requests.clear()
    again = download_release("3.58.0", cache_dir=tmp_path, base_url=server.base_url)
    assert server.requests == [f"/3580/{CHECKSUM_FILE}"]
    assert again.fetched_bytes == 0 and set(again.checked) == set(WMDA_FILES)


def test_an_interrupted_download_resumes_and_replaces_a_damaged_leftover(
    server: ReleaseServer, imgt_dir: Path, tmp_path: Path
) -> None:
    leftover = tmp_path / "3.58.0" / "wmda" / "hla_nom_p.txt"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes((imgt_dir / "wmda" / "hla_nom_p.txt").read_bytes()[:1000])  # cut short
    intact = tmp_path / "3.58.0" / "wmda" / "rel_ser_ser.txt"
    intact.write_bytes((imgt_dir / "wmda" / "rel_ser_ser.txt").read_bytes())
    download_release("3.58.0", cache_dir=tmp_path, base_url=server.base_url)
    assert leftover.read_bytes() == (imgt_dir / "wmda" / "hla_nom_p.txt").read_bytes()
    assert "/3580/wmda/hla_nom_p.txt" in server.requests
    assert "/3580/wmda/rel_ser_ser.txt" not in server.requests  # kept: its MD5 still matches


@pytest.mark.parametrize("damaged", [pytest.param(rel, id=rel) for rel in WMDA_FILES])
def test_a_file_that_differs_from_its_published_md5_is_refused_and_not_stored(
    server: ReleaseServer, tmp_path: Path, damaged: str
) -> None:
    _damage(server.release_dir() / damaged)
    with pytest.raises(HlaReleaseError, match=rf"{damaged} from http://127\.0\.0\.1:\d+/3580/{damaged} does not match"):
        download_release("3.58.0", cache_dir=tmp_path, base_url=server.base_url)
    assert not (tmp_path / "3.58.0" / damaged).exists()
    assert installed_releases(tmp_path) == []


def test_a_checksum_file_without_a_wmda_file_is_refused(server: ReleaseServer, tmp_path: Path) -> None:
    checksums = server.release_dir() / CHECKSUM_FILE
    kept = [line for line in checksums.read_text().splitlines() if "rel_ser_ser" not in line]
    checksums.write_text("\n".join(kept) + "\n")
    with pytest.raises(HlaReleaseError, match=r"lists no checksum for wmda/rel_ser_ser\.txt"):
        download_release("3.58.0", cache_dir=tmp_path, base_url=server.base_url)
    assert not (tmp_path / "3.58.0" / "wmda" / "hla_nom.txt").exists()


def test_an_unpublished_release_is_reported_with_the_http_status(server: ReleaseServer, tmp_path: Path) -> None:
    with pytest.raises(HlaReleaseError, match=r"3990/wmda/md5checksum\.txt failed: HTTP 404 .*published release"):
        download_release("3.99.0", cache_dir=tmp_path, base_url=server.base_url)
    assert not (tmp_path / "3.99.0").exists()


def test_no_server_answering_says_how_to_install_without_network(tmp_path: Path) -> None:
    with pytest.raises(ReleaseUnreachable) as caught:
        download_release("3.58.0", cache_dir=tmp_path, base_url=closed_port_url())
    message = str(caught.value)
    assert "cannot reach 127.0.0.1:" in message and "engraft hla install --from DIR" in message
    assert "ENGRAFT_IMGT_DIR" in message and not (tmp_path / "3.58.0").exists()


def test_locate_release_downloads_from_the_mirror_named_in_the_environment(
    server: ReleaseServer, no_configured_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_MIRROR", server.base_url + "/")
    files = locate_release(allow_download=True)
    assert files.root == (no_configured_release / "3.58.0").resolve()
    assert configured_release().source == "cache"


def test_install_from_a_local_folder_checks_the_md5_too(imgt_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy_release(imgt_dir, copy)
    _damage(copy / "wmda" / "hla_nom_g.txt")
    with pytest.raises(HlaReleaseError, match=r"wmda/hla_nom_g\.txt from .* does not match"):
        install_release_from(copy, cache_dir=tmp_path / "cache")
    assert installed_releases(tmp_path / "cache") == []


def test_cli_install_downloads_reports_progress_and_the_checks(
    server: ReleaseServer, no_configured_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_MIRROR", server.base_url)
    result = CliRunner().invoke(app, ["hla", "install"])
    said = " ".join(result.output.split())
    assert result.exit_code == 0, said
    assert f"downloading IPD-IMGT/HLA 3.58.0 from {server.base_url}/3580/" in said
    assert f"downloading IPD-IMGT/HLA 3.58.0: 1/{len(REQUIRED_FILES) + 1} wmda/hla_nom.txt" in said
    assert "checked against the release's wmda/md5checksum.txt: 5 files, MD5 equal" in said
    assert "not listed in wmda/md5checksum.txt (release header checked only): tce/dpb_tce.csv, Allelelist.txt" in said
    assert configured_release().files.release == "3.58.0"


def test_cli_install_without_network_fails_in_one_line(
    no_configured_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_MIRROR", closed_port_url())
    result = CliRunner().invoke(app, ["hla", "install"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "error: cannot reach 127.0.0.1:" in said and "engraft hla install --from DIR" in said


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "MD5 (hla_nom.txt) = 841ED72754f5477575e308b83f950bb4\n", "841ed72754f5477575e308b83f950bb4", id="bsd"
        ),
        pytest.param("841ed72754f5477575e308b83f950bb4  hla_nom.txt\n", "841ed72754f5477575e308b83f950bb4", id="gnu"),
        pytest.param(
            "841ed72754f5477575e308b83f950bb4 *./hla_nom.txt\n", "841ed72754f5477575e308b83f950bb4", id="gnu-binary"
        ),
    ],
)
def test_checksum_lines_of_both_forms_are_read(text: str, expected: str) -> None:
    assert parse_checksums(text, origin="test").expected("wmda/hla_nom.txt") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("MD5 (hla_nom.txt) = 841ed727\n", "line 1: .* is not a checksum line", id="short-digest"),
        pytest.param("<html>rate limited</html>\n", "line 1: .* is not a checksum line", id="html-page"),
        pytest.param("# nothing\n\n", "holds no checksum line", id="empty"),
    ],
)
def test_a_malformed_checksum_file_is_refused(text: str, message: str) -> None:
    with pytest.raises(HlaReleaseError, match=message):
        parse_checksums(text, origin="test")


def test_the_shared_release_matches_its_own_checksums(imgt_dir: Path) -> None:
    checksums = parse_checksums((imgt_dir / CHECKSUM_FILE).read_text(), origin="shared")
    for rel in WMDA_FILES:
        assert md5_of((imgt_dir / rel).read_bytes()) == checksums.expected(rel), rel


def test_the_optional_allele_status_file_is_skipped_when_absent_and_refused_for_another_release(
    server: ReleaseServer, tmp_path: Path
) -> None:
    """Allele_status.txt (the sequence grades) is not in md5checksum.txt: its header must name the release."""
    served = server.root / "3580" / ALLELE_STATUS_FILE
    original = served.read_bytes()
    served.unlink()
    without = download_release("3.58.0", cache_dir=tmp_path / "a", base_url=server.base_url)
    assert not (tmp_path / "a" / "3.58.0" / ALLELE_STATUS_FILE).exists() and without.files.release == "3.58.0"
    served.write_bytes(original.replace(b"IPD-IMGT/HLA 3.58.0", b"IPD-IMGT/HLA 3.57.0", 1))
    with pytest.raises(
        HlaReleaseError, match=r"Allele_status.txt: its header names 3.57.0; expected IPD-IMGT/HLA 3.58.0"
    ):
        download_release("3.58.0", cache_dir=tmp_path / "b", base_url=server.base_url)
    assert not (tmp_path / "b" / "3.58.0" / ALLELE_STATUS_FILE).exists()
