"""Multi-state data in long (counting-process) format, as R mstate's ``msprep`` prepares it.

Registries record, per patient, the time and an event indicator of each state that may be reached
(the time of recovery and whether it was seen, the time of an adverse event and whether it was seen,
..., the time of death or last contact and whether the patient died). For the multi-state estimators
each patient becomes one row per transition at risk in each state visited: ``(id, from, to, trans,
Tstart, Tstop, status)``, where ``status`` is 1 for the transition that was made at ``Tstop`` and 0
for the competing ones. The path is built as msprep builds it: from the current state at ``Tstart``,
among the reachable states with a time after ``Tstart`` and an event indicator 1, the earliest is the
next state (on equal times, the first in transition order); without one, the patient is censored in
the current state at the earliest of those times. Times not after ``Tstart`` are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engraft.outcomes._validation import FloatArray, IntArray, OutcomeInputError
from engraft.outcomes.multistate_transitions import TransitionMatrix
from engraft.outcomes.tidy import FrameKind, to_frame


@dataclass(frozen=True, slots=True, eq=False)
class EventCounts:
    """``events(msdata)$Frequencies``: transitions made from each state, no event, total entering."""

    states: tuple[str, ...]
    frequencies: IntArray  # S x S: made from row state to column state
    no_event: IntArray
    entering: IntArray


@dataclass(frozen=True, slots=True, eq=False)
class MultiStateData:
    """Long-format multi-state data: one row per subject, state visit and transition at risk."""

    transitions: TransitionMatrix
    ids: NDArray[Any]  # one label per subject (str, or the numbers 1..n when none were given)
    subject: IntArray  # 0-based position of the row's subject in ``ids``
    from_state: IntArray
    to_state: IntArray
    trans: IntArray
    tstart: FloatArray
    tstop: FloatArray
    status: IntArray
    covariates: Mapping[str, FloatArray] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return int(self.trans.size)

    @property
    def n_subjects(self) -> int:
        return len(self.ids)

    def to_frame(self, kind: FrameKind | str = FrameKind.PANDAS) -> Any:
        """The rows as msprep prints them: id, from, to, trans, Tstart, Tstop, status, then the covariates."""
        return to_frame(
            {
                "id": np.asarray([str(i) for i in self.ids])[self.subject],
                "from": self.from_state,
                "to": self.to_state,
                "trans": self.trans,
                "Tstart": self.tstart,
                "Tstop": self.tstop,
                "status": self.status,
                **self.covariates,
            },
            kind,
        )

    def events(self) -> EventCounts:
        """Numbers of transitions made, as ``mstate::events``."""
        s = self.transitions.n_states
        made = self.status == 1
        cell = (self.from_state[made] - 1) * s + self.to_state[made] - 1
        freq = np.bincount(cell, minlength=s * s).reshape(s, s).astype(np.int64)
        order = np.lexsort((self.tstart, self.subject))  # each subject's first visit is its starting state
        subject = self.subject[order]
        first = np.ones(self.n_rows, dtype=bool)
        first[1:] = subject[1:] != subject[:-1]
        starts = np.bincount(self.from_state[order][first] - 1, minlength=s).astype(np.int64)
        entering = starts + freq.sum(axis=0)
        return EventCounts(self.transitions.states, freq, entering - freq.sum(axis=1), entering)


def _matrix(values: ArrayLike, field_name: str, n: int, s: int) -> FloatArray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise OutcomeInputError(
            f"{field_name}: could not be read as numbers ({exc}); expected an (n, {s}) matrix"
        ) from exc
    if arr.shape != (n, s):
        raise OutcomeInputError(f"{field_name}: got shape {arr.shape}; expected ({n}, {s}) (one column per state)")
    return arr


def prepare_long(
    transitions: TransitionMatrix,
    time: ArrayLike,
    status: ArrayLike,
    *,
    ids: Sequence[object] | None = None,
    start_state: int = 1,
    start_time: float = 0.0,
    keep: Mapping[str, ArrayLike] | None = None,
) -> MultiStateData:
    """Long format from one row per subject, as ``msprep(time=, status=, trans=)``.

    ``time`` and ``status`` are (n, S) matrices with a column per state (the column of a state that is
    never entered, such as the starting state, may be NaN); ``status`` is 1 when the state was reached
    at that time and 0 when the time is a censoring time. ``keep`` names per-subject covariates copied
    to every row of the subject (numeric).
    """
    s = transitions.n_states
    shape = np.shape(time)
    n = int(shape[0]) if len(shape) >= 1 else 0
    if n == 0:
        raise OutcomeInputError("time: got 0 subjects; expected at least one")
    t = _matrix(time, "time", n, s)
    st = _matrix(status, "status", n, s)
    used = np.zeros(s, dtype=bool)
    used[transitions.to_states - 1] = True
    for k in np.flatnonzero(used):
        name = transitions.states[k]
        col_t, col_s = t[:, k], st[:, k]
        bad = ~np.isfinite(col_t) | (col_t < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise OutcomeInputError(f"time[{i}, {name}]: got {float(col_t[i])!r}; expected a finite time >= 0")
        bad = ~np.isin(col_s, (0.0, 1.0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            got = float(col_s[i])
            raise OutcomeInputError(f"status[{i}, {name}]: got {got!r}; expected 0 (censored) or 1 (reached)")
    if not 1 <= start_state <= s:
        raise OutcomeInputError(f"start_state: got {start_state}; expected a state in 1..{s}")
    if not np.isfinite(start_time) or start_time < 0:
        raise OutcomeInputError(f"start_time: got {start_time!r}; expected a finite time >= 0")
    # without ids the subjects are numbered 1..n (kept as integers: no million strings to make)
    id_labels: NDArray[Any] = np.asarray([str(i) for i in ids]) if ids is not None else np.arange(1, n + 1)
    if len(id_labels) != n:
        raise OutcomeInputError(f"ids: got {len(id_labels)} values; expected {n} (one per subject)")
    covs: dict[str, FloatArray] = {}
    for name, values in (keep or {}).items():
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (n,) or not np.isfinite(arr).all():
            raise OutcomeInputError(f"keep[{name}]: expected {n} finite numbers (one per subject)")
        covs[name] = arr

    parts: list[tuple[IntArray, IntArray, IntArray, FloatArray, FloatArray, IntArray, IntArray]] = []
    subj = np.arange(n, dtype=np.int64)
    state = np.full(n, start_state, dtype=np.int64)
    tstart = np.full(n, float(start_time))
    while subj.size:
        next_subj, next_state, next_start = [], [], []
        for g in np.unique(state):
            out = transitions.leaving(int(g))
            if not out:
                continue
            sel = state == g
            who, t0 = subj[sel], tstart[sel]
            cols = np.array([tr.to_state - 1 for tr in out])
            tt = t[np.ix_(who, cols)]
            valid = tt > t0[:, None]
            event = valid & (st[np.ix_(who, cols)] == 1)
            has_event = event.any(axis=1)
            ev_time = np.where(event, tt, np.inf)
            choice = np.argmin(ev_time, axis=1)  # first in transition order on equal times
            cens_time = np.where(valid, tt, np.inf).min(axis=1)
            stop = np.where(has_event, ev_time.min(axis=1), cens_time)
            lost = ~np.isfinite(stop)
            if lost.any():
                i = int(who[np.flatnonzero(lost)[0]])
                raise OutcomeInputError(
                    f"time[{i}]: subject {id_labels[i]} is in state {transitions.states[int(g) - 1]} from"
                    f" {float(t0[np.flatnonzero(lost)[0]])!r} with no later time in the columns of"
                    f" {', '.join(tr.to_name for tr in out)}; expected a later event or censoring time"
                )
            n_out = len(out)
            rep_who = np.repeat(who, n_out)
            to = np.tile(cols + 1, who.size)
            made = np.zeros((who.size, n_out), dtype=np.int64)
            made[np.flatnonzero(has_event), choice[has_event]] = 1
            nums = np.array([tr.number for tr in out], dtype=np.int64)
            parts.append(
                (
                    rep_who,
                    np.full(rep_who.size, g, dtype=np.int64),
                    to,
                    np.repeat(t0, n_out),
                    np.repeat(stop, n_out),
                    made.ravel(),
                    np.tile(nums, who.size),
                )
            )
            next_subj.append(who[has_event])
            next_state.append(cols[choice[has_event]] + 1)
            next_start.append(stop[has_event])
        if not next_subj:
            break
        subj = np.concatenate(next_subj)
        state = np.concatenate(next_state).astype(np.int64)
        tstart = np.concatenate(next_start)
    if not parts:
        raise OutcomeInputError(
            f"start_state: got {start_state}, an absorbing state; expected a state with transitions"
        )
    who_all = np.concatenate([p[0] for p in parts])
    frm = np.concatenate([p[1] for p in parts])
    to_all = np.concatenate([p[2] for p in parts])
    t0_all = np.concatenate([p[3] for p in parts])
    t1_all = np.concatenate([p[4] for p in parts])
    status_all = np.concatenate([p[5] for p in parts])
    trans_all = np.concatenate([p[6] for p in parts])
    # rows were made step by step (later steps start later) and, within a step, per subject in transition
    # order: a stable sort by subject gives msprep's order (subject, Tstart, transition)
    order = np.argsort(who_all, kind="stable")
    return MultiStateData(
        transitions=transitions,
        ids=id_labels,
        subject=who_all[order],
        from_state=frm[order],
        to_state=to_all[order],
        trans=trans_all[order],
        tstart=t0_all[order],
        tstop=t1_all[order],
        status=status_all[order],
        covariates={name: arr[who_all[order]] for name, arr in covs.items()},
    )


def from_long(
    transitions: TransitionMatrix,
    ids: ArrayLike,
    from_state: ArrayLike,
    to_state: ArrayLike,
    tstart: ArrayLike,
    tstop: ArrayLike,
    status: ArrayLike,
    *,
    keep: Mapping[str, ArrayLike] | None = None,
) -> MultiStateData:
    """Long-format data given as such (e.g. msprep's output), checked row by row.

    States are 1-based numbers; each (from, to) must be a transition of ``transitions``; ``Tstart <
    Tstop``; ``status`` 0 or 1. Rows keep their order; ``trans`` is derived from (from, to).
    """
    frm = np.asarray(from_state)
    n = int(frm.shape[0]) if frm.ndim == 1 else -1
    if n <= 0:
        raise OutcomeInputError("from: got no rows; expected one row per transition at risk")
    arrays: dict[str, FloatArray] = {}
    for name, values in (
        ("from", from_state),
        ("to", to_state),
        ("Tstart", tstart),
        ("Tstop", tstop),
        ("status", status),
    ):
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise OutcomeInputError(f"{name}: could not be read as numbers ({exc}); expected numbers") from exc
        if arr.shape != (n,):
            raise OutcomeInputError(f"{name}: got shape {arr.shape}; expected ({n},) (one value per row)")
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise OutcomeInputError(f"{name}[{i}]: got {float(arr[i])!r}; expected a finite number")
        arrays[name] = arr
    s = transitions.n_states
    for name in ("from", "to"):
        arr = arrays[name]
        bad = (arr != np.round(arr)) | (arr < 1) | (arr > s)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise OutcomeInputError(f"{name}[{i}]: got {float(arr[i])!r}; expected a state number in 1..{s}")
    f_idx, t_idx = arrays["from"].astype(np.int64), arrays["to"].astype(np.int64)
    trans = transitions.matrix()[f_idx - 1, t_idx - 1]
    bad = trans == 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise OutcomeInputError(
            f"to[{i}]: got {transitions.states[t_idx[i] - 1]!r} from {transitions.states[f_idx[i] - 1]!r};"
            " expected a transition of the model"
        )
    bad = ~np.isin(arrays["status"], (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise OutcomeInputError(f"status[{i}]: got {float(arrays['status'][i])!r}; expected 0 or 1")
    bad = (arrays["Tstart"] < 0) | (arrays["Tstop"] <= arrays["Tstart"])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise OutcomeInputError(
            f"Tstop[{i}]: got {float(arrays['Tstop'][i])!r} with Tstart {float(arrays['Tstart'][i])!r};"
            " expected 0 <= Tstart < Tstop"
        )
    labels, subject = np.unique(np.asarray([str(v) for v in np.asarray(ids).tolist()]), return_inverse=True)
    if subject.shape != (n,):
        raise OutcomeInputError(f"id: got {subject.size} values; expected {n} (one per row)")
    covs: dict[str, FloatArray] = {}
    for name, values in (keep or {}).items():
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (n,) or not np.isfinite(arr).all():
            raise OutcomeInputError(f"keep[{name}]: expected {n} finite numbers (one per row)")
        covs[name] = arr
    return MultiStateData(
        transitions=transitions,
        ids=labels,
        subject=subject.astype(np.int64),
        from_state=f_idx,
        to_state=t_idx,
        trans=trans.astype(np.int64),
        tstart=arrays["Tstart"],
        tstop=arrays["Tstop"],
        status=arrays["status"].astype(np.int64),
        covariates=covs,
    )
