"""A clinical finding as a grading result names it: what was observed, its value and its unit."""

from __future__ import annotations

from engraft.provenance import FrozenModel


class Finding(FrozenModel):
    """One finding a stage or score rests on: name, value as given or as compared, UCUM unit.

    ``unit`` is None for a yes/no finding, a count or a recorded level.
    """

    name: str
    value: float | int | bool
    unit: str | None = None

    def __str__(self) -> str:
        if isinstance(self.value, bool):
            return f"{self.name}: {'yes' if self.value else 'no'}"
        return f"{self.name}: {self.value:g}" + (f" {self.unit}" if self.unit else "")
