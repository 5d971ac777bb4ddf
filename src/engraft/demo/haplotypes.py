"""A small synthetic 5-locus haplotype-frequency set for the demo donor registry.

The haplotypes are well-known common ones (e.g. the ancestral 8.1 haplotype A*01:01~C*07:01~B*08:01~
DRB1*03:01~DQB1*02:01) written as G groups; their **frequencies are invented** for the demonstration
and are not population data. Real searches use a registry's own frequency set (Atlas HF-set JSON, see
:func:`engraft.io.haplotype_frequencies.load_atlas_hf_set`).
"""

from __future__ import annotations

from typing import Final

from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import ATLAS_KEYS, HaplotypeFrequencySet, build_hf_set
from engraft.vocabulary.hla import MATCH_LOCI, Locus

# A, B, C, DRB1, DQB1 (MATCH_LOCI order; first field:second field of each G group) and an invented weight.
_HAPLOTYPES: Final[tuple[tuple[str, str, str, str, str, float], ...]] = (
    ("01:01", "08:01", "07:01", "03:01", "02:01", 7.0),
    ("03:01", "07:02", "07:02", "15:01", "06:02", 3.5),
    ("02:01", "44:02", "05:01", "04:01", "03:01", 2.5),
    ("02:01", "07:02", "07:02", "15:01", "06:02", 2.0),
    ("29:02", "44:03", "16:01", "07:01", "02:01", 2.0),
    ("30:01", "13:02", "06:02", "07:01", "02:01", 1.5),
    ("02:01", "40:01", "03:04", "13:02", "06:04", 1.2),
    ("24:02", "07:02", "07:02", "15:01", "06:02", 1.0),
    ("11:01", "35:01", "04:01", "01:01", "05:01", 1.0),
    ("33:03", "58:01", "03:02", "03:01", "02:01", 1.0),
    ("02:01", "57:01", "06:02", "07:01", "03:03", 0.9),
    ("01:01", "57:01", "06:02", "07:01", "03:03", 0.9),
    ("23:01", "44:03", "04:01", "07:01", "02:01", 0.8),
    ("02:01", "15:01", "03:03", "04:01", "03:02", 0.8),
    ("26:01", "38:01", "12:03", "04:02", "03:02", 0.6),
    ("68:01", "44:02", "07:04", "13:01", "06:03", 0.6),
    ("31:01", "40:01", "03:04", "04:04", "03:02", 0.5),
    ("32:01", "27:05", "02:02", "01:01", "05:01", 0.5),
    ("24:02", "35:01", "03:03", "11:01", "03:01", 0.5),
    ("02:01", "18:01", "07:01", "11:04", "03:01", 0.5),
    ("03:01", "35:01", "04:01", "01:01", "05:01", 0.5),
    ("11:01", "27:05", "01:02", "01:01", "05:01", 0.4),
    ("02:01", "18:01", "12:03", "11:04", "03:01", 0.4),
    ("01:01", "08:01", "07:01", "15:01", "06:02", 0.4),
    ("24:02", "35:02", "04:01", "11:04", "03:01", 0.3),
)


def _g_group(nom: Nomenclature, token: str) -> str:
    """The G group holding the first alleles of a 2-field name (its ``...G`` group where there is one)."""
    names = sorted({nom.g_group_names[int(nom.g_group_of[code])] for code in nom.expand(token).alleles})
    grouped = [n for n in names if n.endswith("G")]
    return (grouped or names)[0]


def demo_haplotypes(nom: Nomenclature) -> list[tuple[dict[Locus, str], float]]:
    """The demo haplotypes as ``({locus: G group}, weight)`` pairs in the release of ``nom``."""
    return [
        ({locus: _g_group(nom, f"{locus}*{field}") for locus, field in zip(MATCH_LOCI, row[:5], strict=True)}, row[5])
        for row in _HAPLOTYPES
    ]


def demo_hf_set(nom: Nomenclature) -> HaplotypeFrequencySet:
    """Encode the demo haplotypes against ``nom`` (weights normalised to frequencies)."""
    pairs = demo_haplotypes(nom)
    return build_hf_set(nom, [h for h, _ in pairs], [w for _, w in pairs])


def demo_hf_set_document(nom: Nomenclature) -> dict[str, object]:
    """The demo haplotypes as an Atlas HF-set JSON document (frequencies normalised to sum to 1).

    ``engraft serve --demo`` writes it beside the demo donor store, so that every worker process loads
    the same set through ``ENGRAFT_HF_SET`` like any registry's own set.
    """
    pairs = demo_haplotypes(nom)
    total = sum(w for _, w in pairs)
    return {
        "nomenclatureVersion": nom.release,
        "typingCategory": "LargeGGroup",
        "populationId": None,
        "frequencies": [
            {**{ATLAS_KEYS[locus]: name for locus, name in haplotype.items()}, "frequency": weight / total}
            for haplotype, weight in pairs
        ],
    }
