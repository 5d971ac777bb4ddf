"""Locating a release: explicit directory, environment variable, versioned cache and local install.

The download, against a real HTTP server on 127.0.0.1: tests/io/test_imgt_download.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engraft.hla import HlaReleaseError, Nomenclature
from engraft.io.imgt_release import (
    configured_release,
    install_release_from,
    installed_releases,
    load_nomenclature,
    locate_release,
    release_branch,
)


def test_explicit_directory(imgt_dir: Path) -> None:
    files = locate_release(imgt_dir)
    assert files.release == "3.58.0"
    assert files.root == imgt_dir.resolve()


def test_environment_variable(imgt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    assert locate_release().release == "3.58.0"


def test_missing_directory_names_path(tmp_path: Path) -> None:
    with pytest.raises(HlaReleaseError, match="does not exist"):
        locate_release(tmp_path / "nope")


def test_incomplete_directory_lists_missing_files(tmp_path: Path) -> None:
    (tmp_path / "wmda").mkdir()
    with pytest.raises(HlaReleaseError, match=r"lacks wmda/hla_nom\.txt"):
        locate_release(tmp_path)


def test_no_release_and_no_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENGRAFT_IMGT_DIR", raising=False)
    with pytest.raises(HlaReleaseError, match=r"allow a download of 3\.58\.0"):
        locate_release(cache_dir=tmp_path)


def test_branch_name() -> None:
    assert release_branch("3.58.0") == "3580"
    with pytest.raises(HlaReleaseError):
        release_branch("latest")


def test_configured_release_prefers_the_environment_variable_over_the_cache(
    imgt_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENGRAFT_IMGT_DIR", raising=False)
    with pytest.raises(HlaReleaseError, match="engraft hla install"):
        configured_release(cache_dir=tmp_path)
    installed = install_release_from(imgt_dir, cache_dir=tmp_path).files
    assert installed.root == (tmp_path / "3.58.0").resolve() and installed.release == "3.58.0"
    assert installed_releases(tmp_path) == ["3.58.0"]
    from_cache = configured_release(cache_dir=tmp_path)
    assert from_cache.source == "cache" and from_cache.files == installed
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    from_env = configured_release(cache_dir=tmp_path)
    assert from_env.source == "ENGRAFT_IMGT_DIR" and from_env.files.root == imgt_dir.resolve()
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(tmp_path / "gone"))
    with pytest.raises(HlaReleaseError, match="ENGRAFT_IMGT_DIR names no usable"):
        configured_release(cache_dir=tmp_path)


def test_install_from_a_folder_holding_another_release_is_refused(imgt_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(HlaReleaseError, match=r"holds release 3\.58\.0, not the requested 3\.59\.0"):
        install_release_from(imgt_dir, release="3.59.0", cache_dir=tmp_path)
    assert installed_releases(tmp_path) == []


def test_load_nomenclature_reads_the_configured_release_once(imgt_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    assert load_nomenclature() is load_nomenclature(imgt_dir) is Nomenclature.load(imgt_dir)
