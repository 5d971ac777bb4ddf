"""Several haplotype-frequency sets (per registry and per population) and the choice of one per subject.

Registries estimate frequencies from their own donors, often per ethnic group; a patient and a donor
are imputed with the set that describes each of them. The choice follows Atlas
(``HaplotypeFrequencyService.GetHaplotypeFrequencySets``, README_MatchPredictionAlgorithm.md:
"if a specific set cannot be found for their ethnicity/registry data, a less specific set will be
used, ultimately defaulting to the global or default set"):

1. for one subject: the set for its (registry, ethnicity), else the set for its registry alone, else
   the global set (neither registry nor ethnicity);
2. the patient's registry is the donor's when the request names none;
3. if the patient's set is then the global one while the donor's belongs to a registry, the patient's
   set is looked up again under the donor's registry (with the patient's ethnicity).

A set file names its registries (``donPool``) and ethnicities (``ethn``); it covers every combination of
them. Two sets covering the same combination are refused, naming both. Without a global set a
catalogue of several sets is refused too (Atlas fails a search then; we fail when the sets are loaded).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet

_Key = tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class Population:
    """Who a subject is for the choice of HF set: registry code and ethnicity code (``None``: not known)."""

    registry: str | None = None
    ethnicity: str | None = None


@dataclass(frozen=True, slots=True)
class SetChoice:
    """The sets chosen for a patient/donor pair."""

    patient: HaplotypeFrequencySet
    donor: HaplotypeFrequencySet


def _keys(hf: HaplotypeFrequencySet) -> Iterable[_Key]:
    registries: Sequence[str | None] = sorted(hf.registries) or [None]
    ethnicities: Sequence[str | None] = sorted(hf.ethnicities) or [None]
    return ((r, e) for r in registries for e in ethnicities)


class FrequencySetCatalogue:
    """HF sets of one release indexed by (registry, ethnicity), with Atlas's choice of set."""

    def __init__(self, sets: Sequence[HaplotypeFrequencySet]) -> None:
        if not sets:
            raise ValueError("a catalogue of HF sets needs at least one set")
        releases = {s.release for s in sets}
        if len(releases) > 1:
            raise ValueError(f"HF sets are encoded against different releases: {', '.join(sorted(releases))}")
        self.sets = tuple(sets)
        self._by_key: dict[_Key, HaplotypeFrequencySet] = {}
        for hf in sets:
            for key in _keys(hf):
                other = self._by_key.get(key)
                if other is not None:
                    raise ValueError(
                        f"HF sets '{other.describe()}' and '{hf.describe()}' both cover registry {key[0] or 'any'}, "
                        f"ethnicity {key[1] or 'any'}"
                    )
                self._by_key[key] = hf
        if len(sets) > 1 and (None, None) not in self._by_key:
            raise ValueError("several HF sets need a global one (a set with neither donPool nor ethn)")

    @property
    def release(self) -> str:
        return self.sets[0].release

    @property
    def default(self) -> HaplotypeFrequencySet:
        """The global set (the only set when there is one)."""
        return self._by_key.get((None, None), self.sets[0])

    def _lookup(self, population: Population) -> tuple[HaplotypeFrequencySet, bool]:
        """The set for one subject and whether it belongs to a registry (step 1 of the module docstring)."""
        for key in ((population.registry, population.ethnicity), (population.registry, None)):
            hit = self._by_key.get(key)
            if hit is not None:
                return hit, key[0] is not None
        return self.default, False

    def select(self, population: Population) -> HaplotypeFrequencySet:
        """The set for one subject."""
        return self._lookup(population)[0]

    def select_pair(self, patient: Population, donor: Population) -> SetChoice:
        """The patient's and the donor's sets, chosen as Atlas chooses them (module docstring)."""
        donor_set, donor_registered = self._lookup(donor)
        patient = Population(patient.registry or donor.registry, patient.ethnicity)
        patient_set, patient_registered = self._lookup(patient)
        if not patient_registered and donor_registered and donor.registry is not None:
            patient_set, _ = self._lookup(Population(donor.registry, patient.ethnicity))
        return SetChoice(patient_set, donor_set)
