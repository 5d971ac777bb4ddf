"""The NMDP MAC list installed from a real HTTP server on 127.0.0.1 (a small list written by the test)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from engraft.config.mac_list import (
    MAC_ENV_VAR,
    cached_mac_file,
    configured_mac_list,
    default_mac_cache_dir,
    load_mac_dictionary,
)
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.io.mac_list import download_mac_list, install_mac_list_from, mac_text
from tests.io.http_directory import QuietHandler, serve_directory

# Hand-written in the NMDP alpha.v3.txt layout (not NMDP data).
MAC_TEXT = "LAST UPDATED: 12/04/26\n*\tCODE\tSUBTYPE\n\n\tAB\t01/02\n*\tGEN\t01:01/02:01\n\tNUL\t01:01/01:04N\n"


class _Truncating(QuietHandler):
    """Announces more bytes than it sends: a download cut short."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "10000")
        self.end_headers()
        self.wfile.write(MAC_TEXT.encode())


def _zip(text: str, name: str = "alpha.v3.txt") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """A real HTTP server serving the list as text, as the NMDP zip, and a page that is no MAC list."""
    root = tmp_path / "site"
    (root / "mac" / "files").mkdir(parents=True)
    (root / "mac" / "files" / "alpha.v3.txt").write_text(MAC_TEXT, encoding="utf-8")
    (root / "mac" / "files" / "alpha.v3.zip").write_bytes(_zip(MAC_TEXT))
    (root / "mac" / "files" / "page.html").write_text("<html><body>maintenance</body></html>", encoding="utf-8")
    with serve_directory(root) as base:
        yield base


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(MAC_ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return default_mac_cache_dir()


@pytest.mark.parametrize("name", [pytest.param("alpha.v3.zip", id="nmdp-zip"), pytest.param("alpha.v3.txt", id="text")])
def test_download_installs_the_list_in_the_cache(site: str, cache: Path, name: str) -> None:
    assert configured_mac_list() is None and load_mac_dictionary() is None
    seen: list[tuple[int, int | None]] = []
    installed = download_mac_list(f"{site}/mac/files/{name}", progress=lambda done, total: seen.append((done, total)))
    assert installed.path == cache / "alpha.v3.txt" and installed.codes == 3
    assert installed.path.read_text(encoding="utf-8") == MAC_TEXT
    assert seen and seen[-1][0] == seen[-1][1]  # the server sent Content-Length; every byte arrived
    configured = configured_mac_list()
    assert configured is not None and configured.source == "cache"
    macs = load_mac_dictionary()
    assert macs is not None and macs.expand("A*02:AB") == ("A*02:01", "A*02:02")
    assert not list(cache.glob("*.part"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param("/mac/files/missing.zip", "HTTP Error 404", id="not-found"),
        pytest.param("/mac/files/page.html", "holds no MAC code lines", id="not-a-mac-list"),
    ],
)
def test_a_failed_download_keeps_the_installed_list(site: str, cache: Path, path: str, message: str) -> None:
    download_mac_list(f"{site}/mac/files/alpha.v3.txt")
    before = cached_mac_file().read_bytes()
    with pytest.raises(HlaReleaseError, match=message):
        download_mac_list(f"{site}{path}")
    assert cached_mac_file().read_bytes() == before
    assert not list(cache.glob("*.part"))


def test_a_download_cut_short_is_refused(tmp_path: Path, cache: Path) -> None:
    with serve_directory(tmp_path, _Truncating) as base, pytest.raises(HlaReleaseError, match=r"failed|stopped at"):
        download_mac_list(f"{base}/alpha.v3.txt", timeout=5)
    assert not cached_mac_file().exists()


def test_nothing_listens_on_the_port(cache: Path) -> None:
    with pytest.raises(HlaReleaseError, match=r"download of the MAC list from http://127\.0\.0\.1:9/x failed"):
        download_mac_list("http://127.0.0.1:9/x", timeout=5)
    assert not cached_mac_file().exists()


def test_install_from_a_local_file_or_zip(tmp_path: Path, cache: Path) -> None:
    text = tmp_path / "alpha.v3.txt"
    text.write_text(MAC_TEXT, encoding="utf-8")
    assert install_mac_list_from(text).codes == 3
    archive = tmp_path / "alpha.v3.zip"
    archive.write_bytes(_zip(MAC_TEXT.replace("\tAB\t01/02", "\tAB\t01/02/03")))
    assert install_mac_list_from(archive).codes == 3
    macs = load_mac_dictionary()
    assert macs is not None and macs.codes["AB"] == ("01", "02", "03")  # the newer file is read again


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"\tAB\t01/x2\n", "line 1: bad allele list", id="bad-allele-list"),
        pytest.param(b"\xff\xfe\x00", "is not a text MAC list", id="binary"),
        pytest.param(b"PK\x03\x04 broken", "is not a readable zip", id="broken-zip"),
        pytest.param(_zip("x", name="readme.md"), "zip without a .txt MAC list", id="zip-without-list"),
    ],
)
def test_a_file_that_is_not_a_mac_list_is_refused(tmp_path: Path, cache: Path, content: bytes, message: str) -> None:
    path = tmp_path / "list"
    path.write_bytes(content)
    with pytest.raises(HlaReleaseError, match=message):
        install_mac_list_from(path)
    assert not cached_mac_file().exists()


def test_environment_variable_takes_precedence(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "own.txt"
    own.write_text("\tZZ\t01/02\n", encoding="utf-8")
    monkeypatch.setenv(MAC_ENV_VAR, str(own))
    configured = configured_mac_list()
    assert configured is not None and configured.source == MAC_ENV_VAR
    macs = load_mac_dictionary()
    assert macs is not None and set(macs.codes) == {"ZZ"}
    monkeypatch.setenv(MAC_ENV_VAR, str(tmp_path / "gone.txt"))
    with pytest.raises(HlaReleaseError, match=r"gone\.txt, which is not a file"):
        configured_mac_list()


def test_mac_text_prefers_alpha_v3_in_a_zip() -> None:
    data = _zip("\tAB\t01/02\n", name="alpha.v3.txt")
    assert "AB" in mac_text(data, "x.zip")
