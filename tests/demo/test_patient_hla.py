"""The demo patient's HLA typing agrees with the first donor's relation (counted with the real matcher)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engraft.demo.donors import draw_hla
from engraft.demo.patient_hla import patient_hla
from engraft.registry.risk_report_data import donor_match
from engraft.vocabulary import DonorRelation

RELATIONS = [r for r in DonorRelation if r is not DonorRelation.AUTOLOGOUS]


def _positions(gl: str) -> dict[str, list[str]]:
    return {part.split("+")[0].split("*")[0]: sorted(part.split("+")) for part in gl.split("^")}


@given(seed=st.integers(0, 10_000), relation=st.sampled_from(RELATIONS))
def test_the_patient_typing_differs_from_the_donor_as_the_relation_says(seed: int, relation: DonorRelation) -> None:
    donor = draw_hla(np.random.default_rng(seed))
    patient = patient_hla(donor, relation, seed, 1)
    assert patient == patient_hla(donor, relation, seed, 1)
    d, p = _positions(donor), _positions(patient)
    assert d.keys() == p.keys()
    if relation in (DonorRelation.MATCHED_SIBLING, DonorRelation.MATCHED_UNRELATED, DonorRelation.OTHER_RELATED):
        assert patient == donor
    elif relation is DonorRelation.MISMATCHED_UNRELATED:
        assert sum(d[k] != p[k] for k in d) == 1
    elif relation is DonorRelation.CORD_BLOOD_UNIT:
        assert 1 <= sum(d[k] != p[k] for k in d) <= 2
        assert all(d[k] == p[k] for k in ("HLA-C", "HLA-DQB1", "HLA-DPB1"))
    else:  # haploidentical: one allele of every locus shared
        assert all(set(d[k]) & set(p[k]) for k in d)


@pytest.mark.parametrize(
    ("relation", "matched"),
    [
        pytest.param(DonorRelation.MATCHED_SIBLING, 10, id="sibling-10-of-10"),
        pytest.param(DonorRelation.MISMATCHED_UNRELATED, 9, id="mismatched-unrelated-9-of-10"),
    ],
)
def test_the_real_matcher_counts_the_demo_pairs(
    relation: DonorRelation, matched: int, imgt_dir: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGRAFT_IMGT_DIR", str(imgt_dir))
    for seed in range(5):
        donor = draw_hla(np.random.default_rng(seed))
        found = donor_match(patient_hla(donor, relation, seed, 7), donor)
        assert found is not None and found.complete
        assert found.matched == matched
