"""A donor search opened from files: store folder, IPD-IMGT/HLA release, HF set and MAC list paths.

Used as the :class:`~engraft.hla.search.batch_search.SearchEngineSource` of a batch search: it is a
few strings, so it travels cheaply to Dask workers, and each worker opens the engine from the files.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.tables import Nomenclature
from engraft.hla.search.donor_search import DonorSearch
from engraft.hla.search.donor_store import DonorStore
from engraft.io.haplotype_frequencies import hf_paths, load_hf_catalogue


@dataclass(frozen=True, slots=True)
class DonorSearchFiles:
    """Paths of everything a :class:`DonorSearch` needs (``hf_path`` and ``mac_path`` optional).

    ``hf_path`` may name several HF-set files separated by ``os.pathsep`` (one per registry or population).
    """

    store_root: str
    imgt_dir: str
    hf_path: str | None = None
    mac_path: str | None = None

    def engine_key(self) -> Hashable:
        """The paths and the store generation: an engine is reopened when the store has changed."""
        return (self, DonorStore.stored_generation(self.store_root))

    def open_engine(self) -> DonorSearch:
        nom = Nomenclature.load(self.imgt_dir)
        hf = load_hf_catalogue(nom, hf_paths(self.hf_path)) if self.hf_path else None
        mac = MacDictionary.from_file(self.mac_path) if self.mac_path else None
        return DonorSearch(DonorStore.open(self.store_root), nom, hf=hf, mac=mac)
