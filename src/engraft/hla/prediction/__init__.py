"""Match prediction: haplotype-frequency sets and P(0/1/2 mismatches) for ambiguous typings.

Builds on :mod:`engraft.hla.nomenclature` and :mod:`engraft.hla.matching`; reading HF-set files is
:mod:`engraft.io.haplotype_frequencies`.
"""

from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, build_hf_set, hf_set_from_atlas
from engraft.hla.prediction.match_prediction import (
    GenotypeSet,
    MatchPredictor,
    MatchProbabilities,
    impute,
    predict,
)

__all__ = [
    "GenotypeSet",
    "HaplotypeFrequencySet",
    "MatchPredictor",
    "MatchProbabilities",
    "build_hf_set",
    "hf_set_from_atlas",
    "impute",
    "predict",
]
