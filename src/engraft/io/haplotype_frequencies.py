"""Haplotype-frequency set files: Atlas HF-set JSON read into a :class:`HaplotypeFrequencySet`.

The format is described in :mod:`engraft.hla.prediction.haplotype_frequencies`, which builds the set
from the parsed JSON; this module only reads the files. Several files (one per registry and population)
make a :class:`~engraft.hla.prediction.set_selection.FrequencySetCatalogue`; ``ENGRAFT_HF_SET`` may name
several, separated like ``PATH`` entries (``:`` on POSIX).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, hf_set_from_atlas
from engraft.hla.prediction.set_selection import FrequencySetCatalogue


def load_atlas_hf_set(nom: Nomenclature, source: Path | str | Mapping[str, object]) -> HaplotypeFrequencySet:
    """Read an Atlas HF-set JSON file (or take its parsed dict) and encode it against ``nom``."""
    name = "" if isinstance(source, Mapping) else Path(source).name
    try:
        data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"HF set {name} is not JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"HF set {name or ''} must be a JSON object with a 'frequencies' list".replace("  ", " "))
    return hf_set_from_atlas(nom, data, name=name)


def load_hf_catalogue(nom: Nomenclature, sources: Sequence[Path | str]) -> FrequencySetCatalogue:
    """Several Atlas HF-set files as one catalogue (one must be global when there are several)."""
    return FrequencySetCatalogue([load_atlas_hf_set(nom, s) for s in sources])


def hf_paths(value: str) -> list[Path]:
    """The HF-set files named by an ``ENGRAFT_HF_SET`` value (``os.pathsep``-separated)."""
    return [Path(p) for p in value.split(os.pathsep) if p.strip()]
