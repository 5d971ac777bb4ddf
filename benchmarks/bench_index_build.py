"""Locus-index build benchmark: the vectorised ``LocusIndex.build`` beside the per-entry loop it replaced.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_index_build.py --entries 240000

A dictionary of ``--entries`` distinct (first, second) pairs of HLA-A tokens is drawn with a fixed seed from
the release's A alleles at 2-field, 3-field and G-group resolution (the issue's figure: 2-3 s at 240k entries
for the per-entry loop). Token positions are typed once before timing (both builds share the memoised
positions), so the timings compare what each build does per entry. The peer, in the same process, is the
per-entry loop of the earlier ``LocusIndex.build`` (one ``LocusTyping`` per entry, Python lists of P-group
sets); both results are checked equal on every array. Prints one JSON object with the load average.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from engraft.hla import Nomenclature
from engraft.hla.matching.typing_builder import typing_builder
from engraft.hla.search.search_index import LocusIndex
from engraft.vocabulary.hla import Locus

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SEED = 20261204


def _tokens(nom: Nomenclature) -> list[str]:
    names = [n for n in nom.allele_names[: nom.release_allele_count] if n.startswith("A*") and not n.endswith("N")]
    out: set[str] = set()
    for name in names:
        fields = name.split("*")[1].split(":")
        out.add(f"A*{':'.join(fields[:2])}")
        if len(fields) >= 3:
            out.add(f"A*{':'.join(fields[:3])}")
    out.update(n for n in nom.g_group_names if n.startswith("A*") and n.endswith("G"))
    return sorted(t for t in out if nom.is_valid(t))


def _pairs(tokens: list[str], n: int) -> list[tuple[str, str]]:
    rng = np.random.default_rng(SEED)
    seen: dict[tuple[str, str], None] = {("", ""): None}
    while len(seen) < n:
        a, b = rng.integers(0, len(tokens), size=(2, n))
        for i, j in zip(a.tolist(), b.tolist(), strict=True):
            pair = (tokens[min(i, j)], tokens[max(i, j)])
            seen.setdefault(pair, None)
            if len(seen) >= n:
                break
    return list(seen)


def per_entry_build(nom: Nomenclature, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, ...]:  # type: ignore[type-arg]
    """The earlier build: one typing per entry, P-group sets appended entry by entry."""
    builder = typing_builder(nom)
    offsets: list[list[int]] = [[0, 0], [0, 0]]
    values: list[list[int]] = [[], []]
    n = len(pairs)
    null_pos = np.zeros(n, dtype=bool)
    homo = np.zeros(n, dtype=bool)
    single = np.zeros(n, dtype=bool)
    needs = np.zeros(n, dtype=bool)
    null_pos[0] = True
    for e in range(1, n):
        typing = builder.locus_typing(*pairs[e])
        eff = typing.effective()
        for k in (0, 1):
            values[k].extend(sorted(eff[k].p_groups))
            offsets[k].append(len(values[k]))
        new = eff[0].has_new or eff[1].has_new
        null_pos[e] = eff[0].is_null or eff[1].is_null or typing.is_genotype_list or new
        homo[e] = eff[0].p_groups == eff[1].p_groups
        single[e] = (
            not typing.is_genotype_list and not new and all(len(p.p_groups) == 1 and not p.is_serology for p in eff)
        )
        needs[e] = null_pos[e] or any(p.is_serology or p.is_null for p in typing.positions)
    return (
        np.asarray(offsets[0][1:]),
        np.asarray(values[0]),
        np.asarray(offsets[1][1:]),
        np.asarray(values[1]),
        null_pos,
        homo,
        single,
        needs,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=240_000)
    parser.add_argument("--imgt-dir", type=Path, default=None)
    args = parser.parse_args()
    imgt = args.imgt_dir or Path(os.environ.get("ENGRAFT_IMGT_DIR") or SHARED / "imgt-hla" / "3.58.0")
    nom = Nomenclature.load(imgt)
    tokens = _tokens(nom)
    pairs = _pairs(tokens, args.entries)
    builder = typing_builder(nom)
    for token in tokens:  # type every token once: both builds use the memoised positions
        builder.position(token)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    wall, cpu = time.perf_counter(), time.process_time()
    index = LocusIndex.build(nom, Locus.A, pairs)
    new_wall, new_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    old = per_entry_build(nom, pairs)
    old_wall, old_cpu = time.perf_counter() - wall, time.process_time() - cpu
    got = (
        index.positions[0].offsets[1:],
        index.positions[0].values,
        index.positions[1].offsets[1:],
        index.positions[1].values,
        index.null_position,
        index.homozygous,
        index.single_p,
        index.needs_exact,
    )
    equal = all(np.array_equal(a, b) for a, b in zip(got, old, strict=True))
    print(
        {
            "entries": len(pairs),
            "distinct_tokens": len(tokens),
            "vectorised_s": round(new_wall, 3),
            "vectorised_cpu_s": round(new_cpu, 3),
            "per_entry_s": round(old_wall, 3),
            "per_entry_cpu_s": round(old_cpu, 3),
            "speed_up_wall": round(old_wall / new_wall, 1),
            "equal": equal,
            "load_before": load_before,
            "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        }
    )


if __name__ == "__main__":
    main()
