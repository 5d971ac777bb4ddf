"""A haplotype frequency set's label, as the prediction writes it, in parts an adapter can translate.

:meth:`engraft.hla.prediction.haplotype_frequencies.HaplotypeFrequencySet.describe` labels a set
``"<name or population N or HF set>; <registries A, B or any registry>; <ethnicities X or any ethnicity>"``
and match probabilities carry that label (``patient_frequency_set``, ``donor_frequency_set``).
:func:`label_parts` splits it into :class:`LabelPart` s: a fixed word (a plain msgid), a word with the
names it lists (a msgid with ``{names}``), or a set's own name (data, shown as it is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

SET_WORDS: Final[Mapping[str, str]] = {
    "HF set": "haplotype frequency set",
    "any registry": "any registry",
    "any ethnicity": "any ethnicity",
}
SET_PREFIXES: Final[Mapping[str, str]] = {
    "registries ": "registries {names}",
    "ethnicities ": "ethnicities {names}",
    "population ": "population {names}",
}


@dataclass(frozen=True, slots=True)
class LabelPart:
    """A msgid (``names`` its ``{names}`` parameter, maybe empty) or, when not ``words``, a set's own name."""

    text: str
    names: str
    words: bool


def label_parts(label: str) -> tuple[LabelPart, ...]:
    """``label`` (``name; registries A, B; any ethnicity``) as translatable parts, in order."""
    parts: list[LabelPart] = []
    for part in (p.strip() for p in label.split(";")):
        if not part:
            continue
        if part in SET_WORDS:
            parts.append(LabelPart(SET_WORDS[part], "", True))
            continue
        prefix = next((p for p in SET_PREFIXES if part.startswith(p)), None)
        if prefix is not None:
            parts.append(LabelPart(SET_PREFIXES[prefix], part.removeprefix(prefix), True))
        else:
            parts.append(LabelPart(part, "", False))
    return tuple(parts)


def label_texts() -> tuple[str, ...]:
    """Every msgid :func:`label_parts` can give."""
    return (*SET_WORDS.values(), *SET_PREFIXES.values())
