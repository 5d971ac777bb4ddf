"""The per-locus dictionary of a donor store: distinct (first, second) token pairs, entry 0 = untyped.

A registry of millions of donors has only thousands of distinct locus typings; each donor stores the
code of its pair in this dictionary (see :mod:`engraft.hla.search.donor_store`). Entries are tokens,
never release-specific codes, so a store can be re-read under a later IPD-IMGT/HLA release.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from engraft.hla.search.donor_batch import UNTYPED, LocusColumn


class LocusDictionary:
    """Append-only list of distinct (first, second) token pairs of one locus; entry 0 = untyped."""

    def __init__(self, pairs: Sequence[tuple[str, str]] | None = None) -> None:
        self.pairs: list[tuple[str, str]] = list(pairs) if pairs else [("", "")]
        self._index = {p: i for i, p in enumerate(self.pairs)}

    def __len__(self) -> int:
        return len(self.pairs)

    def code(self, pair: tuple[str, str]) -> int:
        hit = self._index.get(pair)
        if hit is None:
            hit = len(self.pairs)
            self.pairs.append(pair)
            self._index[pair] = hit
        return hit

    def encode(self, col: LocusColumn) -> npt.NDArray[np.int32]:
        """Dictionary codes for a batch column: positions in canonical (sorted) order, ``None`` -> homozygous."""
        first = col.first.copy()
        second = col.second.copy()
        only_second = first == UNTYPED
        first[only_second] = second[only_second]
        only_first = second == UNTYPED
        second[only_first] = first[only_first]
        vocab = col.vocabulary
        rank = np.empty(len(vocab) + 1, dtype=np.int64)
        rank[:-1] = np.argsort(np.argsort(np.array(vocab, dtype=object))) if vocab else np.empty(0, np.int64)
        rank[-1] = -1  # index -1 (untyped) sorts first and is never mixed with a token
        swap = rank[first] > rank[second]
        first[swap], second[swap] = second[swap], first[swap]
        width = len(vocab) + 1
        keys = (first.astype(np.int64) + 1) * width + (second.astype(np.int64) + 1)
        unique, inverse = np.unique(keys, return_inverse=True)
        mapped = np.empty(unique.shape[0], dtype=np.int32)
        for k, key in enumerate(unique.tolist()):
            f, s = divmod(int(key), width)
            mapped[k] = 0 if f == 0 else self.code((vocab[f - 1], vocab[s - 1]))
        out: npt.NDArray[np.int32] = mapped[inverse.reshape(-1)]
        return out
