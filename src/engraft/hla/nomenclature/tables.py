"""One IPD-IMGT/HLA release as in-memory lookup tables, and validation/expansion of typing tokens.

A :class:`Nomenclature` integer-codes every current allele of ``Allelelist.txt`` (code = row number) and
holds numpy lookup arrays from allele code to G group (``hla_nom_g.txt``), P group (``hla_nom_p.txt``),
2-field name and primary serology (``rel_dna_ser.txt``), plus the deleted/renamed names of
``hla_nom.txt``. It turns any typing token into the set of alleles it stands for
(:meth:`Nomenclature.expand`):

============  =======================  =============================================================
resolution    example                  meaning
============  =======================  =============================================================
allele        ``A*01:01:01:01``        one allele (renamed names resolve to the current name)
truncated     ``A*01:01``              every longer allele starting with those fields: with a suffix
                                       the same suffix, without one every non-null allele (a full
                                       name missing its suffix, ``A*01:01:38``, is rejected)
g_group       ``A*01:01:01G``          members of the G group (identical exons 2+3 / exon 2)
p_group       ``A*01:01P``             members of the P group (identical antigen-binding protein)
allele_string ``A*01:01/01:02``        union; later items inherit the missing leading fields
mac           ``A*01:AB``              NMDP multiple-allele code (:mod:`engraft.hla.nomenclature.mac`)
xx_code       ``A*01:XX``              every allele of the first-field family
serology      ``A2``, ``Cw3``          alleles assigned a matching serology in ``rel_dna_ser.txt``
new           ``A*NEW``, ``A*01:NEW``  an allele not yet named: the locus's placeholder (below)
============  =======================  =============================================================

``NEW`` (WMDA nomenclature guideline, Bochtler et al. 2013, BMT 48:1387) marks an allele found by
sequencing but not yet named. The guideline says it is always treated as a mismatch; Atlas refuses it
(issue #876). Here every locus of the release has one placeholder allele ``<locus>*NEW``, appended
after the release's own alleles (codes ``>= release_allele_count``), in a G and a P group of its own
and with no serology, DPB1 TCE group or haplotype frequency: it never matches a named allele at any
level, and a typing holding it is searchable. Two ``NEW`` alleles are different alleles as far as
anyone knows, so a matcher must not call ``NEW`` against ``NEW`` a match (:meth:`Nomenclature.is_new`).

The tables are built from :class:`~engraft.hla.nomenclature.release_files.ReleaseTables` (the rows
already read); :meth:`Nomenclature.from_release` reads them from a release directory and
:meth:`Nomenclature.load` does so once per process. Objects built from the tables by the layers above
(locus typings, TCE assessments) are built and cached there, not here.

Nomenclature: Marsh et al. 2010 (Tissue Antigens 75:291); G/P groups and WMDA files: IPD-IMGT/HLA
(Barker et al. 2023, NAR 51:D1053); null alleles: WMDA/Atlas rules (only ``N`` is non-expressed).
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engraft.hla.nomenclature.allele_name import AlleleName, parse_allele_name, try_parse_allele_name
from engraft.hla.nomenclature.errors import HlaNomenclatureError
from engraft.hla.nomenclature.mac import MacDictionary, is_mac_typing, mentions_mac
from engraft.hla.nomenclature.release_files import ReleaseFiles, ReleaseTables, open_release_dir, read_release_tables
from engraft.hla.nomenclature.serology import (
    LOCUS_TO_SEROLOGY_PREFIX,
    AntigenProfile,
    SerologySource,
    SerologyTable,
    antigen_key,
    assigned_serology,
    looks_like_serology,
)
from engraft.hla.nomenclature.tce_table import TceTable

IntArray = npt.NDArray[np.int32]

_EXPECTED_TOKEN = (
    "an allele ('A*01:01:01:01'), truncated name ('A*01:01'), G/P group ('A*01:01:01G', 'A*01:01P'), "
    "allele string ('A*01:01/01:02'), MAC ('A*01:AB'), XX code ('A*01:XX') or serology ('A1')"
)
_XX_RE = re.compile(r"^([A-Z][A-Z0-9]*)\*(\d{2,4}):XX$")
_GROUP_RE = re.compile(r"^([A-Z][A-Z0-9]*)\*\d{2,4}(?::\d{2,4}){1,2}([GP])$")
_NEW_RE = re.compile(r"^([A-Z][A-Z0-9]*)\*(?:\d{2,4}:)?NEW$")
NEW_FIELD = "NEW"
_CACHE_LIMIT = 500_000


class Resolution(StrEnum):
    ALLELE = "allele"
    TRUNCATED = "truncated"
    G_GROUP = "g_group"
    P_GROUP = "p_group"
    ALLELE_STRING = "allele_string"
    MAC = "mac"
    XX_CODE = "xx_code"
    SEROLOGY = "serology"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class Expansion:
    """Alleles (codes into :attr:`Nomenclature.allele_names`) a token stands for."""

    token: str
    locus: str
    resolution: Resolution
    alleles: tuple[int, ...]
    serology: str | None = None  # antigen key, for serology typings


class Nomenclature:
    """Lookup tables of one release, built from its already-read tables.

    Read a release directory with :meth:`from_release`, or with :meth:`load` (once per directory and
    process); the configured release (``ENGRAFT_IMGT_DIR``, the installed cache) is found by
    :func:`engraft.io.imgt_release.load_nomenclature`.
    """

    def __init__(self, tables: ReleaseTables, *, serology_source: SerologySource = "who") -> None:
        self.release = tables.release
        self.root = tables.root
        self.serology_source: SerologySource = serology_source
        parsed = [parse_allele_name(a) for a in tables.allele_names]
        #: Alleles of the release itself; the ``NEW`` placeholders follow them.
        self.release_allele_count = len(parsed)
        placeholders = [AlleleName(locus, (NEW_FIELD,)) for locus in sorted({p.locus for p in parsed})]
        parsed.extend(placeholders)
        names = (*tables.allele_names, *(p.name for p in placeholders))
        self.allele_names: tuple[str, ...] = names
        self._index: dict[str, int] = {n: i for i, n in enumerate(names)}
        n = len(names)
        self.locus_of: tuple[str, ...] = tuple(p.locus for p in parsed)
        self.is_null: npt.NDArray[np.bool_] = np.array([p.is_null for p in parsed], dtype=bool)
        self._prefix: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
        for code, p in enumerate(parsed):
            for k in range(1, len(p.fields) + 1):
                self._prefix[(p.locus, p.fields[:k])].append(code)
        self._suffix: tuple[str, ...] = tuple(p.suffix for p in parsed)
        self._n_fields: tuple[int, ...] = tuple(len(p.fields) for p in parsed)

        # 2-field names
        two = [p.truncate(2).name for p in parsed]
        self.two_field_names, self.two_field_of = _factorise(two)

        # G groups: allele not listed in a multi-allele group is its own group
        g_of = list(names)
        self._g_members: dict[str, list[int]] = defaultdict(list)
        for row in tables.g_groups:
            for a in row.alleles:
                gcode = self._index.get(row.locus + a)
                if gcode is not None and row.group:
                    g_of[gcode] = row.locus + row.group
        for code, g in enumerate(g_of):
            self._g_members[g].append(code)
        self.g_group_names, self.g_group_of = _factorise(g_of)

        # P groups: null alleles have none (-1); a singleton's group is its 2-field name
        p_of: list[str | None] = [None] * n
        for row in tables.p_groups:
            for a in row.alleles:
                pcode = self._index.get(row.locus + a)
                if pcode is not None:
                    p_of[pcode] = row.locus + row.group if row.group else parsed[pcode].truncate(2).name
        for code in range(n):
            if p_of[code] is None and not parsed[code].is_null:
                p_of[code] = parsed[code].truncate(2).name
        self.p_group_names, self.p_group_of = _factorise(p_of)
        self._p_members: dict[str, list[int]] = defaultdict(list)
        for code, pg in enumerate(p_of):
            if pg is not None:
                self._p_members[pg].append(code)

        # hla_nom: deletions and renames
        nom_rows = tables.hla_nom
        self._deleted: dict[str, tuple[str, str]] = {}
        for r in nom_rows:
            if r.deleted and r.locus.endswith("*"):
                target = r.locus + r.identical_to if r.identical_to else ""
                self._deleted[r.locus + r.name] = (target, r.reason)

        # serology
        self.serology = SerologyTable(self.release, nom_rows, tables.rel_ser_ser)
        self.rel_dna_ser_format = tables.rel_dna_ser_format
        assigned, self._serology_null = assigned_serology(tables.rel_dna_ser, self._index, n, serology_source)
        self._assigned = assigned
        self._by_antigen: dict[str, list[int]] = defaultdict(list)
        for code, antigens in enumerate(assigned):
            for akey in antigens:
                self._by_antigen[akey].append(code)
        primary = [keys[0] if keys else None for keys in assigned]
        self.serology_names, self.serology_of = _factorise(primary)

        #: Sequence status per allele code (``Allele_status.txt``; all False when the release lacks it):
        #: full-length sequence, and whether the full sequence is genomic (gDNA) rather than coding (cDNA).
        self.sequence_full: npt.NDArray[np.bool_] = np.zeros(n, dtype=bool)
        self.sequence_gdna: npt.NDArray[np.bool_] = np.zeros(n, dtype=bool)
        for status in tables.allele_status:
            scode = self._index.get(status.allele)
            if scode is not None:
                self.sequence_full[scode] = status.full
                self.sequence_gdna[scode] = status.full and status.dna == "gDNA"
        self.has_sequence_status = bool(tables.allele_status)

        #: DPB1 T-cell-epitope groups (``tce/dpb_tce.csv``) keyed by allele code.
        self.tce = TceTable.from_rows(tables.dpb_tce, self._index, n)
        self._cache: dict[tuple[str, MacDictionary | None], Expansion] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_release(cls, files: ReleaseFiles, *, serology_source: SerologySource = "who") -> Nomenclature:
        """Read the tables of an opened release directory and build the nomenclature (no caching)."""
        return cls(read_release_tables(files), serology_source=serology_source)

    @classmethod
    def load(cls, directory: Path | str, *, serology_source: SerologySource = "who") -> Nomenclature:
        """The release in ``directory``, read once per process (later calls return the same object)."""
        files = open_release_dir(directory)
        key = (str(files.root), serology_source)
        with _LOCK:
            nom = _LOADED.get(key)
            if nom is None:
                nom = cls.from_release(files, serology_source=serology_source)
                _LOADED[key] = nom
        return nom

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as "load this directory" so worker processes rebuild (or reuse) their own tables."""
        if self.root is None:
            raise TypeError("a Nomenclature built from in-memory tables cannot be pickled; use from_release")
        return (_load_for_unpickle, (str(self.root), self.serology_source))

    def __repr__(self) -> str:
        return f"Nomenclature(release={self.release!r}, alleles={len(self.allele_names)})"

    # ------------------------------------------------------------------ single names
    def _error(self, token: str, detail: str, expected: str = _EXPECTED_TOKEN) -> HlaNomenclatureError:
        return HlaNomenclatureError(token, expected, release=self.release, detail=detail)

    @property
    def allele_index(self) -> dict[str, int]:
        """Current full allele name -> code (do not mutate)."""
        return self._index

    def allele_code(self, name: str) -> int:
        """Code of one full allele name; renamed names resolve, deleted or unknown names raise."""
        token = name.strip().removeprefix("HLA-")
        code = self._index.get(token)
        if code is not None:
            return code
        resolved = self._follow_renames(token, name)
        if resolved is None:
            raise self._error(name, "not an allele of this release", "a current full allele name")
        return resolved

    def _follow_renames(self, token: str, original: str) -> int | None:
        seen: set[str] = set()
        current = token
        while current in self._deleted and current not in seen:
            seen.add(current)
            target, reason = self._deleted[current]
            if not target:
                raise self._error(original, f"allele {current} was deleted ({reason}) and has no successor")
            code = self._index.get(target)
            if code is None:
                code = self._index.get(target.replace("Cw*", "C*"))
            if code is not None:
                return code
            current = target
        if seen:
            raise self._error(original, f"deleted allele {token} resolves to no current allele")
        return None

    def new_placeholder(self, locus: str) -> int:
        """Code of the ``<locus>*NEW`` placeholder; :class:`HlaNomenclatureError` for a locus the release lacks."""
        code = self._index.get(f"{locus}*{NEW_FIELD}")
        if code is None:
            raise self._error(f"{locus}*{NEW_FIELD}", f"locus {locus} has no alleles in this release")
        return code

    def is_new(self, code: int) -> bool:
        """True for a ``NEW`` placeholder (an allele not yet named), never equal to another allele."""
        return code >= self.release_allele_count

    def resolve(self, name: str) -> str:
        """Current name of a (possibly renamed) full allele name."""
        return self.allele_names[self.allele_code(name)]

    # ------------------------------------------------------------------ token expansion
    def expand(self, token: str, *, mac: MacDictionary | None = None) -> Expansion:
        """Alleles that ``token`` stands for; raises :class:`HlaNomenclatureError` if invalid."""
        key = (token, mac if mac is not None and mentions_mac(token) else None)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._expand(token, mac)
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[key] = hit
        return hit

    def _expand(self, token: str, mac: MacDictionary | None) -> Expansion:
        t = token.strip().removeprefix("HLA-")
        if not t:
            raise self._error(token, "empty token")
        if "*" not in t:
            if not looks_like_serology(t):
                raise self._error(token, "neither an allele name (no '*') nor a serological antigen")
            locus, skey = self.serology.validate(t)
            codes = sorted({c for k in self.serology.matching_serologies(skey) for c in self._by_antigen.get(k, ())})
            if not codes:
                raise self._error(token, f"antigen {skey} has no assigned allele in rel_dna_ser")
            return Expansion(token, locus, Resolution.SEROLOGY, tuple(codes), skey)
        if m := _NEW_RE.match(t):
            return Expansion(token, m.group(1), Resolution.NEW, (self.new_placeholder(m.group(1)),))
        if "/" in t:
            return self._expand_allele_string(token, t, mac)
        if m := _XX_RE.match(t):
            family = self._prefix.get((m.group(1), (m.group(2),)))
            if not family:
                raise self._error(token, f"no allele family {m.group(1)}*{m.group(2)}")
            return Expansion(token, m.group(1), Resolution.XX_CODE, tuple(family))
        if m := _GROUP_RE.match(t):
            members = (self._g_members if m.group(2) == "G" else self._p_members).get(t)
            if not members:
                kind = "G" if m.group(2) == "G" else "P"
                raise self._error(token, f"not a {kind} group of this release")
            res = Resolution.G_GROUP if m.group(2) == "G" else Resolution.P_GROUP
            return Expansion(token, m.group(1), res, tuple(sorted(members)))
        if is_mac_typing(t):
            if mac is None:
                raise self._error(token, "multiple-allele code given but no MAC dictionary was supplied")
            names = mac.expand(t, release=self.release)
            codes_set: set[int] = set()
            for item in names:
                try:
                    codes_set.update(self._expand_name(item, item).alleles)
                except HlaNomenclatureError as exc:
                    raise self._error(token, f"MAC decodes to {item!r}, which is invalid: {exc.detail}") from exc
            return Expansion(token, t.split("*")[0], Resolution.MAC, tuple(sorted(codes_set)))
        return self._expand_name(token, t)

    def _expand_name(self, token: str, t: str) -> Expansion:
        parsed = try_parse_allele_name(t)
        code = self._index.get(t)
        if code is not None:
            return Expansion(token, self.locus_of[code], Resolution.ALLELE, (code,))
        renamed = self._follow_renames(t, token)
        if renamed is not None:
            return Expansion(token, self.locus_of[renamed], Resolution.ALLELE, (renamed,))
        if parsed is None:
            raise self._error(token, "malformed allele name")
        candidates = self._prefix.get((parsed.locus, parsed.fields), [])
        width = len(parsed.fields)
        codes = [
            c
            for c in candidates
            if self._suffix[c] == parsed.suffix
            or (not parsed.suffix and self._suffix[c] != "N" and self._n_fields[c] > width)
        ]
        if not codes:
            hint = ""
            if candidates:
                found = sorted({self._suffix[c] or "none" for c in candidates})
                hint = f" (alleles with these fields exist with expression suffix {', '.join(found)})"
            raise self._error(token, f"no current allele named {parsed.name}{hint}")
        return Expansion(token, parsed.locus, Resolution.TRUNCATED, tuple(codes))

    def _expand_allele_string(self, token: str, t: str, mac: MacDictionary | None) -> Expansion:
        items = t.split("/")
        if any(not i for i in items):
            raise self._error(token, "empty item in allele string")
        head = items[0].removeprefix("HLA-")
        if "*" not in head:
            raise self._error(token, "allele string must start with a locus-qualified name")
        locus, _, rest = head.partition("*")
        fields = rest.split(":")
        codes: set[int] = set()
        for item in items:
            if "*" not in item:
                keep = max(len(fields) - (item.count(":") + 1), 0)
                item = f"{locus}*{':'.join([*fields[:keep], item])}"
            elif item.removeprefix("HLA-").split("*")[0] != locus:
                raise self._error(token, f"allele string mixes loci ({item!r})")
            try:
                codes.update(self._expand(item, mac).alleles)
            except HlaNomenclatureError as exc:
                raise self._error(token, f"item {item!r} is invalid: {exc.detail}") from exc
        return Expansion(token, locus, Resolution.ALLELE_STRING, tuple(sorted(codes)))

    def is_valid(self, token: str, *, mac: MacDictionary | None = None) -> bool:
        try:
            self.expand(token, mac=mac)
        except HlaNomenclatureError:
            return False
        return True

    # ------------------------------------------------------------------ per-allele facts
    def antigens_of(self, code: int) -> tuple[str, ...]:
        """Serological equivalents used for the WMDA antigen-vs-allele mismatch rule (2024).

        Assigned serology from ``rel_dna_ser`` (unambiguous, else possible, else assumed); without one
        the first field is the proxy, and for HLA-C a first field above 10 is always the antigen. An
        allele with serology ``0`` (null or questionable expression) has no antigen.
        """
        if self.is_new(code):
            return ()
        locus = self.locus_of[code]
        first = self.allele_names[code].split("*")[1].split(":")[0]
        if locus == "C" and int(first) > 10:
            return (antigen_key("C", first),)
        if self._assigned[code]:
            return self._assigned[code]
        if code in self._serology_null:
            return ()
        if locus in LOCUS_TO_SEROLOGY_PREFIX:
            return (antigen_key(locus, first),)
        return ()

    def antigen_profile(self, codes: tuple[int, ...] | list[int]) -> AntigenProfile:
        keys = {k for c in codes if not self.is_null[c] for k in self.antigens_of(c)}
        return self.serology.profile(keys)


def _factorise(values: list[str] | list[str | None]) -> tuple[tuple[str, ...], IntArray]:
    """Names -> (unique names, int32 code per value); ``None`` becomes -1."""
    uniq: dict[str, int] = {}
    out = np.empty(len(values), dtype=np.int32)
    for i, v in enumerate(values):
        if v is None:
            out[i] = -1
        else:
            out[i] = uniq.setdefault(v, len(uniq))
    return tuple(uniq), out


def _load_for_unpickle(root: str, serology_source: SerologySource) -> Nomenclature:
    return Nomenclature.load(root, serology_source=serology_source)


_LOADED: dict[tuple[str, str], Nomenclature] = {}
_LOCK = threading.Lock()
