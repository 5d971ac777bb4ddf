"""Several HF sets: the set chosen for a patient and a donor, as Atlas chooses (HaplotypeFrequencyService)."""

from __future__ import annotations

import pytest

from engraft.hla import Nomenclature, locus_typing
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, hf_set_from_atlas
from engraft.hla.prediction.match_prediction import MatchPredictor
from engraft.hla.prediction.set_selection import FrequencySetCatalogue, Population

ROW = {"a": "01:01:01G", "b": "08:01:01G", "c": "07:01:01G", "drb1": "03:01:01G", "dqb1": "02:01:01G"}
OTHER = {"a": "02:01:01G", "b": "07:02:01G", "c": "07:02:01G", "drb1": "15:01:01G", "dqb1": "06:02:01G"}


def _set(nom: Nomenclature, name: str, registries: list[str] | None = None, ethn: list[str] | None = None,
         a_weight: float = 0.5) -> HaplotypeFrequencySet:  # fmt: skip
    rows = [{**ROW, "frequency": a_weight}, {**OTHER, "frequency": 1 - a_weight}]
    doc = {"nomenclatureVersion": "3.58.0", "donPool": registries, "ethn": ethn, "frequencies": rows}
    return hf_set_from_atlas(nom, doc, name=name)


@pytest.fixture(scope="module")
def catalogue(nom: Nomenclature) -> FrequencySetCatalogue:
    return FrequencySetCatalogue(
        [
            _set(nom, "global", a_weight=0.5),
            _set(nom, "reg1", ["REG-1"], a_weight=0.6),
            _set(nom, "reg1-eur", ["REG-1"], ["EUR"], a_weight=0.7),
            _set(nom, "reg2-afr-asi", ["REG-2"], ["AFR", "ASI"], a_weight=0.8),
            _set(nom, "any-registry-his", None, ["HIS"], a_weight=0.9),
        ]
    )


@pytest.mark.parametrize(
    ("registry", "ethnicity", "expected"),
    [
        pytest.param("REG-1", "EUR", "reg1-eur", id="registry-and-ethnicity"),
        pytest.param("REG-1", "AFR", "reg1", id="registry-without-that-ethnicity"),
        pytest.param("REG-1", None, "reg1", id="registry-only"),
        pytest.param("REG-2", "ASI", "reg2-afr-asi", id="set-covering-two-ethnicities"),
        pytest.param("REG-2", "EUR", "global", id="registry-without-own-set-falls-back-to-global"),
        pytest.param("REG-9", "EUR", "global", id="unknown-registry"),
        pytest.param(None, "HIS", "any-registry-his", id="no-registry-ethnicity-set"),
        pytest.param("REG-9", "HIS", "global", id="registry-given-ethnicity-set-not-reached"),
        pytest.param(None, None, "global", id="nothing-known"),
    ],
)
def test_one_subject(
    catalogue: FrequencySetCatalogue, registry: str | None, ethnicity: str | None, expected: str
) -> None:
    assert catalogue.select(Population(registry, ethnicity)).name == expected


PAIRS = [
    ("patient-takes-donor-registry", Population(None, "EUR"), Population("REG-1", None), ("reg1-eur", "reg1")),
    ("unknown-patient-registry-retried", Population("REG-9", "EUR"), Population("REG-1", "AFR"), ("reg1-eur", "reg1")),
    ("each-own-set", Population("REG-2", "ASI"), Population("REG-1", "EUR"), ("reg2-afr-asi", "reg1-eur")),
    ("both-global", Population(None, None), Population("REG-9", None), ("global", "global")),
    ("donor-set-without-registry", Population("REG-9", "AFR"), Population(None, "HIS"), ("global", "any-registry-his")),
]


@pytest.mark.parametrize(("patient", "donor", "expected"), [pytest.param(*row[1:], id=row[0]) for row in PAIRS])
def test_patient_and_donor(
    catalogue: FrequencySetCatalogue, patient: Population, donor: Population, expected: tuple[str, str]
) -> None:
    choice = catalogue.select_pair(patient, donor)
    assert (choice.patient.name, choice.donor.name) == expected


def test_sets_covering_the_same_population_are_refused(nom: Nomenclature) -> None:
    with pytest.raises(ValueError, match="'reg1; registries REG-1; any ethnicity' and 'again; registries REG-1"):
        FrequencySetCatalogue([_set(nom, "global"), _set(nom, "reg1", ["REG-1"]), _set(nom, "again", ["REG-1"])])


def test_several_sets_need_a_global_one(nom: Nomenclature) -> None:
    with pytest.raises(ValueError, match="need a global one"):
        FrequencySetCatalogue([_set(nom, "reg1", ["REG-1"]), _set(nom, "reg2", ["REG-2"])])
    single = FrequencySetCatalogue([_set(nom, "reg1", ["REG-1"])])  # one set serves everybody
    assert single.select(Population("REG-7", "EUR")).name == "reg1"


def test_prediction_uses_the_chosen_sets(nom: Nomenclature, catalogue: FrequencySetCatalogue) -> None:
    """C*07:XX+C*07:XX fits every pair of the two haplotypes: weights a^2, 2a(1-a), (1-a)^2 of the chosen set."""
    typing = {"C": locus_typing(nom, "C*07:XX", "C*07:XX")}
    predictor = MatchPredictor(catalogue)
    assert predictor.hf.name == "global"
    reg = predictor.impute(typing, population=Population("REG-1", "EUR"))  # a = 0.7
    glob = predictor.impute(typing)  # a = 0.5
    assert reg.frequency_set.startswith("reg1-eur") and glob.frequency_set.startswith("global")
    assert sorted(reg.weights.tolist()) == pytest.approx([0.09, 0.42, 0.49])
    assert sorted(glob.weights.tolist()) == pytest.approx([0.25, 0.25, 0.5])
