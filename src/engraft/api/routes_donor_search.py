"""``POST /api/donor-search``: ranked unrelated donors and cord units from the donor registry store.

The store (memory-mapped columns, see :mod:`engraft.hla.search.donor_store`) and the IPD-IMGT/HLA release
are opened once per process; a store changed on disk is reopened and indexed in the background while
searches go on (:class:`DonorRegistry`). Without either, the route answers 503 saying what is missing. MAC typings
(``A*01:AB``, of the patient and of the donors) are expanded with the configured NMDP MAC list
(:mod:`engraft.config.mac_list`: ``ENGRAFT_MAC_FILE`` or ``engraft hla install-mac``); without one they
are refused with a message naming the command.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from engraft.access import Permission
from engraft.api.auth import require
from engraft.api.donor_rank_reasons import with_rank_reasons
from engraft.api.donor_search_schemas import DonorSearchResult
from engraft.api.errors import echo
from engraft.api.problems import RULE_VIOLATION, FieldProblem, problem_responses
from engraft.api.request_body import JsonBodyRoute, RequestProblem
from engraft.config.mac_list import MAC_INSTALL_HINT, load_mac_dictionary
from engraft.hla.nomenclature.errors import HlaError, HlaReleaseError
from engraft.hla.nomenclature.mac import mentions_mac
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet
from engraft.hla.prediction.set_selection import FrequencySetCatalogue
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.search_models import SearchCriteria
from engraft.hla.search.search_report import search_report
from engraft.io.haplotype_frequencies import hf_paths, load_hf_catalogue
from engraft.io.imgt_release import load_nomenclature
from engraft.registry.database import default_database_path
from engraft.registry.schemas.common import Text
from engraft.vocabulary import AboGroup, DonorKind, Serostatus
from engraft.vocabulary.hla import MATCH_LOCI, Locus

_log = logging.getLogger(__name__)
DONOR_STORE_ENV = "ENGRAFT_DONOR_STORE"
HF_SET_ENV = "ENGRAFT_HF_SET"
router = APIRouter(
    prefix="/api/donor-search",
    tags=["donor search"],
    route_class=JsonBodyRoute,
    dependencies=[require(Permission.DONOR_SEARCH)],
)
#: Characters of a GL String (allele names and the operators / ~ + | ^); the names are checked against the release.
GL_STRING_CHARACTERS = r"^[A-Za-z0-9*:/+^~|.\-]+$"

HfSetFactory = Callable[[Nomenclature], HaplotypeFrequencySet | FrequencySetCatalogue | None]
"""Builds the haplotype frequencies for match prediction against the process's nomenclature."""


def default_donor_store_path() -> Path:
    """``ENGRAFT_DONOR_STORE``, else ``donor-store`` beside the default registry database."""
    env = os.environ.get(DONOR_STORE_ENV)
    return Path(env) if env else default_database_path().with_name("donor-store")


class DonorSearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    patient: str = Field(
        min_length=3, max_length=2000, pattern=GL_STRING_CHARACTERS, description="patient typing as a GL String"
    )
    loci: list[Locus] = Field(
        default_factory=lambda: list(MATCH_LOCI),
        description="loci to match, among A, B, C, DRB1 and DQB1 (DPB1 is scored, never a match criterion)",
    )
    max_mismatches: int = Field(default=0, ge=0, le=5)
    max_mismatches_per_locus: dict[Locus, Annotated[int, Field(ge=0, le=2)]] = Field(default_factory=dict)
    donor_type: DonorKind | Literal["any"] = Field(
        default=DonorKind.ADULT, description="adult donors, cord blood units, or any (both)"
    )
    registries: list[Annotated[Text, Field(min_length=1, max_length=64)]] | None = Field(default=None, max_length=100)
    min_age: int | None = Field(default=None, ge=0, le=99)
    max_age: int | None = Field(default=None, ge=0, le=99)
    limit: int = Field(default=20, ge=1, le=1000)
    predict_top: int = Field(default=0, ge=0, le=1000, description="match prediction for the top N donors")
    homozygous_mismatch_counts: Literal[1, 2] = 2
    patient_cmv: Serostatus = Field(
        default=Serostatus.UNKNOWN,
        description="the patient's CMV serostatus; donors of the same status rank first (unless unknown or equivocal)",
    )
    patient_abo: AboGroup | None = Field(
        default=None, description="the patient's ABO group (null: not known); ABO-identical donors rank first"
    )
    patient_weight_kg: float | None = Field(default=None, gt=0, lt=400)
    patient_registry: Annotated[Text, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="the patient's registry: chooses the patient's HF set for match prediction"
    )
    patient_ethnicity: Annotated[Text, Field(min_length=1, max_length=64)] | None = Field(
        default=None, description="the patient's ethnicity code: chooses the patient's HF set for match prediction"
    )

    @field_validator("loci")
    @classmethod
    def _match_loci_only(cls, loci: list[Locus]) -> list[Locus]:
        other = [locus.value for locus in loci if locus not in MATCH_LOCI]
        if other:
            names = ", ".join(MATCH_LOCI)
            raise ValueError(f"{', '.join(other)} cannot be a match criterion; match loci are {names}")
        return loci

    def criteria(self) -> SearchCriteria:
        return SearchCriteria(
            loci=tuple(self.loci),
            max_mismatches=self.max_mismatches,
            max_mismatches_per_locus=dict(self.max_mismatches_per_locus),
            donor_type=None if self.donor_type == "any" else self.donor_type,
            registries=frozenset(self.registries) if self.registries else None,
            min_age=self.min_age,
            max_age=self.max_age,
            limit=self.limit,
            homozygous_mismatch_counts=self.homozygous_mismatch_counts,
            predict_top=self.predict_top,
            patient_cmv=self.patient_cmv,
            patient_abo=self.patient_abo,
            patient_weight_kg=self.patient_weight_kg,
            patient_registry=self.patient_registry,
            patient_ethnicity=self.patient_ethnicity,
        )


class DonorRegistry:
    """The donor store, nomenclature and (optional) haplotype frequencies of one process, opened on first use.

    The release is ``imgt_dir`` or the configured one (:func:`engraft.io.imgt_release.load_nomenclature`).
    Frequencies for match prediction come from ``haplotype_frequencies`` when the caller gives one (the
    CLI's ``serve --demo`` passes the synthetic demo set), else from the Atlas HF-set JSON files named by
    ``ENGRAFT_HF_SET`` (several separated by ``os.pathsep``: one per registry or population, one global).

    Index rebuilds never block searches: when the store on disk has changed (``engraft donors import``
    while serving), :meth:`search_engine` keeps answering with the engine it has and starts one
    background :meth:`refresh`, which opens the store anew and builds every locus index (vectorised,
    :class:`~engraft.hla.search.search_index.LocusIndex`) without holding the lock, then swaps the new
    engine in with a single assignment. A search in flight keeps the engine (store snapshot and indexes)
    it started with, so it is answered from one consistent index. A refresh that fails (a store being
    rewritten, a broken manifest) leaves the old engine serving, says why in :attr:`last_refresh_error`,
    and is tried again only when the store's generation changes once more.
    """

    def __init__(
        self,
        store_path: Path | None = None,
        *,
        imgt_dir: Path | None = None,
        haplotype_frequencies: HfSetFactory | None = None,
        mac_file: Path | None = None,
    ) -> None:
        self.store_path = store_path or default_donor_store_path()
        self.mac_file = mac_file
        self.imgt_dir = imgt_dir
        self.haplotype_frequencies = haplotype_frequencies
        self._search: DonorSearch | None = None
        self._lock = threading.Lock()
        self._refresher: threading.Thread | None = None
        self._refreshing = 0  # refreshes running (background or called directly)
        self._failed_generation: int | None = None  # a store generation whose refresh failed: not retried
        #: Why the last background refresh failed (``None`` after a refresh that worked).
        self.last_refresh_error: str | None = None
        self.background_refreshes = 0  # started so far

    def search_engine(self) -> DonorSearch:
        """The current engine (opened on first use); a changed store schedules a background refresh."""
        with self._lock:
            if self._search is None:
                self._search = self._open()
            engine = self._search
        if self._changed(engine):
            self._start_refresh()
        return engine

    def refresh(self, *, before_swap: Callable[[DonorSearch], None] | None = None) -> DonorSearch:
        """Open the store anew and build every index outside the lock, then swap the new engine in.

        ``before_swap`` is called with the new, fully built engine just before it replaces the old one.
        """
        with self._lock:
            self._refreshing += 1
        try:
            engine = self._open()
            engine.build_indexes()
            if before_swap is not None:
                before_swap(engine)
            with self._lock:
                self._search = engine
            return engine
        finally:
            with self._lock:
                self._refreshing -= 1

    def wait_for_refresh(self, timeout: float | None = None) -> bool:
        """Wait for a background refresh to end; ``True`` when none is running any more."""
        thread = self._refresher
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _changed(self, engine: DonorSearch) -> bool:
        try:
            generation = DonorStore.stored_generation(self.store_path)
        except (OSError, ValueError, KeyError):  # a manifest being replaced or unreadable: keep serving
            return False
        return generation not in (engine.store.generation, self._failed_generation)

    def _start_refresh(self) -> None:
        with self._lock:
            if self._refreshing or (self._refresher is not None and self._refresher.is_alive()):
                return
            self._refresher = threading.Thread(target=self._refresh_quietly, name="donor-index-refresh", daemon=True)
            self.background_refreshes += 1
            self._refresher.start()

    def _refresh_quietly(self) -> None:
        try:
            generation: int | None = DonorStore.stored_generation(self.store_path)
        except (OSError, ValueError, KeyError):
            generation = None
        try:
            self.refresh()
        except (RequestProblem, HlaError, ValueError, KeyError, OSError) as exc:  # the old engine keeps serving
            self._failed_generation = generation  # tried again only when the store changes once more
            self.last_refresh_error = getattr(exc, "detail", None) or str(exc)
            _log.warning("donor store refresh failed, searches keep the previous index: %s", exc)
        else:
            self._failed_generation = None
            self.last_refresh_error = None

    def _open(self) -> DonorSearch:
        try:
            nom = load_nomenclature(self.imgt_dir)
        except HlaReleaseError as exc:
            raise RequestProblem(503, f"donor search needs an IPD-IMGT/HLA release: {exc}") from exc
        if not (self.store_path / "manifest.json").exists():
            raise RequestProblem(
                503,
                f"no donor registry at {self.store_path}: run `engraft donors generate` or "
                "`engraft donors import`, or `engraft serve --demo`",
            )
        try:
            mac = load_mac_dictionary(self.mac_file)
        except HlaReleaseError as exc:
            raise RequestProblem(503, f"donor search cannot read the MAC list: {exc}") from exc
        store = DonorStore.open(self.store_path)
        return DonorSearch(store, nom, hf=self._frequencies(nom), mac=mac)

    def _frequencies(self, nom: Nomenclature) -> HaplotypeFrequencySet | FrequencySetCatalogue | None:
        if self.haplotype_frequencies is not None:
            return self.haplotype_frequencies(nom)
        paths = hf_paths(os.environ.get(HF_SET_ENV, ""))
        try:
            return load_hf_catalogue(nom, paths) if paths else None
        except (HlaError, ValueError, OSError) as exc:
            raise RequestProblem(503, f"match prediction's HF sets ({HF_SET_ENV}) cannot be used: {exc}") from exc


@router.post("", responses=problem_responses(400, 413, 415, 422, 503))
def donor_search(request: Request, body: DonorSearchRequest) -> DonorSearchResult:
    """Ranked donors with per-locus match detail, GvH/HvG direction, DPB1 TCE and the rank reason."""
    registry: DonorRegistry = request.app.state.donor_registry
    engine = registry.search_engine()
    if engine.mac is None and mentions_mac(body.patient):
        hint = f"a multiple-allele code needs the NMDP MAC list, and none is configured: {MAC_INSTALL_HINT}"
        fault = FieldProblem(field="patient", value=echo(body.patient), expected=hint, message=hint)
        raise RequestProblem(422, f"patient: {hint}", [fault], kind=RULE_VIOLATION)
    try:
        typing = patient_typing(engine.nom, body.patient, mac=engine.mac)
        result = engine.search(typing, body.criteria())
    except (HlaError, ValueError) as exc:
        fault = FieldProblem(field="patient", value=echo(body.patient), expected=str(exc), message=str(exc))
        raise RequestProblem(422, f"patient: {exc}", [fault], kind=RULE_VIOLATION) from exc
    report = search_report(result)
    report["donors"] = with_rank_reasons(report["donors"], body.criteria())
    return DonorSearchResult.model_validate(
        {
            **report,
            "release": engine.nom.release,
            "donors_in_registry": len(engine.store),
            "prediction_available": engine.predictor is not None,
        }
    )
