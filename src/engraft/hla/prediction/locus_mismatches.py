"""Mismatches at one locus between P-group genotypes, counted as :func:`engraft.hla.matching.locus_match.match_locus`
counts them: ``max(GvH, HvG)`` over both orientations; a null allele makes its locus homozygous for the
expressed one (WMDA, Atlas); with ``homozygous_counts == 1`` a homozygous subject mismatched at both of the
other's alleles counts one mismatch, not two."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engraft.hla.prediction.imputation import NULL


def effective(pairs: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """A null position takes the other position's P group (a locus with one null allele is homozygous)."""
    a, b = pairs[:, 0], pairs[:, 1]
    return np.where(a == NULL, b, a), np.where(b == NULL, a, b)


def locus_mismatches(
    p: npt.NDArray[np.int32], d: npt.NDArray[np.int32], homozygous_counts: int
) -> npt.NDArray[np.uint8]:
    """(Np, Nd) mismatch counts at one locus from P-group pairs (Np, 2) and (Nd, 2)."""
    pa, pb = effective(p)
    da, db = effective(d)
    eq = [[x[:, None] == y[None, :] for y in (da, db)] for x in (pa, pb)]
    gvh = (~(eq[0][0] | eq[0][1])).astype(np.uint8)
    second_p = ~(eq[1][0] | eq[1][1])
    if homozygous_counts == 1:
        second_p &= (pa != pb)[:, None]
    gvh += second_p
    hvg = (~(eq[0][0] | eq[1][0])).astype(np.uint8)
    second_d = ~(eq[0][1] | eq[1][1])
    if homozygous_counts == 1:
        second_d &= (da != db)[None, :]
    hvg += second_d
    out: npt.NDArray[np.uint8] = np.maximum(gvh, hvg)
    return out
