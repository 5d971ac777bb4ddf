"""Donor search: patient typing + mismatch limits + filters -> ranked donors with full match detail.

Pipeline for one patient (filter: :mod:`engraft.hla.search.search_index`,
:mod:`engraft.hla.search.phenotype_index`; order: :mod:`engraft.hla.search.ranking`; models:
:mod:`engraft.hla.search.search_models`):

1. per requested locus, the mismatch count (both orientations, GvH and HvG) of the patient against
   every *dictionary entry* (distinct donor locus typing), from P-group set intersections, capped by
   the per-locus limit; exact for molecular typings, a lower bound for serology and null positions;
2. per segment, the distinct five-locus typings are summed and compared with the total limit, and the
   passing ones expanded to donor rows (tombstoned rows dropped); 3. attribute filters (adult/cord,
   registry, age); 4. :func:`engraft.hla.matching.locus_match.match_locus` for the entries where step 1 was only a
   bound; 5. grades, DPB1 TCE and the full sort only for donors whose leading keys can still reach the
   top ``limit``; then match detail (with DRB3/4/5, DQA1 and honest n/10, n/12 counts:
   :mod:`engraft.hla.search.donor_detail`), the reason for each rank and (optionally) match probabilities
   for the top ``predict_top`` donors.

Request semantics follow Atlas (README_Integration.md, SearchRequest.cs): total and per-locus allowed
mismatches (0-2), DPB1 scored but never a match criterion, untyped donor loci count as potential
matches in the ranking, but never towards ``10/10`` (the label counts typed positions only). "Better
matches" are always included (a 1-mismatch search also returns 0-mismatch donors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import numpy.typing as npt

from engraft.hla.matching.grades import MatchGrade
from engraft.hla.matching.locus_match import LocusMatch, MatchOptions, match_locus
from engraft.hla.matching.locus_typing import LocusTyping
from engraft.hla.matching.typing_builder import typings_from_gl
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.prediction.imputation import Consistency, GenotypeSet
from engraft.hla.prediction.match_prediction import MatchPredictor, MatchProbabilities
from engraft.hla.prediction.set_selection import FrequencySetCatalogue, Population
from engraft.hla.search.donor_detail import DonorDetail
from engraft.hla.search.donor_store import ATTRIBUTE_COLUMNS, DonorStore, hla_column
from engraft.hla.search.dpb1_scores import Dpb1Score, Dpb1Scorer
from engraft.hla.search.locus_dictionary import LocusDictionary
from engraft.hla.search.phenotype_index import filter_rows
from engraft.hla.search.ranking import (
    DPB1_UNKNOWN,
    RankingInputs,
    RankingOptions,
    rank_order,
    rank_reason,
    sort_keys,
)
from engraft.hla.search.search_index import LocusIndex, capped, scan_rows
from engraft.hla.search.search_models import DonorMatch, SearchCriteria, SearchResult
from engraft.hla.search.store_codes import ABO, CMV, DONOR_KIND, SEX
from engraft.vocabulary import DonorKind
from engraft.vocabulary.hla import MATCH_LOCI, STORED_LOCI, Locus

__all__ = ["DonorMatch", "DonorSearch", "SearchCriteria", "SearchResult", "patient_typing"]

_UNTYPED_GRADE = 2 * MatchGrade.BROAD.rank
_UNGRADED = 999  # grade not computed: the donor cannot reach the requested top `limit`
_CORD = DONOR_KIND.code(DonorKind.CORD)


@dataclass(slots=True)
class _EntryScores:
    """Exact per-dictionary-entry results for one patient and locus."""

    matches: dict[int, LocusMatch]
    mismatches: npt.NDArray[np.int16]
    gvh: npt.NDArray[np.int16]
    grade: npt.NDArray[np.int16]
    potential: npt.NDArray[np.int16]


class DonorSearch:
    """Searches one store; holds the per-locus dictionary indexes (rebuilt when the store grows)."""

    def __init__(
        self,
        store: DonorStore,
        nom: Nomenclature,
        *,
        hf: HaplotypeFrequencySet | FrequencySetCatalogue | None = None,
        mac: MacDictionary | None = None,
        use_phenotype_index: bool = True,
        prediction_consistency: Consistency = Consistency.P_GROUP,
    ) -> None:
        """``use_phenotype_index=False`` forces the plain column scan (worst case: all typings distinct);
        ``prediction_consistency``: the level at which imputation matches typings with haplotypes."""
        if store.release != nom.release:
            raise ValueError(f"store typed under release {store.release}, nomenclature is {nom.release}")
        self.store = store
        self.nom = nom
        self.mac = mac
        self.use_phenotype_index = use_phenotype_index
        self.predictor = MatchPredictor(hf, consistency=prediction_consistency) if hf is not None else None
        self._indexes: dict[Locus, tuple[LocusDictionary, LocusIndex]] = {}
        self._dpb1 = Dpb1Scorer(nom.tce)

    def index(self, locus: Locus) -> LocusIndex:
        """Index of a locus dictionary, rebuilt when the dictionary grew or was replaced (compaction)."""
        dictionary = self.store.dictionaries[locus]
        cached = self._indexes.get(locus)
        if cached is None or cached[0] is not dictionary or cached[1].size != len(dictionary):
            if locus == Locus.DPB1:
                self._dpb1.forget_donors()
            cached = (dictionary, LocusIndex.build(self.nom, locus, dictionary.pairs, self.mac))
            self._indexes[locus] = cached
        return cached[1]

    def build_indexes(self) -> None:
        """Build every locus index now (a new engine is built whole before it replaces a serving one)."""
        for locus in STORED_LOCI:
            self.index(locus)

    def search(self, patient: Mapping[str, LocusTyping], criteria: SearchCriteria) -> SearchResult:
        missing = [locus for locus in criteria.loci if locus not in patient]
        if missing:
            raise ValueError(f"patient typing lacks requested loci {missing}")
        if not 0 <= criteria.max_mismatches <= 5:
            raise ValueError("max_mismatches must be within 0..5 (Atlas limit)")
        if not set(criteria.loci) <= set(MATCH_LOCI):
            names = ", ".join(MATCH_LOCI)
            raise ValueError(f"match loci must be among {names}; DPB1 is scored, never a match criterion")
        loci = criteria.loci
        hc = criteria.homozygous_mismatch_counts
        opts = MatchOptions(homozygous_mismatch_counts=hc)
        counts = {locus: self.index(locus).counts(patient[locus], hc) for locus in loci}
        tables = {locus: capped(counts[locus][0], criteria.allowed(locus)) for locus in loci}
        cand = self._filter(tables, criteria)
        n_filter = int(cand["donor_id"].shape[0])
        scores = {
            locus: self._entry_scores(patient[locus], locus, counts[locus], cand[hla_column(locus)], opts)
            for locus in loci
        }
        mm = np.zeros(n_filter, dtype=np.int16)
        pot = np.zeros(n_filter, dtype=np.int16)
        gvh = np.zeros(n_filter, dtype=np.int16)
        ok = np.ones(n_filter, dtype=bool)
        for locus in loci:
            codes = cand[hla_column(locus)]
            per = scores[locus].mismatches[codes]
            ok &= per <= criteria.allowed(locus)
            mm += per
            pot += scores[locus].potential[codes]
            gvh += scores[locus].gvh[codes]
        ok &= mm <= criteria.max_mismatches
        keep = np.flatnonzero(ok)
        n_matching = int(keep.size)
        # Only donors whose leading keys (mismatches, certainty, GvH) tie with or beat the limit-th donor
        # can reach the output, so grades, DPB1 and the full sort are computed for those alone.
        cord = cand["donor_type"][keep] == _CORD
        prefix = mm[keep].astype(np.int64) * 10_000 + pot[keep] * 100 + np.where(cord, 0, gvh[keep])
        if keep.size > criteria.limit > 0:
            cutoff = np.partition(prefix, criteria.limit - 1)[criteria.limit - 1]
            keep = keep[prefix <= cutoff]
        cand = {k: v[keep] for k, v in cand.items()}
        for locus in loci:
            self._grade_entries(patient[locus], locus, scores[locus], cand[hla_column(locus)], opts)
        dpb1 = self._dpb1_details(patient, cand[hla_column(Locus.DPB1)])
        inputs = self._ranking_inputs(criteria, cand, scores, dpb1)
        ropts = RankingOptions(
            age_band_years=criteria.age_band_years,
            patient_cmv=criteria.patient_cmv,
            patient_abo=criteria.patient_abo,
            patient_weight_kg=criteria.patient_weight_kg,
        )
        keys = sort_keys(inputs, ropts)
        order = rank_order(inputs, ropts)[: criteria.limit]
        detail = DonorDetail(patient, criteria.loci, opts, self._typing_of)
        donors = [
            self._donor(
                detail,
                criteria,
                cand,
                scores,
                dpb1,
                inputs,
                ropts,
                int(i),
                r,
                tuple(float(k[i]) for k in keys),
            )
            for r, i in enumerate(order.tolist())
        ]
        if criteria.predict_top and self.predictor is not None:
            donors = self._predict(patient, criteria, cand, order, donors)
        return SearchResult(tuple(donors), n_filter, n_matching, loci)

    # ------------------------------------------------------------------ stages
    def _filter(
        self, tables: Mapping[Locus, npt.NDArray[np.uint8]], criteria: SearchCriteria
    ) -> dict[str, npt.NDArray[np.generic]]:
        registry_codes: npt.NDArray[np.uint16] | None = None
        if criteria.registries is not None:
            names = self.store.registries
            registry_codes = np.array([names.index(r) for r in criteria.registries if r in names], dtype=np.uint16)
        parts: list[dict[str, npt.NDArray[np.generic]]] = []
        for seg in self.store.segments():
            if self.use_phenotype_index and seg.phenotypes is not None:
                rows = filter_rows(seg.phenotypes, tables, criteria.max_mismatches)
                rows = np.sort(rows[seg.live[rows]])
            else:
                rows = np.flatnonzero(scan_rows(seg.columns, tables, criteria.max_mismatches) & seg.live)
            if criteria.donor_type is not None:
                rows = rows[np.asarray(seg.columns["donor_type"])[rows] == DONOR_KIND.code(criteria.donor_type)]
            if registry_codes is not None:
                rows = rows[np.isin(np.asarray(seg.columns["registry"])[rows], registry_codes)]
            if criteria.min_age is not None or criteria.max_age is not None:
                birth = np.asarray(seg.columns["birth_year"])[rows].astype(np.int32)
                age = criteria.reference_year - birth
                keep = birth > 0
                if criteria.min_age is not None:
                    keep &= age >= criteria.min_age
                if criteria.max_age is not None:
                    keep &= age <= criteria.max_age
                rows = rows[keep]
            parts.append({name: np.asarray(col[rows]) for name, col in seg.columns.items()})
        if not parts:  # a store without segments
            names = (*ATTRIBUTE_COLUMNS, *(hla_column(x) for x in STORED_LOCI))
            return {name: np.empty(0, dtype=np.intp) for name in names}
        return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}

    def _entry_scores(
        self,
        patient: LocusTyping,
        locus: Locus,
        counts: tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]],
        codes: npt.NDArray[np.generic],
        opts: MatchOptions,
    ) -> _EntryScores:
        """Exact counts per entry: the filter counts, replaced by ``match_locus`` where they are only bounds."""
        index = self.index(locus)
        out = _EntryScores(
            {},
            counts[0].astype(np.int16),
            counts[1].astype(np.int16),
            np.full(index.size, _UNGRADED, np.int16),
            (~index.single_p | patient.is_genotype_list).astype(np.int16),
        )
        patient_needs = patient.is_genotype_list or any(p.is_serology or p.is_null for p in patient.positions)
        used = np.unique(codes)
        if not patient_needs:
            used = used[index.needs_exact[used]]
        for e in used.tolist():
            typing = index.typings[e]
            if typing is None:
                continue
            m = match_locus(patient, typing, opts)
            out.matches[e] = m
            out.mismatches[e] = m.mismatch_count
            out.gvh[e] = m.gvh_count
        return out

    def _grade_entries(
        self,
        patient: LocusTyping,
        locus: Locus,
        scores: _EntryScores,
        codes: npt.NDArray[np.generic],
        opts: MatchOptions,
    ) -> None:
        index = self.index(locus)
        for e in np.unique(codes).tolist():
            if scores.grade[e] != _UNGRADED:
                continue
            typing = index.typings[e]
            if typing is None:
                scores.grade[e] = _UNTYPED_GRADE
                continue
            m = scores.matches.get(e)
            if m is None:
                m = scores.matches[e] = match_locus(patient, typing, opts)
            scores.grade[e] = sum(p.grade.rank for p in m.positions)

    def _dpb1_details(self, patient: Mapping[str, LocusTyping], codes: npt.NDArray[np.generic]) -> dict[int, Dpb1Score]:
        """Per DPB1 entry of these donors: match, TCE assessment and ranking category."""
        p = patient.get(Locus.DPB1)
        if p is None:
            return {}
        return self._dpb1.scores(p, self.index(Locus.DPB1), codes)

    def _ranking_inputs(
        self,
        criteria: SearchCriteria,
        cand: Mapping[str, npt.NDArray[np.generic]],
        scores: Mapping[Locus, _EntryScores],
        dpb1: Mapping[int, Dpb1Score],
    ) -> RankingInputs:
        n = int(cand["donor_id"].shape[0])
        mm = np.zeros(n, np.int16)
        pot = np.zeros(n, np.int16)
        gvh = np.zeros(n, np.int16)
        grade = np.zeros(n, np.int16)
        untyped = np.zeros(n, np.int16)
        for locus, s in scores.items():
            codes = cand[hla_column(locus)]
            untyped += codes == 0
            mm += s.mismatches[codes]
            pot += s.potential[codes]
            gvh += s.gvh[codes]
            grade += s.grade[codes]
        table = np.full(self.index(Locus.DPB1).size, DPB1_UNKNOWN, dtype=np.int8)
        for e, score in dpb1.items():
            table[e] = score.category
        birth = cand["birth_year"].astype(np.int16)
        age = np.where(birth > 0, criteria.reference_year - birth, -1).astype(np.int16)
        return RankingInputs(
            donor_id=cand["donor_id"].astype(np.int64),
            is_cord=cand["donor_type"] == _CORD,
            mismatches=mm,
            potential_loci=pot,
            gvh=gvh,
            grade_score=grade,
            age=age,
            dpb1=table[cand[hla_column(Locus.DPB1)].astype(np.intp)],
            cmv=cand["cmv"].astype(np.uint8),
            sex=cand["sex"].astype(np.uint8),
            abo=cand["abo"].astype(np.uint8),
            tnc=cand["tnc"].astype(np.float32),
            cd34=cand["cd34"].astype(np.float32),
            untyped_loci=untyped,
        )

    def _donor(
        self,
        detail: DonorDetail,
        criteria: SearchCriteria,
        cand: Mapping[str, npt.NDArray[np.generic]],
        scores: Mapping[Locus, _EntryScores],
        dpb1: Mapping[int, Dpb1Score],
        inputs: RankingInputs,
        ropts: RankingOptions,
        i: int,
        rank: int,
        rank_key: tuple[float, ...],
    ) -> DonorMatch:
        codes = detail.codes_of(cand, i)
        loci: dict[Locus, LocusMatch] = {}
        untyped: list[Locus] = []
        potential: list[Locus] = []
        for locus, s in scores.items():
            e = codes[locus]
            if e == 0:
                untyped.append(locus)
                potential.append(locus)
                continue
            loci[locus] = s.matches[e]
            if s.potential[e]:
                potential.append(locus)
        dp = dpb1.get(codes[Locus.DPB1])
        matches: dict[Locus, LocusMatch] = dict(loci)
        if dp is not None:
            matches[Locus.DPB1] = dp.match
        extra = detail.detail(codes, matches)
        age = int(inputs.age[i])
        mm = int(inputs.mismatches[i])
        registries = self.store.registries
        reg = int(cand["registry"][i])
        return DonorMatch(
            rank=rank + 1,
            donor_id=int(inputs.donor_id[i]),
            donor_type=DONOR_KIND.value(int(cand["donor_type"][i])),
            registry=registries[reg] if reg < len(registries) else "",
            age=age if age >= 0 else None,
            sex=SEX.value(int(cand["sex"][i])),
            cmv=CMV.value(int(cand["cmv"][i])),
            abo=ABO.value(int(cand["abo"][i])),
            mismatch_count=mm,
            match_label=extra.counts.label,
            potential_loci=tuple(potential),
            loci=loci,
            untyped_loci=tuple(untyped),
            dpb1=dp.match if dp else None,
            dpb1_tce=dp.tce if dp else None,
            reason=rank_reason(inputs, ropts, i, len(criteria.loci)),
            counts=extra.counts,
            counts_with_dpb1=extra.counts_with_dpb1,
            locus_counts=extra.locus_counts,
            reported_loci=extra.reported,
            rank_key=rank_key,
            ethnicity=self.store.ethnicity_name(int(cand["ethnicity"][i])),
        )

    def _typing_of(self, locus: Locus, entry: int) -> LocusTyping | None:
        return self.index(locus).typings[entry]

    def _predict(
        self,
        patient: Mapping[str, LocusTyping],
        criteria: SearchCriteria,
        cand: Mapping[str, npt.NDArray[np.generic]],
        order: npt.NDArray[np.intp],
        donors: list[DonorMatch],
    ) -> list[DonorMatch]:
        assert self.predictor is not None
        predictor = self.predictor
        # loci excluded from the search are excluded before imputation (an 8/8 search ignores DQB1)
        predict_loci = predictor.compared_loci(criteria.loci)
        patient_population = Population(criteria.patient_registry, criteria.patient_ethnicity)
        patient_g: dict[int, GenotypeSet] = {}
        out: list[DonorMatch] = []
        for k, donor in enumerate(donors):
            if k >= criteria.predict_top:
                out.append(donor)
                continue
            i = int(order[k])
            ethnicity = self.store.ethnicity_name(int(cand["ethnicity"][i]))
            sets = predictor.catalogue.select_pair(patient_population, Population(donor.registry or None, ethnicity))
            if id(sets.patient) not in patient_g:
                patient_g[id(sets.patient)] = predictor.impute(patient, loci=predict_loci, hf=sets.patient)
            codes = tuple(int(cand[hla_column(locus)][i]) for locus in predict_loci)
            typings = partial(self._typings_of, predict_loci, codes)
            # dictionary codes are renumbered when the store is compacted: the generation keeps keys apart
            key = (self.store.generation, codes)
            donor_g = predictor.impute_cached(key, typings, loci=predict_loci, hf=sets.donor)
            prob = predictor.predict(
                patient_g[id(sets.patient)],
                donor_g,
                loci=predict_loci,
                homozygous_counts=criteria.homozygous_mismatch_counts,
            )
            out.append(_with_prediction(donor, prob))
        return out

    def _typings_of(self, loci: tuple[Locus, ...], key: tuple[int, ...]) -> dict[str, LocusTyping]:
        out: dict[str, LocusTyping] = {}
        for locus, e in zip(loci, key, strict=True):
            typing = self.index(locus).typings[e]
            if typing is not None:
                out[locus] = typing
        return out


def _with_prediction(donor: DonorMatch, prediction: MatchProbabilities) -> DonorMatch:
    return replace(donor, prediction=prediction)


def patient_typing(nom: Nomenclature, gl: str, *, mac: MacDictionary | None = None) -> dict[str, LocusTyping]:
    """Patient typing from a GL String (``A*01:01+A*02:01^B*...``)."""
    return typings_from_gl(nom, gl, mac=mac)
