"""Random draws shared by the demo generators (all from one seeded ``numpy.random.Generator``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

Rng = np.random.Generator
T = TypeVar("T")


def pick(rng: Rng, options: Sequence[tuple[T, float]]) -> T:
    """One option, drawn with probability proportional to its weight."""
    weights = np.array([w for _, w in options], dtype=float)
    return options[int(rng.choice(len(options), p=weights / weights.sum()))][0]


def chance(rng: Rng, p: float) -> bool:
    return bool(rng.random() < p)


def truncnorm(rng: Rng, mean: float, sd: float, low: float, high: float) -> float:
    return float(min(high, max(low, rng.normal(mean, sd))))


def latent_day(rng: Rng, points: tuple[tuple[float, float], ...]) -> int | None:
    """Draw a day from a piecewise-linear cumulative incidence through ``points`` (day, probability)."""
    u = float(rng.random())
    prev_day, prev_p = 0.0, 0.0
    for day, p in points:
        if u < p:
            return int(prev_day + (day - prev_day) * (u - prev_p) / max(p - prev_p, 1e-12))
        prev_day, prev_p = day, p
    return None
