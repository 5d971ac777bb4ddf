"""Donor search: agreement with brute-force matching, ranking order (Dehn 2019), filters, cords."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engraft.demo.donor_registry import GeneratorConfig, generate_registry
from engraft.hla import (
    LocusTyping,
    MacDictionary,
    MatchOptions,
    Nomenclature,
    assess_dpb1_tce,
    locus_typing,
    match_locus,
)
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.search import DonorSearch, SearchCriteria, patient_typing
from engraft.hla.search.donor_store import DonorStore, hla_column
from engraft.hla.search.phenotype_index import filter_rows
from engraft.hla.search.search_index import EXCLUDED, scan_rows
from engraft.io.donor_files import import_json
from engraft.io.haplotype_frequencies import load_atlas_hf_set
from engraft.vocabulary import AboGroup, DonorKind, Serostatus

LOCI = ("A", "B", "C", "DRB1", "DQB1")
PATIENT = (
    "A*01:01+A*02:01^B*07:02+B*08:01^C*07:01+C*07:02^DRB1*15:01+DRB1*03:01^DQB1*06:02+DQB1*02:01^DPB1*04:01+DPB1*02:01"
)


def _donor(did: int, *, year: int = 2001, sex: str = "M", cmv: str = "neg", **over: list[str]) -> dict[str, object]:
    hla: dict[str, list[str]] = {
        "A": ["A*01:01", "A*02:01"],
        "B": ["B*07:02", "B*08:01"],
        "C": ["C*07:01", "C*07:02"],
        "DRB1": ["DRB1*15:01", "DRB1*03:01"],
        "DQB1": ["DQB1*06:02", "DQB1*02:01"],
        "DPB1": ["DPB1*04:01", "DPB1*02:01"],
    }
    hla.update(over)
    return {"donor_id": did, "birth_year": year, "sex": sex, "cmv": cmv, "abo": "A", "registry": "R1", "hla": hla}


@pytest.fixture(scope="module")
def ranked_store(tmp_path_factory: pytest.TempPathFactory, nom: Nomenclature) -> DonorStore:
    donors = [
        _donor(1, year=1986),
        _donor(2, sex="F"),
        _donor(3),
        _donor(4, year=2006, DQB1=["DQB1*06:02", "DQB1*05:01"]),
        _donor(5, year=2006, A=["A1", "A2"]),
        _donor(6, DPB1=["DPB1*09:01", "DPB1*09:01"]),
        _donor(7, cmv="pos"),
        {**_donor(8, year=0, C=[]), "donor_type": "cord", "tnc": 100.0, "cd34": 2.0, "registry": "R2"},
        {**_donor(9, year=0), "donor_type": "cord", "tnc": 200.0, "cd34": 1.0, "registry": "R2"},
    ]
    path = tmp_path_factory.mktemp("ranked") / "donors.json"
    path.write_text(json.dumps(donors))
    store = DonorStore.create(path.parent / "store", release=nom.release)
    assert import_json(store, nom, path).stored == 9
    return store


def _ids(engine: DonorSearch, criteria: SearchCriteria, gl: str = PATIENT) -> list[int]:
    return [d.donor_id for d in engine.search(patient_typing(engine.nom, gl), criteria).donors]


def test_adult_ranking_follows_dehn_2019(ranked_store: DonorStore, nom: Nomenclature) -> None:
    engine = DonorSearch(ranked_store, nom)
    crit = SearchCriteria(
        max_mismatches=1, patient_cmv=Serostatus.NEGATIVE, patient_abo=AboGroup.A, reference_year=2026
    )
    result = engine.search(patient_typing(nom, PATIENT), crit)
    # certain 10/10 by age band, DPB1, CMV, sex; then the potential 10/10; then the 9/10
    assert [d.donor_id for d in result.donors] == [3, 2, 7, 6, 1, 5, 4]
    top, potential, nine = result.donors[0], result.donors[5], result.donors[6]
    assert top.match_label == "10/10" and top.potential_loci == () and top.rank == 1
    assert "age 25" in top.reason and "DPB1 allele-matched" in top.reason and "male" in top.reason
    assert potential.potential_loci == ("A",) and potential.loci["A"].positions[0].grade.value == "split"
    assert nine.match_label == "9/10" and nine.loci["DQB1"].direction.value == "bidirectional"
    tce = result.donors[3].dpb1_tce
    assert tce is not None and tce.category.value == "non_permissive_hvg"
    patient = patient_typing(nom, PATIENT)["DPB1"]
    assert tce == assess_dpb1_tce(patient, locus_typing(nom, "DPB1*09:01", "DPB1*09:01"), nom.tce)
    assert result.matching_donors == 7


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        pytest.param(SearchCriteria(max_mismatches=0), [3, 2, 7, 6, 1, 5], id="zero-mismatch"),
        pytest.param(
            SearchCriteria(max_mismatches=1, max_mismatches_per_locus={"DQB1": 0}), [3, 2, 7, 6, 1, 5], id="dqb1-0"
        ),
        pytest.param(SearchCriteria(max_mismatches=1, min_age=30, reference_year=2026), [1], id="min-age"),
        pytest.param(SearchCriteria(max_mismatches=1, limit=2), [3, 2], id="limit"),
        pytest.param(SearchCriteria(donor_type=DonorKind.CORD, loci=("A", "B", "C", "DRB1")), [9, 8], id="cord-tnc"),
        pytest.param(SearchCriteria(donor_type=None, registries=frozenset({"R2"})), [9, 8], id="registry"),
    ],
)
def test_filters_and_limits(
    ranked_store: DonorStore, nom: Nomenclature, criteria: SearchCriteria, expected: list[int]
) -> None:
    engine = DonorSearch(ranked_store, nom)
    assert _ids(engine, SearchCriteria(**{**_fields(criteria), "patient_cmv": Serostatus.NEGATIVE})) == expected


def _fields(c: SearchCriteria) -> dict[str, object]:
    return {name: getattr(c, name) for name in c.__slots__}  # type: ignore[attr-defined]


def test_cord_reason_and_untyped_locus(ranked_store: DonorStore, nom: Nomenclature) -> None:
    engine = DonorSearch(ranked_store, nom)
    crit = SearchCriteria(donor_type=DonorKind.CORD, patient_weight_kg=50.0)
    cords = engine.search(patient_typing(nom, PATIENT), crit).donors
    assert [d.donor_id for d in cords] == [9, 8]  # cord 8 has C untyped: potential, ranked after
    assert cords[1].untyped_loci == ("C",) and "C" in cords[1].potential_loci
    assert "/kg (50.0 kg)" in cords[0].reason


@pytest.mark.parametrize(
    ("gl", "criteria", "message"),
    [
        pytest.param(
            "A*01:01+A*02:01^B*07:02+B*08:01^DRB1*15:01+DRB1*03:01", SearchCriteria(), "lacks requested", id="no-C"
        ),
        pytest.param(PATIENT, SearchCriteria(loci=("A", "B", "DRB1", "DPB1")), "DPB1 is scored", id="dpb1-criterion"),
        pytest.param(PATIENT, SearchCriteria(max_mismatches=6), "0..5", id="too-many-mismatches"),
    ],
)
def test_invalid_requests_are_rejected(
    ranked_store: DonorStore, nom: Nomenclature, gl: str, criteria: SearchCriteria, message: str
) -> None:
    engine = DonorSearch(ranked_store, nom)
    with pytest.raises(ValueError, match=message):
        engine.search(patient_typing(nom, gl), criteria)


# ---------------------------------------------------------------- agreement with brute force


@pytest.fixture(scope="module")
def hf(nom: Nomenclature, atlas_samples_dir: Path) -> HaplotypeFrequencySet:
    return load_atlas_hf_set(nom, atlas_samples_dir / "hf-set-301.json")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory, nom: Nomenclature, hf: HaplotypeFrequencySet) -> DonorSearch:
    store = DonorStore.create(tmp_path_factory.mktemp("syn") / "s", release=nom.release)
    generate_registry(store, nom, hf, GeneratorConfig(n_donors=3000, chunk_size=1000, seed=3, cord_fraction=0.0))
    return DonorSearch(store, nom)


def _brute_force(
    engine: DonorSearch, patient: Mapping[str, LocusTyping], max_total: int, per_locus: Mapping[str, int], hc: int
) -> set[int]:
    """Every live donor matched with ``match_locus`` (memoised per distinct token pair)."""
    store = engine.store
    memo: dict[tuple[str, int], int] = {}
    out: set[int] = set()
    opts = MatchOptions(homozygous_mismatch_counts=1 if hc == 1 else 2)
    for seg in store.segments():
        for row in np.flatnonzero(seg.live).tolist():
            total, ok = 0, True
            for locus in LOCI:
                code = int(seg.columns[hla_column(locus)][row])
                if (locus, code) not in memo:
                    pair = store.typing_tokens(locus, code)
                    memo[locus, code] = (
                        0
                        if pair is None
                        else match_locus(patient[locus], locus_typing(engine.nom, *pair), opts).mismatch_count
                    )
                mm = memo[locus, code]
                ok &= mm <= per_locus.get(locus, 2)
                total += mm
            if ok and total <= max_total:
                out.add(int(seg.columns["donor_id"][row]))
    return out


RESOLUTION_TOKENS = ("G", "2field", "serology")


def _patient(nom: Nomenclature, hf: HaplotypeFrequencySet, h1: int, h2: int, res: str) -> dict[str, LocusTyping]:
    """A patient carrying HF haplotypes h1/h2, typed at G-group, 2-field or (A, B, DRB1) serology level."""
    out: dict[str, LocusTyping] = {}
    for j, locus in enumerate(hf.loci):
        toks = []
        for h in (h1, h2):
            g = hf.tokens[h][j]
            if res == "G":
                toks.append(g)
                continue
            allele = next(c for c in nom.expand(g).alleles if not nom.is_null[c])
            two = nom.two_field_names[int(nom.two_field_of[allele])]
            ser_code = int(nom.serology_of[allele])
            ser = nom.serology_names[ser_code] if ser_code >= 0 else two
            toks.append(ser if res == "serology" and locus in ("A", "B", "DRB1") and nom.is_valid(ser) else two)
        out[locus] = locus_typing(nom, toks[0], toks[1])
    return out


@settings(max_examples=12, deadline=None, database=None)
@given(
    h1=st.integers(0, 300),
    h2=st.integers(0, 300),
    res=st.sampled_from(RESOLUTION_TOKENS),
    k=st.integers(0, 2),
    dq0=st.booleans(),
    hc=st.sampled_from([1, 2]),
)
def test_search_equals_brute_force(
    synthetic: DonorSearch, hf: HaplotypeFrequencySet, h1: int, h2: int, res: str, k: int, dq0: bool, hc: int
) -> None:
    """Property: the vectorised filter + exact scoring returns exactly the brute-force matching set."""
    nom = synthetic.nom
    patient = _patient(nom, hf, h1, h2, res)
    per_locus = {"DQB1": 0} if dq0 else {}
    crit = SearchCriteria(
        max_mismatches=k,
        max_mismatches_per_locus=per_locus,
        limit=10_000,
        homozygous_mismatch_counts=1 if hc == 1 else 2,
    )
    result = synthetic.search(patient, crit)
    got = [d.donor_id for d in result.donors]
    assert set(got) == _brute_force(synthetic, patient, k, per_locus, hc)
    assert len(got) == len(set(got)) == result.matching_donors
    counts = [d.mismatch_count for d in result.donors]
    assert counts == sorted(counts)
    keys = [d.rank_key for d in result.donors]
    assert keys == sorted(keys) and [d.rank for d in result.donors] == list(range(1, len(keys) + 1))
    assert all(d.mismatch_count == sum(m.mismatch_count for m in d.loci.values()) for d in result.donors)


def test_limit_keeps_the_same_top(synthetic: DonorSearch, hf: HaplotypeFrequencySet) -> None:
    """Ranking only the subset that can reach the top gives the same head as ranking everything."""
    patient = _patient(synthetic.nom, hf, 0, 1, "G")
    full = synthetic.search(patient, SearchCriteria(max_mismatches=2, limit=10_000)).donors
    head = synthetic.search(patient, SearchCriteria(max_mismatches=2, limit=25)).donors
    assert [d.donor_id for d in head] == [d.donor_id for d in full[:25]]
    assert [d.reason for d in head] == [d.reason for d in full[:25]]
    scan = DonorSearch(synthetic.store, synthetic.nom, use_phenotype_index=False)
    scanned = scan.search(patient, SearchCriteria(max_mismatches=2, limit=10_000)).donors
    assert [(d.donor_id, d.reason) for d in scanned] == [(d.donor_id, d.reason) for d in full]


def test_prediction_for_top_donors(synthetic: DonorSearch, hf: HaplotypeFrequencySet) -> None:
    """Predictions attach to the top ``predict_top`` donors; certain 10/10 donors have P(0) = 1."""
    engine = DonorSearch(synthetic.store, synthetic.nom, hf=hf)
    patient = _patient(synthetic.nom, hf, 0, 2, "2field")
    donors = engine.search(patient, SearchCriteria(max_mismatches=2, limit=40, predict_top=30)).donors
    assert all(d.prediction is not None for d in donors[:30]) and all(d.prediction is None for d in donors[30:])
    for d in donors[:30]:
        p = d.prediction
        assert p is not None and p.p_mismatches is not None and p.p_more is not None
        assert sum(p.p_mismatches) + p.p_more == pytest.approx(1.0)
        if d.mismatch_count == 0 and not d.potential_loci:
            assert p.p_mismatches[0] == pytest.approx(1.0)
    eight = engine.search(patient, SearchCriteria(loci=("A", "B", "C", "DRB1"), limit=5, predict_top=5)).donors
    assert eight and all(d.prediction is not None and d.prediction.loci == ("A", "B", "C", "DRB1") for d in eight)


def test_compaction_refreshes_the_engine(tmp_path: Path, nom: Nomenclature) -> None:
    """After remove + compact (dictionary codes remapped) the same engine still finds the right donors."""
    donors = [_donor(1, A=["A*03:01", "A*11:01"]), _donor(2), _donor(3, DPB1=["DPB1*09:01", "DPB1*09:01"])]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(donors))
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    import_json(store, nom, path)
    engine = DonorSearch(store, nom)
    assert _ids(engine, SearchCriteria(max_mismatches=2)) == [2, 3, 1]
    store.remove([1])
    store.compact()
    result = engine.search(patient_typing(nom, PATIENT), SearchCriteria(max_mismatches=2))
    assert [d.donor_id for d in result.donors] == [2, 3]
    assert result.donors[1].dpb1_tce is not None and result.donors[1].dpb1_tce.donor_groups == (1, 1)


@settings(max_examples=40, deadline=None, database=None)
@given(
    seed=st.integers(0, 2**16),
    max_total=st.integers(0, 5),
    loci=st.lists(st.sampled_from(LOCI), min_size=0, max_size=5, unique=True),
)
def test_phenotype_index_equals_column_scan(synthetic: DonorSearch, seed: int, max_total: int, loci: list[str]) -> None:
    """Property: grouped filtering (phenotype index) selects exactly the rows of a plain column scan."""
    rng = np.random.default_rng(seed)
    store = synthetic.store
    tables = {
        locus: rng.choice(np.array([0, 1, 2, EXCLUDED], dtype=np.uint8), size=len(store.dictionaries[locus]))
        for locus in loci
    }
    for seg in store.segments():
        assert seg.phenotypes is not None
        grouped = np.sort(filter_rows(seg.phenotypes, tables, max_total))
        scanned = np.flatnonzero(scan_rows(seg.columns, tables, max_total))
        assert np.array_equal(grouped, scanned)


def test_mac_typed_donor_is_a_potential_match(tmp_path: Path, nom: Nomenclature, macs: MacDictionary) -> None:
    """A donor typed with a multiple-allele code (``A*01:AB`` = 01:01/01:02) needs the MAC list."""
    path = tmp_path / "d.json"
    path.write_text(json.dumps([_donor(1, A=["A*01:AB", "A*02:01"]), _donor(2)]))
    plain = DonorStore.create(tmp_path / "plain", release=nom.release)
    report = import_json(plain, nom, path)
    assert [(i.donor_id, i.token) for i in report.invalid] == [(1, "A*01:AB")]
    store = DonorStore.create(tmp_path / "mac", release=nom.release)
    assert import_json(store, nom, path, mac=macs).stored == 2
    donors = DonorSearch(store, nom, mac=macs).search(patient_typing(nom, PATIENT), SearchCriteria()).donors
    assert [(d.donor_id, d.potential_loci) for d in donors] == [(2, ()), (1, ("A",))]


def test_empty_store_returns_no_donors(tmp_path: Path, nom: Nomenclature) -> None:
    store = DonorStore.create(tmp_path / "s", release=nom.release)
    result = DonorSearch(store, nom).search(patient_typing(nom, PATIENT), SearchCriteria(max_mismatches=2))
    assert (result.donors, result.filter_candidates, result.matching_donors) == ((), 0, 0)
