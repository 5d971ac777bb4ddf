"""Input checks shared by the outcome estimators.

Clinical time-to-event data arrive from registries and spreadsheets, where a negative follow-up
time, a stray status code or a silently dropped row would change a published survival figure.
Every estimator therefore refuses bad input instead of guessing, and each error names the field,
the offending value (and its position) and what was expected, so that the source record can be
found and corrected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engraft.vocabulary import TimeUnit

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TIME_UNITS: tuple[TimeUnit, ...] = tuple(TimeUnit)


class OutcomeInputError(ValueError):
    """Raised when estimator input is malformed; the message names field, value and expectation."""


class OutcomeQueryError(OutcomeInputError):
    """A question about outcomes asked with a parameter that cannot be right, whatever the data.

    Carries the parameter (``field``), the value given and what was expected; the API answers 422
    with them, the command line prints the message as one line. ``rule`` is true when the value is of
    the right type and range but breaks a rule that ties parameters together or to the data (a cause
    the endpoint does not have, a last year before the first): a request can match the published
    parameter schema and still break it.
    """

    def __init__(self, field: str, value: object, expected: str, *, rule: bool = False) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        self.rule = rule
        super().__init__(f"{field}: got {value!r}; expected {expected}")


class NothingToAnalyse(OutcomeInputError):
    """A well-formed question whose population holds too few transplants to answer it (the API answers 404)."""


def check_time_unit(value: str) -> TimeUnit:
    """Return ``value`` as a :class:`~engraft.vocabulary.TimeUnit`, refusing anything else."""
    for unit in TIME_UNITS:
        if value == unit:
            return unit
    raise OutcomeInputError(f"time_unit: got {value!r}; expected one of {', '.join(TIME_UNITS)}")


#: IEEE-754 bits of +infinity: read as unsigned integers, the bits of every finite float >= +0.0 are below it,
#: those of infinities, NaNs and negative numbers (sign bit set) at or above it.
_INFINITY_BITS = 0x7FF0000000000000


def _first_bad(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def as_times(values: ArrayLike, field: str, *, allow_zero: bool = True) -> FloatArray:
    """Convert follow-up times to a 1-d float array; refuse NaN, infinities and negatives."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OutcomeInputError(f"{field}: could not be read as numbers ({exc}); expected real times") from exc
    if arr.ndim != 1:
        raise OutcomeInputError(f"{field}: got an array of shape {arr.shape}; expected a 1-d sequence")
    if arr.size == 0:
        raise OutcomeInputError(f"{field}: got 0 values; expected at least one observation")
    if allow_zero and int(arr.view(np.uint64).max()) < _INFINITY_BITS:
        return arr  # one pass: every value finite and >= 0 (the bits of -0.0 take the detailed checks below)
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_bad(bad)
        raise OutcomeInputError(f"{field}[{i}]: got {float(arr[i])!r}; expected a finite time (no NaN or infinity)")
    bad = arr < 0 if allow_zero else arr <= 0
    if bad.any():
        i = _first_bad(bad)
        bound = ">= 0" if allow_zero else "> 0"
        raise OutcomeInputError(f"{field}[{i}]: got {float(arr[i])!r}; expected a time {bound}")
    return arr


def as_codes(values: ArrayLike, field: str, allowed: Iterable[int], n: int) -> IntArray:
    """Convert status codes to int64; refuse NaN, non-integers and codes outside ``allowed``."""
    allowed_set = sorted({int(a) for a in allowed})
    try:
        raw = np.asarray(values)
        if raw.dtype.kind not in "iub":
            raw = raw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise OutcomeInputError(
            f"{field}: could not be read as integer codes ({exc}); expected codes in {allowed_set}"
        ) from exc
    if raw.ndim != 1:
        raise OutcomeInputError(f"{field}: got an array of shape {raw.shape}; expected a 1-d sequence")
    check_length(field, raw.shape[0], n)
    if raw.dtype.kind == "f":
        bad = ~np.isfinite(raw) | (raw != np.round(raw))
        if bad.any():
            i = _first_bad(bad)
            raise OutcomeInputError(f"{field}[{i}]: got {float(raw[i])!r}; expected an integer code in {allowed_set}")
    codes = raw.astype(np.int64)
    if codes.size == 0:
        return codes
    lo, hi = int(codes.min()), int(codes.max())
    contiguous = allowed_set == list(range(allowed_set[0], allowed_set[-1] + 1))
    if contiguous and allowed_set[0] <= lo and hi <= allowed_set[-1]:
        return codes
    bad = ~np.isin(codes, np.asarray(allowed_set, dtype=np.int64))
    if bad.any():
        i = _first_bad(bad)
        raise OutcomeInputError(f"{field}[{i}]: got {int(codes[i])}; expected a code in {allowed_set}")
    return codes


def as_indicator(values: ArrayLike, field: str, n: int) -> NDArray[np.unsignedinteger]:
    """A 0/1 event indicator as unsigned integers, without a copy when ``values`` is a bool or integer array.

    Bool and integer arrays are checked in one pass (read as unsigned, a negative code is large) and
    returned as an unsigned view of the same memory; anything else, and every refusal, goes through
    :func:`as_codes` (same messages).
    """
    raw = np.asarray(values)
    if raw.ndim == 1 and raw.dtype.kind in "iub" and raw.dtype.isnative and raw.shape[0] == n:
        flags = raw.view(np.uint8) if raw.dtype.kind == "b" else raw.view(f"u{raw.dtype.itemsize}")
        if n == 0 or int(flags.max()) <= 1:
            return flags
    return as_codes(values, field, (0, 1), n).view(np.uint64)


def as_labels(values: ArrayLike, field: str, n: int) -> tuple[IntArray, tuple[object, ...]]:
    """Encode group or stratum labels as 0..k-1 in sorted label order (R factor level order)."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise OutcomeInputError(f"{field}: got an array of shape {arr.shape}; expected a 1-d sequence")
    check_length(field, arr.shape[0], n)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            i = _first_bad(bad)
            raise OutcomeInputError(f"{field}[{i}]: got {float(arr[i])!r}; expected a group label (not NaN)")
    if arr.dtype.kind == "O":
        for i, v in enumerate(arr):
            if v is None or (isinstance(v, float) and not np.isfinite(v)):
                raise OutcomeInputError(f"{field}[{i}]: got {v!r}; expected a group label")
    levels, codes = np.unique(arr, return_inverse=True)
    return codes.astype(np.int64), tuple(levels.tolist())


def as_covariates(values: ArrayLike, field: str, n: int) -> FloatArray:
    """Convert a covariate matrix (n rows) to float64; a 1-d input is one covariate."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OutcomeInputError(f"{field}: could not be read as numbers ({exc}); expected a numeric matrix") from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise OutcomeInputError(f"{field}: got an array of shape {arr.shape}; expected (n, p)")
    check_length(field, arr.shape[0], n)
    if arr.shape[1] == 0:
        raise OutcomeInputError(f"{field}: got 0 columns; expected at least one covariate")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise OutcomeInputError(f"{field}[{i}, {j}]: got {float(arr[i, j])!r}; expected a finite number")
    return arr


def check_length(field: str, got: int, expected: int) -> None:
    """Refuse a column whose length differs from the time column."""
    if got != expected:
        raise OutcomeInputError(f"{field}: got {got} values; expected {expected} (one per observation, like time)")


def check_probability(value: float, field: str) -> float:
    """Refuse a level or probability outside the open interval (0, 1)."""
    v = float(value)
    if not (0.0 < v < 1.0):
        raise OutcomeInputError(f"{field}: got {value!r}; expected a number strictly between 0 and 1")
    return v


def check_entry(entry: ArrayLike, time: FloatArray) -> FloatArray:
    """Left-truncation (delayed entry) times: finite, >= 0 and strictly before the exit time."""
    arr = as_times(entry, "entry")
    check_length("entry", arr.shape[0], time.shape[0])
    bad = arr >= time
    if bad.any():
        i = _first_bad(bad)
        got, exit_time = float(arr[i]), float(time[i])
        raise OutcomeInputError(f"entry[{i}]: got {got!r} with time[{i}] = {exit_time!r}; expected entry < time")
    return arr


def names_or_default(names: Sequence[str] | None, p: int, field: str) -> tuple[str, ...]:
    """Covariate names: given ones (checked for count) or x0..x{p-1}."""
    if names is None:
        return tuple(f"x{j}" for j in range(p))
    out = tuple(str(s) for s in names)
    if len(out) != p:
        raise OutcomeInputError(f"{field}: got {len(out)} names; expected {p} (one per covariate column)")
    return out


def check_causes(causes: Sequence[int], censor_code: int) -> tuple[int, ...]:
    """Event codes of the competing causes: non-empty, distinct and different from ``censor_code``."""
    out = tuple(int(c) for c in causes)
    if not out:
        raise OutcomeInputError("causes: got an empty sequence; expected at least one event code")
    if len(set(out)) != len(out):
        raise OutcomeInputError(f"causes: got {list(out)}; expected distinct event codes")
    if censor_code in out:
        raise OutcomeInputError(f"causes: got {list(out)} containing censor_code {censor_code}; expected disjoint")
    return out
