"""Centre benchmarking's bootstrap on a Dask cluster: the same figures as in one process for a seed."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from engraft.outcomes.benchmarking import (
    BLOCK_DRAWS,
    BLOCK_REPLICATES,
    benchmark_centres,
    bootstrap_statistics,
    replicate_blocks,
)
from tests.outcomes.test_benchmarking import synthetic_registry

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """A light in-process LocalCluster (2 workers, 1 thread each): the machine's cores are shared."""
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as local,
        distributed.Client(local) as client,
    ):
        yield client


def _figures(result: object) -> list[tuple[str, str, float, float, float, float]]:
    return [(c.centre, c.flag, c.observed, c.expected, c.lower, c.upper) for c in result.centres]  # type: ignore[attr-defined]


def test_cluster_gives_the_same_centre_figures_as_one_process(cluster: object) -> None:
    time, event, centre, cov = synthetic_registry(5, n_centres=6, n_per=150, worse="C02")
    alone = benchmark_centres(time, event, centre, cov, seed=11, n_bootstrap=600)
    spread = benchmark_centres(time, event, centre, cov, seed=11, n_bootstrap=600, cluster=cluster)
    assert _figures(spread) == _figures(alone)
    assert alone.for_centre("C02").flag == "below"


def test_cluster_replicates_are_bit_identical_and_seed_dependent(cluster: object) -> None:
    rng = np.random.default_rng(3)
    residuals = rng.normal(size=2_000)
    centres = [(rng.uniform(0.3, 0.9, n), rng.uniform(0.2, 0.5, n)) for n in (40, 300, 7)]
    alone = bootstrap_statistics(residuals, centres, 1_100, seed=99)
    spread = bootstrap_statistics(residuals, centres, 1_100, seed=99, cluster=cluster)  # type: ignore[arg-type]
    other = bootstrap_statistics(residuals, centres, 1_100, seed=100)
    assert [s.shape for s in alone] == [(1_100,)] * 3
    for a, b, c in zip(alone, spread, other, strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("n_patients", "n_boot", "expected"),
    [
        pytest.param(100, 600, [(0, 250), (250, 250), (500, 100)], id="three-blocks-last-partial"),
        pytest.param(100, 250, [(0, 250)], id="exactly-one-block"),
        pytest.param(100, 251, [(0, 250), (250, 1)], id="one-past-a-block"),
        pytest.param(
            BLOCK_DRAWS // 100, 250, [(s, 100) for s in (0, 100)] + [(200, 50)], id="large-centre-small-blocks"
        ),
        pytest.param(BLOCK_DRAWS * 2, 3, [(0, 1), (1, 1), (2, 1)], id="huge-centre-one-replicate-a-block"),
    ],
)
def test_replicate_blocks_depend_on_the_data_only(
    n_patients: int, n_boot: int, expected: list[tuple[int, int]]
) -> None:
    blocks = replicate_blocks(n_patients, n_boot)
    assert blocks == expected
    assert sum(size for _, size in blocks) == n_boot
    assert all(size <= BLOCK_REPLICATES for _, size in blocks)
