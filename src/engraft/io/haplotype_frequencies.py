"""Haplotype-frequency set files: Atlas HF-set JSON read into a :class:`HaplotypeFrequencySet`.

The format is described in :mod:`engraft.hla.prediction.haplotype_frequencies`, which builds the set
from the parsed JSON; this module only reads the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, hf_set_from_atlas


def load_atlas_hf_set(nom: Nomenclature, source: Path | str | Mapping[str, object]) -> HaplotypeFrequencySet:
    """Read an Atlas HF-set JSON file (or take its parsed dict) and encode it against ``nom``."""
    data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise ValueError("an Atlas HF set must be a JSON object with a 'frequencies' list")
    return hf_set_from_atlas(nom, data)
