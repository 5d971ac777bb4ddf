"""Match prediction: haplotype-frequency sets, genotype imputation and P(0/1/2 mismatches).

Builds on :mod:`engraft.hla.nomenclature` and :mod:`engraft.hla.matching`; reading HF-set files is
:mod:`engraft.io.haplotype_frequencies`. Modules: ``hf_nomenclature`` (typing categories, version check
and conversion), ``haplotype_frequencies`` (the encoded set), ``set_selection`` (several sets, one per
registry and population), ``imputation`` (typing -> genotypes), ``match_prediction`` (probabilities).
"""

from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, build_hf_set, hf_set_from_atlas
from engraft.hla.prediction.hf_nomenclature import HfSetNomenclatureError, TypingCategory
from engraft.hla.prediction.imputation import Consistency, GenotypeSet, GenotypeSource, UnexplainedReason, impute
from engraft.hla.prediction.match_prediction import MatchPredictor, MatchProbabilities, predict
from engraft.hla.prediction.set_selection import FrequencySetCatalogue, Population, SetChoice

__all__ = [
    "Consistency",
    "FrequencySetCatalogue",
    "GenotypeSet",
    "GenotypeSource",
    "HaplotypeFrequencySet",
    "HfSetNomenclatureError",
    "MatchPredictor",
    "MatchProbabilities",
    "Population",
    "SetChoice",
    "TypingCategory",
    "UnexplainedReason",
    "build_hf_set",
    "hf_set_from_atlas",
    "impute",
    "predict",
]
