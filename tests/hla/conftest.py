"""Fixtures for the HLA tests: the release comes from the session fixture ``imgt_dir``."""

from __future__ import annotations

from pathlib import Path

import pytest

from engraft.hla import MacDictionary, Nomenclature

# A small hand-written MAC list in the NMDP alpha.v3.txt layout (not NMDP data).
MAC_TEXT = """LAST UPDATED: 11/25/26
*\tCODE\tSUBTYPE

\tAB\t01/02
\tAC\t01/03
*\tGEN\t01:01/02:01
\tNUL\t01:01/01:04N
\tBAD\t01:01/99:99
"""


@pytest.fixture(scope="session")
def nom(imgt_dir: Path) -> Nomenclature:
    return Nomenclature.load(imgt_dir)


@pytest.fixture
def mac_file(tmp_path: Path) -> Path:
    path = tmp_path / "alpha.v3.txt"
    path.write_text(MAC_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def macs(mac_file: Path) -> MacDictionary:
    return MacDictionary.from_file(mac_file)
