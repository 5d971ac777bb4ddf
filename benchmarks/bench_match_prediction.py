"""Match-prediction benchmark: genotype imputation with a large, long-tailed haplotype-frequency set.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_match_prediction.py --haplotypes 100000 --patients 40

The set is the 301-haplotype Atlas sample (``../shared/data/atlas-samples/hf-set-301.json`` or
``$ENGRAFT_HF_SET``; never committed) plus a recombined long tail (fixed seed): each tail haplotype takes
every locus from an independently drawn sample haplotype, its frequency from a Zipf-like tail holding 10 %
of the mass (duplicates merge, so the set holds fewer distinct haplotypes than drawn). Patients are drawn
from the set (half from the sample haplotypes, "common", half from the tail, "rare") and typed at two
fields with one locus left untyped, with XX codes, or with XX codes at A, B and DRB1 only (an old
registry record): ambiguous typings that need the set. Reported per kind: imputation p50/p95 (P-group
consistency, 2,000-genotype cap), and the peer in the same process on the same typings: the textbook
pairing of every consistent haplotype after checking every haplotype of the set (no candidate rows from the
most selective locus, no classes of alike haplotypes), as the earlier implementation did, with the ratio
of medians (peer / ours); the two must find the same genotypes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engraft.hla import LocusTyping, Nomenclature, locus_typing
from engraft.hla.prediction.haplotype_frequencies import HaplotypeFrequencySet, build_hf_set
from engraft.hla.prediction.imputation import NULL, Consistency, GenotypeSource, LocusView, impute, token_consistency
from engraft.io.haplotype_frequencies import load_atlas_hf_set

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def long_tail_set(nom: Nomenclature, sample: HaplotypeFrequencySet, n: int, seed: int) -> HaplotypeFrequencySet:
    rng = np.random.default_rng(seed)
    tail = max(0, n - sample.size)
    picks = rng.choice(sample.size, size=(tail, len(sample.loci)), p=sample.frequencies)
    haplotypes = [dict(zip(sample.loci, row, strict=True)) for row in sample.tokens]
    for row in picks.tolist():
        haplotypes.append(
            {locus: sample.tokens[h][j] for j, (locus, h) in enumerate(zip(sample.loci, row, strict=True))}
        )
    zipf = 1.0 / np.arange(1, tail + 1) ** 0.8
    freqs = np.concatenate([sample.frequencies * 0.9, 0.1 * zipf / zipf.sum()])
    return build_hf_set(nom, haplotypes, freqs.tolist())


def _typing(
    nom: Nomenclature, hf: HaplotypeFrequencySet, h1: int, h2: int, kind: str, skip: int
) -> dict[str, LocusTyping]:
    out: dict[str, LocusTyping] = {}
    for j, locus in enumerate(hf.loci):
        if (kind == "2field-one-untyped" and j == skip) or (kind == "xx-a-b-drb1" and locus in ("C", "DQB1")):
            continue
        names = []
        for h in (h1, h2):
            token = hf.tokens[h][j]
            allele = next(c for c in nom.expand(token).alleles if not nom.is_null[c])
            if kind.startswith("xx"):
                names.append(f"{locus}*{nom.allele_names[allele].split('*')[1].split(':')[0]}:XX")
            else:
                names.append(nom.two_field_names[int(nom.two_field_of[allele])])
        out[locus] = locus_typing(nom, *names)
    return out


def pair_every_haplotype(hf: HaplotypeFrequencySet, typing: dict[str, LocusTyping]) -> int:
    """The peer: every consistent haplotype paired with every other, collapsed to P-group genotypes."""
    views = []
    for j, locus in enumerate(hf.loci):  # every haplotype of the set, as the earlier implementation
        p = hf.p_codes[:, j]
        if locus not in typing:
            ones = np.ones(hf.size, dtype=bool)
            views.append(LocusView(ones, ones, p, p))
            continue
        ok = [
            token_consistency(hf.locus_tokens[j], pos, Consistency.P_GROUP)[hf.codes[:, j]]
            for pos in typing[locus].positions
        ]
        vs = [np.full(hf.size, NULL, np.int32) if pos.is_null else p for pos in typing[locus].positions]
        views.append(LocusView(ok[0], ok[1], vs[0], vs[1]))
    either = np.ones(hf.size, dtype=bool)
    for v in views:
        either &= v.c1 | v.c2
    s = np.flatnonzero(either)
    found: list[npt.NDArray[np.int32]] = []
    block = max(1, 2_000_000 // max(s.size * len(views), 1))
    for start in range(0, s.size, block):
        a = s[start : start + block]
        ok = np.arange(start, start + a.size)[:, None] <= np.arange(s.size)[None, :]
        for v in views:
            ok &= (v.c1[a][:, None] & v.c2[s][None, :]) | (v.c2[a][:, None] & v.c1[s][None, :])
        ai, bj = np.nonzero(ok)
        ha, hb = a[ai], s[bj]
        p = np.stack([np.where(v.c1[ha] & v.c2[hb], v.v1[ha], v.v2[ha]) for v in views], axis=1)
        q = np.stack([np.where(v.c1[ha] & v.c2[hb], v.v2[hb], v.v1[hb]) for v in views], axis=1)
        found.append(np.stack([np.minimum(p, q), np.maximum(p, q)], axis=2).reshape(ai.size, -1))
    rows = np.concatenate(found) if found else np.empty((0, 2 * len(views)), np.int32)
    return int(np.unique(rows, axis=0).shape[0])


def _pct(values: list[float]) -> dict[str, float]:
    arr = np.array(values)
    return {"p50": round(float(np.percentile(arr, 50)), 4), "p95": round(float(np.percentile(arr, 95)), 4)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--haplotypes", type=int, default=100_000)
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--peer-patients", type=int, default=10)
    parser.add_argument("--imgt-dir", default=None)
    parser.add_argument("--hf", default=None)
    args = parser.parse_args(argv)
    nom = Nomenclature.load(args.imgt_dir or os.environ.get("ENGRAFT_IMGT_DIR") or SHARED / "imgt-hla" / "3.58.0")
    sample = load_atlas_hf_set(
        nom, args.hf or os.environ.get("ENGRAFT_HF_SET") or SHARED / "atlas-samples" / "hf-set-301.json"
    )
    t0 = time.perf_counter()
    hf = long_tail_set(nom, sample, args.haplotypes, seed=2026)
    result: dict[str, object] = {"haplotypes": hf.size, "build_s": round(time.perf_counter() - t0, 2)}
    rng = np.random.default_rng(7)
    for kind in ("2field-one-untyped", "xx", "xx-a-b-drb1"):
        for origin in ("common", "rare"):
            low, high = (0, sample.size) if origin == "common" else (sample.size, hf.size)
            typings = [
                _typing(nom, hf, *rng.integers(low, high, size=2).tolist(), kind, int(rng.integers(1, 5)))
                for _ in range(args.patients)
            ]
            times, genotypes, peer_times = [], [], []
            for k, typing in enumerate(typings):
                t = time.perf_counter()
                g = impute(hf, typing)
                times.append(time.perf_counter() - t)
                genotypes.append(g.genotypes_total)
                if k < args.peer_patients and g.source is not GenotypeSource.TYPED:
                    t = time.perf_counter()
                    assert pair_every_haplotype(hf, typing) == g.genotypes_total  # the same genotypes
                    peer_times.append(time.perf_counter() - t)
            result[f"{kind}/{origin}"] = {
                **_pct(times),
                "median_genotypes": int(np.median(genotypes)),
                "peer": _pct(peer_times),
                "peer_ratio_p50": round(float(np.median(peer_times)) / float(np.median(times[: len(peer_times)])), 1),
            }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
