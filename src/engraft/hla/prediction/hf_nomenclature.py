"""The nomenclature of a haplotype-frequency set: its typing category, its release, and its tokens' groups.

An HF set names each haplotype's allele at a locus by a *token* of one typing category (Atlas
``typingCategory``; README_MatchPredictionAlgorithm.md: "the only typing resolutions permitted for HF
set data (P Group, G group, g group) must all be convertable to exactly 1 (or 0) P groups"):

* ``LargeGGroup`` - a G group (``01:01:01G``; an allele in no G group by its own name), the WMDA file
  ``hla_nom_g.txt``;
* ``SmallGGroup`` - a "small g" group: the alleles of one P group plus the null alleles that share a G
  group with them (``01:01g``, or the 2-field name when every member shares it: ``01:01``); null alleles
  in no such G group form groups by their first two fields. IPD-IMGT/HLA publishes no file for them; Atlas
  builds them from ``hla_nom_p.txt`` and ``hla_nom_g.txt`` (README_HlaMetadataDictionary.md), and so does
  :func:`small_g_groups`;
* ``PGroup`` - a P group (``01:01P``; a singleton by its 2-field name).

A token becomes a :class:`TokenGroups`: the G groups of its alleles (consistency of a typing at G-group
level) and the one P group of its expressed alleles (-1 when all are null), the unit of matching.

The set's ``nomenclatureVersion`` is checked against the release in use (:func:`check_version`): the
same release is taken as it is; an older one is *converted* (a token is looked up by name, and a group
name that no longer exists is followed through its leading allele, renames included, to that allele's
group now); a newer one is refused, as is a token that cannot be converted. Atlas's placeholder
``[OVERRIDE]`` and a missing version mean "the release in use" and are recorded as not stated.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

import numpy as np

from engraft.hla.nomenclature.allele_name import try_parse_allele_name
from engraft.hla.nomenclature.errors import HlaError, HlaNomenclatureError
from engraft.hla.nomenclature.tables import Nomenclature

#: Atlas's placeholder for "the nomenclature version the set is uploaded under" (test HF sets).
UNSTATED_VERSIONS: Final = frozenset({"", "[OVERRIDE]"})
_DOTTED = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")
_PACKED = re.compile(r"^(\d)(\d{2})(\d)$")  # Atlas's "3580" for 3.58.0


class TypingCategory(StrEnum):
    """How an HF set names alleles (Atlas ``typingCategory``)."""

    LARGE_G = "LargeGGroup"
    SMALL_G = "SmallGGroup"
    P_GROUP = "PGroup"


class HfSetNomenclatureError(HlaError, ValueError):
    """An HF set's nomenclature version or a token cannot be used with the release in use."""

    def __init__(self, message: str, *, stated: str | None, release: str) -> None:
        self.stated = stated
        self.release = release
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (str(self), self.stated, self.release))


def _rebuild(message: str, stated: str | None, release: str) -> HfSetNomenclatureError:
    return HfSetNomenclatureError(message, stated=stated, release=release)


def parse_version(text: str) -> tuple[int, int, int]:
    """``"3.58.0"``, ``"3.58"`` or Atlas's packed ``"3580"`` as (3, 58, 0); ValueError otherwise."""
    t = text.strip()
    if m := _DOTTED.match(t):
        return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if m := _PACKED.match(t):
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    raise ValueError(f"nomenclatureVersion {text!r} is not a release number such as '3.58.0' or '3580'")


@dataclass(frozen=True, slots=True)
class VersionCheck:
    """Outcome of :func:`check_version`: the stated version (``None`` if unstated) and whether to convert."""

    stated: str | None
    release: str
    convert: bool


def check_version(stated: object, release: str) -> VersionCheck:
    """Compare an HF set's ``nomenclatureVersion`` with the release; refuse a newer or unreadable one."""
    if stated is None or (isinstance(stated, str) and stated.strip() in UNSTATED_VERSIONS):
        return VersionCheck(None, release, convert=False)
    text = str(stated).strip()
    try:
        version = parse_version(text)
    except ValueError as exc:
        raise HfSetNomenclatureError(str(exc), stated=text, release=release) from None
    current = parse_version(release)
    if version > current:
        raise HfSetNomenclatureError(
            f"the HF set is encoded in IPD-IMGT/HLA {text}, newer than the release in use ({release}); "
            f"install release {text} (engraft hla install) or use a set encoded in {release} or earlier",
            stated=text,
            release=release,
        )
    return VersionCheck(text, release, convert=version < current)


@dataclass(frozen=True, slots=True)
class TokenGroups:
    """What one HF-set token stands for in the release: its G groups and its expressed P group."""

    g_groups: frozenset[int]
    p_group: int  # -1: only null alleles


@dataclass(frozen=True, slots=True)
class _SmallG:
    alleles: tuple[int, ...]
    p_group: int


@lru_cache(maxsize=4)
def small_g_groups(nom: Nomenclature) -> dict[str, _SmallG]:
    """Small g groups of the release by name (``A*01:01g``; ``A*01:02`` when the members share it)."""
    by_p: dict[int, list[int]] = defaultdict(list)
    by_g: dict[int, list[int]] = defaultdict(list)
    for code in range(len(nom.allele_names)):
        by_g[int(nom.g_group_of[code])].append(code)
        p = int(nom.p_group_of[code])
        if p >= 0:
            by_p[p].append(code)
    out: dict[str, _SmallG] = {}
    in_p_group_g: set[int] = set()
    for p, members in by_p.items():
        gs = {int(nom.g_group_of[c]) for c in members}
        in_p_group_g |= gs
        nulls = [c for g in gs for c in by_g[g] if nom.is_null[c]]
        alleles = tuple(sorted({*members, *nulls}))
        shared = {nom.two_field_names[int(nom.two_field_of[c])].removesuffix("N") for c in alleles}
        name = next(iter(shared)) if len(shared) == 1 else nom.p_group_names[p].removesuffix("P") + "g"
        out[name] = _SmallG(alleles, p)
    orphans: dict[str, list[int]] = defaultdict(list)
    for g, members in by_g.items():
        if g not in in_p_group_g:
            for c in members:
                orphans[nom.two_field_names[int(nom.two_field_of[c])].removesuffix("N")].append(c)
    for two, members in orphans.items():
        name = nom.two_field_names[int(nom.two_field_of[members[0]])] if len(members) == 1 else two
        out.setdefault(name, _SmallG(tuple(sorted(members)), -1))
    return out


class TokenResolver:
    """Turns HF-set tokens (``"A*01:01:01G"``) into :class:`TokenGroups` for one category and version."""

    def __init__(self, nom: Nomenclature, category: TypingCategory, version: VersionCheck) -> None:
        self.nom = nom
        self.category = category
        self.version = version
        self._memo: dict[str, TokenGroups] = {}

    def resolve(self, locus: str, token: str) -> TokenGroups:
        """Groups of ``token`` at ``locus``; :class:`HfSetNomenclatureError` names the token if impossible."""
        hit = self._memo.get(token)
        if hit is None:
            hit = self._memo[token] = self._resolve(locus, token)
        return hit

    def _resolve(self, locus: str, token: str) -> TokenGroups:
        try:
            alleles = self._alleles(token)
        except HlaNomenclatureError as exc:
            if not self.version.convert:
                raise
            alleles = self._converted(token, exc)
        nom = self.nom
        found = {nom.locus_of[c] for c in alleles}
        if found != {locus}:
            raise HlaNomenclatureError(token, f"a {locus} {self.category.value} name", release=nom.release)
        expressed = sorted({int(nom.p_group_of[c]) for c in alleles if not nom.is_null[c]})
        if len(expressed) > 1:
            raise HfSetNomenclatureError(
                f"HF-set token {token} stands for {len(expressed)} P groups in IPD-IMGT/HLA {nom.release}; "
                "an HF set's alleles must each belong to one P group (Atlas)",
                stated=self.version.stated,
                release=nom.release,
            )
        return TokenGroups(frozenset(int(nom.g_group_of[c]) for c in alleles), expressed[0] if expressed else -1)

    def _alleles(self, token: str) -> tuple[int, ...]:
        if self.category is TypingCategory.SMALL_G:
            group = small_g_groups(self.nom).get(token)
            if group is not None:
                return group.alleles
        return self.nom.expand(token).alleles

    def _converted(self, token: str, error: HlaNomenclatureError) -> tuple[int, ...]:
        """An older release's group or allele name followed to the release in use through its leading allele."""
        base = token[:-1] if token[-1:] in ("G", "g", "P") else token
        try:
            if try_parse_allele_name(base) is None:
                raise error
            code = self.nom.expand(base).alleles[0]  # current, renamed or truncated: the leading allele
        except HlaNomenclatureError as exc:
            raise HfSetNomenclatureError(
                f"HF-set token {token} (IPD-IMGT/HLA {self.version.stated}) has no counterpart in release "
                f"{self.nom.release}: {exc.detail or exc}",
                stated=self.version.stated,
                release=self.nom.release,
            ) from None
        if self.category is TypingCategory.LARGE_G:
            g = self.nom.g_group_of[code]
            return tuple(int(c) for c in np.flatnonzero(self.nom.g_group_of == g))
        p = self.nom.p_group_of[code]
        if p < 0:
            return (code,)
        return tuple(int(c) for c in np.flatnonzero(self.nom.p_group_of == p))
