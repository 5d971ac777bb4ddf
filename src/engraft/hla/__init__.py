"""HLA nomenclature and matching (pure domain code, no I/O beyond reading one IMGT/HLA release).

README
======

Data
----
Everything is driven by one named IPD-IMGT/HLA release (WMDA files ``hla_nom``, ``hla_nom_g``,
``hla_nom_p``, ``rel_dna_ser`` in the pre-2026 6-field or the 2026 7-field HATS layout, ``rel_ser_ser``,
``tce/dpb_tce.csv`` and ``Allelelist.txt``). The files are never bundled (CC BY-ND). They are found by
:func:`locate_release`: explicit directory, ``ENGRAFT_IMGT_DIR``, the cache
``~/.cache/engraft/imgt-hla/<release>/``, or (``allow_download=True``) a download of the pinned release
(:data:`PINNED_RELEASE`) from ``raw.githubusercontent.com/ANHIG/IMGTHLA/<branch>/``.

Typical use
-----------
::

    from engraft.hla import Nomenclature, MacDictionary, match_locus, MatchOptions

    nom = Nomenclature.load()                 # or Nomenclature.load("/path/to/3.58.0"); cached per process
    nom.expand("A*01:AB", mac=macs)           # Expansion: allele codes + resolution
    nom.resolve("A*01:34N")                   # "A*01:01:38L" (renamed alleles resolve)
    patient = nom.locus_typing("A*01:01", "A*02:01")
    donor = nom.locus_typing("A*01:XX", "A2")  # any resolution: allele, 2-field, G, P, MAC, XX, serology
    result = match_locus(patient, donor, MatchOptions(homozygous_mismatch_counts=2))
    result.mismatch_count, result.direction, result.positions[0].grade, result.positions[1].mismatch_type

Donor store / search (building on this package)
-----------------------------------------------
* ``nom.locus_typing(tok1, tok2, mac=...)`` -> :class:`LocusTyping`, whose two :class:`TypedPosition`
  objects carry ``alleles``, ``g_groups`` and ``p_groups`` as frozensets of **int codes** (indices into
  ``nom.allele_names``, ``nom.g_group_names``, ``nom.p_group_names``). ``LocusTyping.p_groups()`` is the
  per-locus set for candidate retrieval; :func:`match_locus` then scores candidates exactly.
* ``nom.typings_from_gl("A*01:01+A*02:XX^B*07:02+B*08:01", mac=...)`` -> ``{locus: LocusTyping}``
  for a whole donor (``^``, ``+``, ``/`` and ``~``; ``|`` genotype lists are rejected).
* ``nom.position(token)`` results are memoised per token; ``nom.allele_index`` maps names to codes.
* :class:`BatchReducer` maps arrays of full allele names to codes and reduces them to G group, P group,
  2-field or serology with one numpy ``take`` (``reduce(codes, "p")``); -1 marks "none".
* Codes are stable only within one loaded release; persist names (or the release with the codes).

Matching rules (details in :mod:`engraft.hla.matching`, :mod:`engraft.hla.grades`)
----------------------------------------------------------------------------------
P-group matching in both orientations, 0/1/2 mismatches per locus, GvH/HvG counts and direction,
switchable homozygous-mismatch counting (1 or 2), null positions replaced by the expressing position,
grades allele > G group > P group > associated > split > broad > null > mismatch, antigen vs allele
mismatch per the WMDA 2024 rule. DPB1 T-cell-epitope permissiveness (V1/V2) in
:mod:`engraft.hla.dpb1_tce` (Crivello 2015/2016, Fleischhauer 2012).

Errors
------
Invalid tokens raise :class:`HlaNomenclatureError` (a ``ValueError``) naming the token, the release and
what was expected; missing release files raise :class:`HlaReleaseError`. Library code never prints.
"""

from engraft.hla.allele_name import AlleleName, parse_allele_name
from engraft.hla.batch import BatchReducer
from engraft.hla.dpb1_tce import (
    Dpb1TceAssessment,
    TcePermissiveness,
    TceTable,
    TceVersion,
    assess_dpb1_tce,
    tce_permissiveness,
)
from engraft.hla.errors import HlaError, HlaNomenclatureError, HlaReleaseError
from engraft.hla.gl_string import AlleleList, Genotype, GenotypeList, GlString, Haplotype, parse_gl_string
from engraft.hla.grades import MatchGrade, MismatchType, grade_positions
from engraft.hla.loci import MATCH_LOCI, Locus
from engraft.hla.locus_typing import LocusTyping, TypedPosition
from engraft.hla.mac import MacDictionary
from engraft.hla.matching import (
    Direction,
    LocusMatch,
    MatchOptions,
    MatchResult,
    PositionMatch,
    match_locus,
    match_typings,
)
from engraft.hla.nomenclature import Expansion, Nomenclature, Resolution
from engraft.hla.release import PINNED_RELEASE, ReleaseFiles, download_release, locate_release
from engraft.hla.serology import AntigenProfile, SerologyTable

__all__ = [
    "MATCH_LOCI",
    "PINNED_RELEASE",
    "AlleleList",
    "AlleleName",
    "AntigenProfile",
    "BatchReducer",
    "Direction",
    "Dpb1TceAssessment",
    "Expansion",
    "Genotype",
    "GenotypeList",
    "GlString",
    "Haplotype",
    "HlaError",
    "HlaNomenclatureError",
    "HlaReleaseError",
    "Locus",
    "LocusMatch",
    "LocusTyping",
    "MacDictionary",
    "MatchGrade",
    "MatchOptions",
    "MatchResult",
    "MismatchType",
    "Nomenclature",
    "PositionMatch",
    "ReleaseFiles",
    "Resolution",
    "SerologyTable",
    "TcePermissiveness",
    "TceTable",
    "TceVersion",
    "TypedPosition",
    "assess_dpb1_tce",
    "download_release",
    "grade_positions",
    "locate_release",
    "match_locus",
    "match_typings",
    "parse_allele_name",
    "parse_gl_string",
    "tce_permissiveness",
]
