"""Serological antigens: broad, split and associated relationships (``rel_ser_ser.txt``).

Antigens are keyed as ``<prefix><number>`` with the WHO serological prefixes ``A``, ``B``, ``Cw``,
``DR``, ``DQ``, ``DP`` (``"A2"``, ``"B51"``, ``"Cw9"``, ``"DR15"``). A *broad* antigen (A9) was later
split into *splits* (A23, A24); an *associated* antigen (A203, B3901) is a serological variant of a
parent antigen (Marsh et al. 2010; WMDA HLA Dictionary, Holdsworth 2009).

:class:`AntigenProfile` stores for one typing position the antigens at the three levels so that
matching code can decide, without the table, whether two positions share an associated, split or broad
antigen (WMDA framework SI1/SI2/SI3, Bochtler 2011) and whether a mismatch is an *antigen* mismatch
(WMDA Bioinformatics & Innovation Committee rule of 2024: different assigned serology).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.release_files import HlaNomRow, RelDnaSerRow, RelSerSerRow
from engraft.vocabulary.hla import Locus

SerologyLevel = Literal["associated", "split", "broad"]
SerologySource = Literal["who", "hats"]

#: Serological locus prefix (as written in ``rel_ser_ser.txt`` / typings such as ``Cw3``) -> molecular locus.
SEROLOGY_PREFIX_TO_LOCUS: Final[Mapping[str, Locus]] = {
    "A": Locus.A,
    "B": Locus.B,
    "Cw": Locus.C,
    "C": Locus.C,
    "DR": Locus.DRB1,
    "DQ": Locus.DQB1,
    "DP": Locus.DPB1,
    "DPw": Locus.DPB1,
}

#: Molecular locus -> canonical serology prefix used in antigen keys such as ``"Cw9"`` or ``"DR15"``.
#: Its keys are the loci with serological equivalents (every :class:`Locus`).
LOCUS_TO_SEROLOGY_PREFIX: Final[Mapping[str, str]] = {
    Locus.A: "A",
    Locus.B: "B",
    Locus.C: "Cw",
    Locus.DRB1: "DR",
    Locus.DQB1: "DQ",
    Locus.DPB1: "DP",
}

_NULL_SEROLOGY = {"", "0", "?"}

_SEROLOGY_RE = re.compile(r"^(?:HLA-)?(A|B|Cw|C|DR|DQ|DPw|DP)(\d{1,4})$")
_FILE_PREFIX = {"A": "A", "B": "B", "Cw": "Cw", "DR": "DR", "DQ": "DQ", "DPw": "DP"}

EXPECTED_SEROLOGY = "a serological antigen such as 'A2', 'B51', 'Cw3', 'DR15' or 'DQ5'"


def antigen_key(locus: str, number: str) -> str:
    """Antigen key for a molecular locus and serology number: ``("C", "09") -> "Cw9"``."""
    return f"{LOCUS_TO_SEROLOGY_PREFIX[locus]}{int(number)}"


def parse_serology_token(token: str, *, release: str | None = None) -> tuple[Locus, str]:
    """``"Cw3"`` -> ``("C", "Cw3")``: molecular locus and canonical antigen key (syntax only)."""
    m = _SEROLOGY_RE.match(token.strip())
    if m is None:
        raise HlaNomenclatureError(token, EXPECTED_SEROLOGY, release=release, detail="malformed serology")
    locus = SEROLOGY_PREFIX_TO_LOCUS[m.group(1)]
    return locus, antigen_key(locus, m.group(2))


def looks_like_serology(token: str) -> bool:
    return _SEROLOGY_RE.match(token.strip()) is not None


@dataclass(frozen=True, slots=True)
class AntigenProfile:
    """Antigens of one typing position at the associated/split/broad levels."""

    exact: frozenset[str] = frozenset()
    split_level: frozenset[str] = frozenset()
    broad_level: frozenset[str] = frozenset()
    broads: frozenset[str] = frozenset()  # members of ``exact`` that are broads with known splits
    associated: frozenset[str] = frozenset()  # members of ``exact`` that are associated antigens


EMPTY_PROFILE = AntigenProfile()


def shared_serology_level(p: AntigenProfile, q: AntigenProfile) -> SerologyLevel | None:
    """Closest serological level at which two positions agree (``None`` if they share none).

    Same associated antigen, or an associated antigen against its parent -> ``"associated"`` (SI1);
    same split -> ``"split"`` (SI2); same broad only (split vs sibling split counts as no match, but a
    broad against one of its splits is ``"broad"``) -> ``"broad"`` (SI3).
    """
    common = p.exact & q.exact
    if common:
        if common & (p.associated | q.associated):
            return "associated"
        if common <= (p.broads | q.broads):
            return "broad"
        return "split"
    if p.split_level & q.split_level:
        return "associated"
    if (p.broad_level & q.broad_level) and (p.broads or q.broads):
        return "broad"
    return None


def is_antigen_match(p: AntigenProfile, q: AntigenProfile) -> bool:
    """WMDA rule: positions are antigen-matched unless their serological equivalents differ.

    Split-level equivalents are compared (A23 vs A24 is an antigen mismatch although both are A9);
    a broad-only assignment against one of its splits is not proven different and counts as matched.
    """
    return shared_serology_level(p, q) is not None


class SerologyTable:
    """Current antigens and their broad/split/associated relationships for one release."""

    def __init__(self, release: str, nom_rows: Iterable[HlaNomRow], ser_rows: Iterable[RelSerSerRow]) -> None:
        self.release = release
        self.valid: set[str] = set()
        self.splits_of: dict[str, tuple[str, ...]] = {}
        self.broad_of: dict[str, str] = {}
        self.associated_of: dict[str, tuple[str, ...]] = {}
        self.parent_of: dict[str, str] = {}
        for row in nom_rows:
            prefix = _FILE_PREFIX.get(row.locus)
            if prefix is not None and not row.deleted and row.name.isdigit():
                self.valid.add(f"{prefix}{int(row.name)}")
        for srow in ser_rows:
            prefix = _FILE_PREFIX.get(srow.locus)
            if prefix is None:
                continue  # Dw (cellular) specificities are not used for matching
            key = f"{prefix}{int(srow.antigen)}"
            splits = tuple(f"{prefix}{int(s)}" for s in srow.splits)
            assoc = tuple(f"{prefix}{int(a)}" for a in srow.associated)
            self.valid.update((key, *splits, *assoc))
            if splits:
                self.splits_of[key] = splits
                for s in splits:
                    self.broad_of[s] = key
            if assoc:
                self.associated_of[key] = assoc
                for a in assoc:
                    self.parent_of[a] = key

    def split_level(self, key: str) -> str:
        return self.parent_of.get(key, key)

    def broad_level(self, key: str) -> str:
        split = self.split_level(key)
        return self.broad_of.get(split, split)

    def validate(self, token: str) -> tuple[Locus, str]:
        """Parse and check a serology token; returns ``(locus, key)``."""
        locus, key = parse_serology_token(token, release=self.release)
        if key not in self.valid:
            raise HlaNomenclatureError(
                token, EXPECTED_SEROLOGY, release=self.release, detail=f"antigen {key} is not a current antigen"
            )
        return locus, key

    def matching_serologies(self, key: str) -> frozenset[str]:
        """Antigens whose alleles a serological typing ``key`` may stand for.

        A broad stands for itself, its splits and their associated antigens; a split for itself, its
        associated antigens and its broad (an allele assigned only the broad may carry the split); an
        associated antigen for itself.
        """
        out = {key, *self.associated_of.get(key, ())}
        for split in self.splits_of.get(key, ()):
            out.add(split)
            out.update(self.associated_of.get(split, ()))
        if key in self.broad_of:
            out.add(self.broad_of[key])
        return frozenset(out)

    def profile(self, keys: Iterable[str]) -> AntigenProfile:
        exact = frozenset(keys)
        if not exact:
            return EMPTY_PROFILE
        return AntigenProfile(
            exact=exact,
            split_level=frozenset(self.split_level(k) for k in exact),
            broad_level=frozenset(self.broad_level(k) for k in exact),
            broads=frozenset(k for k in exact if k in self.splits_of),
            associated=frozenset(k for k in exact if k in self.parent_of),
        )


def assigned_serology(
    rows: tuple[RelDnaSerRow, ...], index: dict[str, int], n: int, source: SerologySource
) -> tuple[list[tuple[str, ...]], frozenset[int]]:
    """Antigen keys per allele code: unambiguous, else possible, else assumed (HATS first if asked).

    Also returns the codes whose unambiguous serology is ``0`` (not expressed serologically).
    """
    assigned: list[tuple[str, ...]] = [()] * n
    null: set[int] = set()
    for dr in rows:
        code = index.get(dr.locus + dr.allele)
        locus = dr.locus.rstrip("*")
        if code is None or locus not in LOCUS_TO_SEROLOGY_PREFIX:
            continue
        possible = tuple(v for v in dr.possible if v not in _NULL_SEROLOGY)
        assumed = tuple(v for v in dr.assumed.split("/") if v not in _NULL_SEROLOGY)
        hats = tuple(v for v in dr.hats.split("/") if v not in _NULL_SEROLOGY)
        unambiguous = tuple(v for v in dr.unambiguous.split("/") if v not in _NULL_SEROLOGY)
        if source == "hats" and hats:
            values = hats
        else:
            values = unambiguous or possible or assumed
        assigned[code] = tuple(antigen_key(locus, v) for v in values if v.isdigit())
        if dr.unambiguous == "0":
            null.add(code)
    return assigned, frozenset(null)
