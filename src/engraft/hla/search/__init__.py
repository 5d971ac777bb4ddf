"""Donor search: the memory-mapped donor registry store, its import, ranked search and batch search.

The top layer of :mod:`engraft.hla`: builds on nomenclature, matching and prediction (match
probabilities for the top donors). Reading donor files is :mod:`engraft.io.donor_files`.

* :mod:`~engraft.hla.search.donor_batch`, :mod:`~engraft.hla.search.donor_store`,
  :mod:`~engraft.hla.search.locus_dictionary`, :mod:`~engraft.hla.search.store_codes` (the vocabulary's
  kind, sex, CMV and ABO as the store's codes), :mod:`~engraft.hla.search.donor_fields` (donor-file
  values read into the vocabulary), :mod:`~engraft.hla.search.donor_import`: the store;
* :mod:`~engraft.hla.search.search_index`, :mod:`~engraft.hla.search.phenotype_index`: the filter;
* :mod:`~engraft.hla.search.ranking`, :mod:`~engraft.hla.search.donor_search`, :mod:`~engraft.hla.search.donor_detail`,
  :mod:`~engraft.hla.search.search_models`, :mod:`~engraft.hla.search.search_report`: the search;
* :mod:`~engraft.hla.search.batch_search`: a waiting list on Dask.
"""

from engraft.hla.search.batch_search import (
    BatchOutcome,
    SearchEngineSource,
    WaitingListEntry,
    search_partition,
    search_waiting_list,
)
from engraft.hla.search.donor_batch import DonorBatch, InvalidTyping, LocusColumn
from engraft.hla.search.donor_import import DonorRecord, ImportReport, import_atlas_donors, import_records
from engraft.hla.search.donor_search import DonorSearch, patient_typing
from engraft.hla.search.donor_store import DonorStore
from engraft.hla.search.search_models import DonorMatch, SearchCriteria, SearchResult
from engraft.hla.search.search_report import search_report

__all__ = [
    "BatchOutcome",
    "DonorBatch",
    "DonorMatch",
    "DonorRecord",
    "DonorSearch",
    "DonorStore",
    "ImportReport",
    "InvalidTyping",
    "LocusColumn",
    "SearchCriteria",
    "SearchEngineSource",
    "SearchResult",
    "WaitingListEntry",
    "import_atlas_donors",
    "import_records",
    "patient_typing",
    "search_partition",
    "search_report",
    "search_waiting_list",
]
