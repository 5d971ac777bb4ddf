"""Newton-Raphson maximisation with step halving, shared by the Cox and Fine-Gray fits."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from engraft.outcomes._validation import FloatArray


class Objective(Protocol):
    """A concave log (pseudo-)likelihood: value, score vector and information matrix at beta."""

    def evaluate(self, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]: ...


def newton_raphson(
    objective: Objective, p: int, max_iter: int, tol: float
) -> tuple[FloatArray, float, float, FloatArray, int, bool]:
    """Maximise from beta = 0; halve the step while the objective decreases (as R ``coxph.fit``).

    Stops when the largest step is below ``tol`` (relative to max(1, |beta|)). Returns beta, the
    objective at 0 and at beta, the information at beta, the iterations used and convergence.
    """
    beta = np.zeros(p)
    loglik, score, info = objective.evaluate(beta)
    loglik0 = loglik
    for it in range(1, max_iter + 1):
        step = np.linalg.solve(info, score)
        new = beta + step
        new_loglik, new_score, new_info = objective.evaluate(new)
        halvings = 0
        while not np.isfinite(new_loglik) or new_loglik < loglik - 1e-12 * abs(loglik):
            halvings += 1
            if halvings > 30:
                return beta, loglik0, loglik, info, it, False
            step = step / 2.0
            new = beta + step
            new_loglik, new_score, new_info = objective.evaluate(new)
        beta, loglik, score, info = new, new_loglik, new_score, new_info
        if np.max(np.abs(step)) < tol * max(1.0, float(np.max(np.abs(beta)))):
            return beta, loglik0, loglik, info, it, True
    return beta, loglik0, loglik, info, max_iter, False
