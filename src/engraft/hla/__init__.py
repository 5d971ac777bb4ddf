"""HLA nomenclature, matching, match prediction and donor search (pure domain code).

README
======

Layers
------
Four sub-packages; each imports only from the layers below it (no cycles, no function-level imports):

=======================  ======================================================================
``nomenclature``         allele names, GL Strings, MACs, serology, DPB1 TCE groups and one
                         IPD-IMGT/HLA release as lookup tables (:class:`Nomenclature`)
``matching``             locus typings (built and cached per nomenclature), per-locus matching,
                         grades, DPB1 TCE permissiveness
``prediction``           haplotype-frequency sets, genotype imputation, match probabilities
``search``               the donor registry store, its import, ranked and batch donor search
=======================  ======================================================================

``search`` uses ``prediction`` (probabilities for the top donors), so the order is
nomenclature < matching < prediction < search. The loci themselves are :class:`engraft.vocabulary.Locus`.

Data
----
Everything is driven by one named IPD-IMGT/HLA release (WMDA files ``hla_nom``, ``hla_nom_g``,
``hla_nom_p``, ``rel_dna_ser`` in the pre-2026 6-field or the 2026 7-field HATS layout, ``rel_ser_ser``,
``tce/dpb_tce.csv`` and ``Allelelist.txt``). The files are never bundled (CC BY-ND). The core reads
them only through :mod:`engraft.hla.nomenclature.release_files`, from an explicit directory; the
configured release (``ENGRAFT_IMGT_DIR`` or the cache ``~/.cache/engraft/imgt-hla/<release>/`` that
``engraft hla install`` fills) is found by :mod:`engraft.io.imgt_release`.

Typical use
-----------
::

    from engraft.hla import Nomenclature, MacDictionary, locus_typing, match_locus, MatchOptions

    nom = Nomenclature.load("/path/to/3.58.0")   # once per process; Nomenclature.from_release(files) reads anew
    nom.expand("A*01:AB", mac=macs)               # Expansion: allele codes + resolution
    nom.resolve("A*01:34N")                       # "A*01:01:38L" (renamed alleles resolve)
    patient = locus_typing(nom, "A*01:01", "A*02:01")
    donor = locus_typing(nom, "A*01:XX", "A2")    # any resolution: allele, 2-field, G, P, MAC, XX, serology
    result = match_locus(patient, donor, MatchOptions(homozygous_mismatch_counts=2))
    result.mismatch_count, result.direction, result.positions[0].grade, result.positions[1].mismatch_type

Typings (building on the tables)
--------------------------------
* ``locus_typing(nom, tok1, tok2, mac=...)`` -> :class:`LocusTyping`, whose two :class:`TypedPosition`
  objects carry ``alleles``, ``g_groups`` and ``p_groups`` as frozensets of **int codes** (indices into
  ``nom.allele_names``, ``nom.g_group_names``, ``nom.p_group_names``). ``LocusTyping.p_groups()`` is the
  per-locus set for candidate retrieval; :func:`match_locus` then scores candidates exactly.
* ``typings_from_gl(nom, "A*01:01+A*02:XX^B*07:02+B*08:01", mac=...)`` -> ``{locus: LocusTyping}``
  for a whole donor (``^``, ``+``, ``/`` and ``~``; a ``|`` genotype list of one locus is kept as
  alternatives, ``LocusTyping.genotypes``, matched one by one with the best reported).
* ``typed_position(nom, token)`` results are memoised per token by the shared
  :class:`~engraft.hla.matching.typing_builder.TypingBuilder` of ``nom``.
* :class:`BatchReducer` maps arrays of full allele names to codes and reduces them to G group, P group,
  2-field or serology with one numpy ``take`` (``reduce(codes, "p")``); -1 marks "none".
* Codes are stable only within one loaded release; persist names (or the release with the codes).

Matching rules (details in :mod:`engraft.hla.matching.locus_match`, :mod:`engraft.hla.matching.grades`)
------------------------------------------------------------------------------------------------------
P-group matching in both orientations, 0/1/2 mismatches per locus, GvH/HvG counts and direction,
switchable homozygous-mismatch counting (1 or 2), null positions replaced by the expressing position,
grades and confidences as Atlas reports them (gDNA > cDNA > protein > G group > P group > null grades >
associated > split > broad > expressing vs null > mismatch; definite/exact/potential/mismatch), honest
n/10 and n/12 counts over typed loci (:mod:`engraft.hla.matching.match_counts`), antigen vs allele
mismatch per the WMDA 2024 rule. DPB1 T-cell-epitope permissiveness (V1/V2) in
:mod:`engraft.hla.matching.dpb1_tce` (Crivello 2015/2016, Fleischhauer 2012).

Errors
------
Invalid tokens raise :class:`HlaNomenclatureError` (a ``ValueError``) naming the token, the release and
what was expected; missing release files raise :class:`HlaReleaseError`. Library code never prints.
"""

from engraft.hla.matching import (
    Direction,
    Dpb1TceAssessment,
    GenotypeAmbiguity,
    LocusCount,
    LocusMatch,
    LocusStatus,
    LocusTyping,
    MatchConfidence,
    MatchCounts,
    MatchGrade,
    MatchOptions,
    MatchResult,
    MismatchType,
    PositionMatch,
    TcePermissiveness,
    TypedPosition,
    TypingBuilder,
    assess_dpb1_tce,
    grade_positions,
    locus_typing,
    match_counts,
    match_locus,
    match_typings,
    position_confidence,
    tce_permissiveness,
    typed_position,
    typing_builder,
    typings_from_gl,
)
from engraft.hla.nomenclature import (
    AlleleList,
    AlleleName,
    AntigenProfile,
    BatchReducer,
    Expansion,
    Genotype,
    GenotypeList,
    GlString,
    Haplotype,
    HlaError,
    HlaNomenclatureError,
    HlaReleaseError,
    MacDictionary,
    Nomenclature,
    ReleaseFiles,
    ReleaseTables,
    Resolution,
    SerologyTable,
    TceTable,
    TceVersion,
    open_release_dir,
    parse_allele_name,
    parse_gl_string,
    read_release_tables,
)

__all__ = [
    "AlleleList",
    "AlleleName",
    "AntigenProfile",
    "BatchReducer",
    "Direction",
    "Dpb1TceAssessment",
    "Expansion",
    "Genotype",
    "GenotypeAmbiguity",
    "GenotypeList",
    "GlString",
    "Haplotype",
    "HlaError",
    "HlaNomenclatureError",
    "HlaReleaseError",
    "LocusCount",
    "LocusMatch",
    "LocusStatus",
    "LocusTyping",
    "MacDictionary",
    "MatchConfidence",
    "MatchCounts",
    "MatchGrade",
    "MatchOptions",
    "MatchResult",
    "MismatchType",
    "Nomenclature",
    "PositionMatch",
    "ReleaseFiles",
    "ReleaseTables",
    "Resolution",
    "SerologyTable",
    "TcePermissiveness",
    "TceTable",
    "TceVersion",
    "TypedPosition",
    "TypingBuilder",
    "assess_dpb1_tce",
    "grade_positions",
    "locus_typing",
    "match_counts",
    "match_locus",
    "match_typings",
    "open_release_dir",
    "parse_allele_name",
    "parse_gl_string",
    "position_confidence",
    "read_release_tables",
    "tce_permissiveness",
    "typed_position",
    "typing_builder",
    "typings_from_gl",
]
