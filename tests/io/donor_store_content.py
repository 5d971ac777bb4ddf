"""What a donor store holds, donor by donor: the test's view for comparing two import paths."""

from __future__ import annotations

import math

import numpy as np

from engraft.hla.search.donor_store import DonorStore, hla_column
from engraft.vocabulary.hla import STORED_LOCI


def store_content(store: DonorStore) -> dict[int, tuple[object, ...]]:
    """Each live donor's stored fields and typings by donor id (NaN cell counts as None)."""
    out: dict[int, tuple[object, ...]] = {}
    for seg in store.segments():
        cols = {k: np.asarray(v)[seg.live] for k, v in seg.columns.items()}
        for i in range(int(seg.live.sum())):
            hla = tuple(store.typing_tokens(locus, int(cols[hla_column(locus)][i])) for locus in STORED_LOCI)
            tnc, cd34 = float(cols["tnc"][i]), float(cols["cd34"][i])
            out[int(cols["donor_id"][i])] = (
                int(cols["donor_type"][i]),
                store.registries[int(cols["registry"][i])],
                int(cols["birth_year"][i]),
                int(cols["sex"][i]),
                int(cols["cmv"][i]),
                int(cols["abo"][i]),
                None if math.isnan(tnc) else tnc,
                None if math.isnan(cd34) else cd34,
                store.ethnicity_name(int(cols["ethnicity"][i])),
                hla,
            )
    return out
