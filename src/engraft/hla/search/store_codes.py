"""Storage codes of the donor store's attribute columns: one exhaustive table per vocabulary concept.

The store keeps a donor's kind, sex, CMV serostatus and ABO group as one uint8 code each (a byte per
donor instead of a string: the columns are memory-mapped and scanned for 30 M donors). Everything
outside the store's columns speaks :mod:`engraft.vocabulary`: ``DonorKind``, ``Sex``, ``Serostatus``
and ``AboGroup`` (``None`` = ABO unknown). This module is the only place where the two meet.

The codes are a storage format. A code, once written, keeps its meaning: a new vocabulary member gets
a new code, and no code is reused or renumbered. The codes below are those of every store written
before this table existed (unknown 0; male 1, female 2; CMV negative 1, positive 2; ABO O 1, A 2, B 3,
AB 4; adult 0, cord 1), extended by ``Sex.OTHER`` 3 and ``Serostatus.EQUIVOCAL`` 3, so older stores
read unchanged. A store records the tables it was written with in its manifest
(:func:`manifest_codes`); :func:`check_manifest_codes` refuses a store whose tables disagree with
these, naming the column, value and code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any, Final, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex

T = TypeVar("T", bound=Enum | None)

#: The label of ``None`` (value unknown) in the manifest's code tables.
NONE_LABEL: Final = "unknown"
_MAX_CODE: Final = int(np.iinfo(np.uint8).max)


@dataclass(frozen=True)
class ColumnCodes(Generic[T]):
    """The uint8 code of every value of one store column, and back.

    ``members`` is the vocabulary enum; ``none_allowed`` adds ``None`` (unknown) for concepts whose
    enum has no unknown member (``AboGroup``). The table must cover every member exactly once with
    distinct codes: a member added to the vocabulary without a code fails here, when this module is
    imported, and in ``tests/hla/test_store_codes.py``.
    """

    column: str
    members: type[Enum]
    codes: Mapping[T, int]
    none_allowed: bool = False
    _values: dict[int, T] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        expected: set[object] = set(self.members)
        if self.none_allowed:
            expected.add(None)
        missing = [_label(v) for v in expected if v not in self.codes]
        extra = [_label(v) for v in self.codes if v not in expected]
        if missing or extra:
            raise ValueError(
                f"store column {self.column!r}: codes must cover {self.members.__name__}"
                f"{' and None' if self.none_allowed else ''} exactly; without a code: {sorted(missing)}, "
                f"not a member: {sorted(extra)}"
            )
        values: dict[int, T] = {}
        for value, code in self.codes.items():
            if not 0 <= code <= _MAX_CODE:
                raise ValueError(f"store column {self.column!r}: code {code} of {_label(value)!r} is not a uint8")
            if code in values:
                raise ValueError(
                    f"store column {self.column!r}: code {code} given to both "
                    f"{_label(values[code])!r} and {_label(value)!r}"
                )
            values[code] = value
        object.__setattr__(self, "codes", MappingProxyType(dict(self.codes)))
        object.__setattr__(self, "_values", values)

    def code(self, value: T) -> int:
        """The storage code of a vocabulary value."""
        try:
            return self.codes[value]
        except KeyError:
            raise ValueError(f"{value!r} has no code in store column {self.column!r}") from None

    def value(self, code: int) -> T:
        """The vocabulary value a stored code stands for."""
        try:
            return self._values[int(code)]
        except KeyError:
            known = sorted(self._values)
            raise ValueError(f"store column {self.column!r} holds code {code}; known codes are {known}") from None

    def encode(self, values: Iterable[T]) -> npt.NDArray[np.uint8]:
        """Codes of a sequence of values, as a store column."""
        return np.fromiter((self.code(v) for v in values), dtype=np.uint8)

    def codes_of(self, values: Iterable[T]) -> npt.NDArray[np.uint8]:
        """The codes of a set of values, for ``np.isin`` on a column."""
        return np.array(sorted({self.code(v) for v in values}), dtype=np.uint8)

    def labels(self) -> dict[str, int]:
        """The table as JSON for the manifest: value (``"unknown"`` for ``None``) to code."""
        return {_label(v): c for v, c in sorted(self.codes.items(), key=lambda item: item[1])}


def _label(value: object) -> str:
    if value is None:
        return NONE_LABEL
    return str(value.value) if isinstance(value, Enum) else str(value)


DONOR_KIND: Final = ColumnCodes[DonorKind]("donor_type", DonorKind, {DonorKind.ADULT: 0, DonorKind.CORD: 1})
SEX: Final = ColumnCodes[Sex]("sex", Sex, {Sex.UNKNOWN: 0, Sex.MALE: 1, Sex.FEMALE: 2, Sex.OTHER: 3})
CMV: Final = ColumnCodes[Serostatus](
    "cmv",
    Serostatus,
    {Serostatus.UNKNOWN: 0, Serostatus.NEGATIVE: 1, Serostatus.POSITIVE: 2, Serostatus.EQUIVOCAL: 3},
)
ABO: Final = ColumnCodes[AboGroup | None](
    "abo", AboGroup, {None: 0, AboGroup.O: 1, AboGroup.A: 2, AboGroup.B: 3, AboGroup.AB: 4}, none_allowed=True
)

#: Every coded attribute column of the store, by column name.
COLUMN_CODES: Final[Mapping[str, ColumnCodes[Any]]] = MappingProxyType(
    {c.column: c for c in (DONOR_KIND, SEX, CMV, ABO)}
)


def manifest_codes() -> dict[str, dict[str, int]]:
    """The code tables a store writes into its manifest."""
    return {name: codes.labels() for name, codes in COLUMN_CODES.items()}


def check_manifest_codes(recorded: object, *, store: str) -> None:
    """Refuse a store whose manifest gives a value another code than this module does.

    ``recorded`` is the manifest's ``attribute_codes`` (``None`` for a store written before the
    manifest recorded them: its codes are the ones above, see the module docstring). A table may
    lack values added to the vocabulary since the store was written; it may not give a known value
    another code, nor name a value the vocabulary no longer has.
    """
    if recorded is None:
        return
    if not isinstance(recorded, Mapping):
        raise ValueError(f"{store}: manifest 'attribute_codes' is not an object")
    for column, table in recorded.items():
        codes = COLUMN_CODES.get(str(column))
        if codes is None or not isinstance(table, Mapping):
            raise ValueError(f"{store}: manifest has code table {column!r}; expected one of {sorted(COLUMN_CODES)}")
        current = codes.labels()
        for label, code in table.items():
            if label not in current:
                raise ValueError(
                    f"{store}: column {column!r} stores value {label!r} (code {code}), which the vocabulary "
                    f"does not have; expected values {sorted(current)}"
                )
            if current[label] != code:
                raise ValueError(
                    f"{store}: column {column!r} stores {label!r} as code {code}, but this version codes it "
                    f"{current[label]}; the store was written with other codes"
                )
