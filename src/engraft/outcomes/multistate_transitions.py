"""The states of a multi-state model and the transitions allowed between them (R mstate's ``transMat``).

A multi-state model after transplant follows each patient through states such as transplant, recovery,
adverse event, relapse and death. Its structure is a transition matrix: state ``g`` can move to state
``h`` when transition number ``k`` is defined for (g, h). Transitions are numbered 1, 2, ... row by row,
in the order the target states are listed for each state, exactly as ``mstate::transMat`` numbers them,
so that transition numbers agree with an analysis in R. States are numbered from 1 as in mstate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engraft.outcomes._validation import IntArray, OutcomeInputError


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed transition: its number (1-based, as mstate) and its states (1-based)."""

    number: int
    from_state: int
    to_state: int
    from_name: str
    to_name: str

    @property
    def label(self) -> str:
        """``from -> to`` with the state names."""
        return f"{self.from_name} -> {self.to_name}"


@dataclass(frozen=True, slots=True)
class TransitionMatrix:
    """The states (names in order, state k is ``states[k-1]``) and the numbered transitions."""

    states: tuple[str, ...]
    transitions: tuple[Transition, ...]

    @classmethod
    def from_targets(cls, targets: Sequence[Sequence[int]], names: Sequence[str] | None = None) -> TransitionMatrix:
        """As ``transMat(x = targets, names = names)``: ``targets[g-1]`` lists the states reachable from g."""
        n = len(targets)
        if n < 2:
            raise OutcomeInputError(f"targets: got {n} states; expected at least 2")
        state_names = tuple(str(s) for s in names) if names is not None else tuple(str(k) for k in range(1, n + 1))
        if len(state_names) != n:
            raise OutcomeInputError(f"names: got {len(state_names)} names; expected {n} (one per state)")
        if len(set(state_names)) != n or any(not s.strip() for s in state_names):
            raise OutcomeInputError(f"names: got {list(state_names)}; expected distinct, non-empty state names")
        transitions: list[Transition] = []
        for g, tos in enumerate(targets, start=1):
            seen: set[int] = set()
            for h in tos:
                h = int(h)
                if not 1 <= h <= n:
                    raise OutcomeInputError(f"targets[{g - 1}]: got state {h}; expected a state in 1..{n}")
                if h == g:
                    raise OutcomeInputError(f"targets[{g - 1}]: got state {h} itself; expected another state")
                if h in seen:
                    raise OutcomeInputError(f"targets[{g - 1}]: got state {h} twice; expected each target once")
                seen.add(h)
                transitions.append(Transition(len(transitions) + 1, g, h, state_names[g - 1], state_names[h - 1]))
        if not transitions:
            raise OutcomeInputError("targets: got no transitions; expected at least one")
        return cls(state_names, tuple(transitions))

    @classmethod
    def from_names(cls, states: Sequence[str], pairs: Sequence[tuple[str, str]]) -> TransitionMatrix:
        """From state names and (from, to) name pairs; transitions numbered row by row in the order given."""
        index = {str(s): k for k, s in enumerate(states, start=1)}
        targets: list[list[int]] = [[] for _ in states]
        for a, b in pairs:
            for name in (a, b):
                if name not in index:
                    raise OutcomeInputError(f"transitions: got state {name!r}; expected one of {list(index)}")
            targets[index[a] - 1].append(index[b])
        return cls.from_targets(targets, [str(s) for s in states])

    @property
    def n_states(self) -> int:
        return len(self.states)

    @property
    def n_transitions(self) -> int:
        return len(self.transitions)

    @property
    def from_states(self) -> IntArray:
        """From-state (1-based) of each transition, in transition order."""
        return np.array([t.from_state for t in self.transitions], dtype=np.int64)

    @property
    def to_states(self) -> IntArray:
        """To-state (1-based) of each transition, in transition order."""
        return np.array([t.to_state for t in self.transitions], dtype=np.int64)

    def number_of(self, from_state: int, to_state: int) -> int | None:
        """The transition number for (from, to), or None when not allowed."""
        for t in self.transitions:
            if t.from_state == from_state and t.to_state == to_state:
                return t.number
        return None

    def leaving(self, state: int) -> tuple[Transition, ...]:
        """Transitions out of ``state`` (1-based), in number order."""
        return tuple(t for t in self.transitions if t.from_state == state)

    def is_absorbing(self, state: int) -> bool:
        return not self.leaving(state)

    def state_number(self, name_or_number: str | int) -> int:
        """A state given by name or 1-based number, checked."""
        if isinstance(name_or_number, int) or (isinstance(name_or_number, str) and name_or_number.isdigit()):
            k = int(name_or_number)
            if 1 <= k <= self.n_states:
                return k
        elif name_or_number in self.states:
            return self.states.index(name_or_number) + 1
        raise OutcomeInputError(
            f"state: got {name_or_number!r}; expected a state name ({', '.join(self.states)}) or 1..{self.n_states}"
        )

    def matrix(self) -> IntArray:
        """The S x S matrix of transition numbers (0 where no transition; R shows NA)."""
        out = np.zeros((self.n_states, self.n_states), dtype=np.int64)
        for t in self.transitions:
            out[t.from_state - 1, t.to_state - 1] = t.number
        return out


def illness_death(
    names: Sequence[str] = ("Transplant", "Adverse event or recovery", "Relapse or death"),
) -> TransitionMatrix:
    """The illness-death model (mstate ``trans.illdeath``): 1 -> 2, 1 -> 3, 2 -> 3.

    After transplant (state 1) a patient may first have an intermediate event (an adverse event such as
    acute GVHD, or recovery such as platelet recovery; state 2) or go directly to the absorbing state
    (relapse or death; state 3); from the intermediate state only the absorbing state can follow.
    """
    return TransitionMatrix.from_targets([[2, 3], [3], []], names)


def ebmt_recovery_adverse_event(
    names: Sequence[str] = ("Tx", "Rec", "AE", "Rec+AE", "Rel", "Death"),
) -> TransitionMatrix:
    """The EBMT 6-state model of mstate's ``ebmt4`` analysis (tmat4 in the mstate tutorial).

    Transplant, platelet recovery, adverse event (acute GVHD), both, relapse, death; relapse and death
    absorbing. Transition numbers as ``transMat(list(c(2,3,5,6), c(4,5,6), c(4,5,6), c(5,6), c(), c()))``.
    """
    return TransitionMatrix.from_targets([[2, 3, 5, 6], [4, 5, 6], [4, 5, 6], [5, 6], [], []], names)
