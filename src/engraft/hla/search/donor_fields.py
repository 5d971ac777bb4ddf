"""The non-HLA fields of donor files, read into the vocabulary by explicit synonym tables.

Each coded field has one table listing every spelling it accepts (compared after trimming spaces and
ignoring case) and the :mod:`engraft.vocabulary` value each stands for. An empty or absent field means
"not given" and reads as the table's default (unknown, or an adult donor). Any other value that is not
in the table is an :class:`InvalidValue` naming the donor, the field, the value and what the field
accepts, and the donor is rejected: it is reported and not stored, and the rest of the file is
imported. That is Atlas's rule for donor files (README_DonorImport.md; ``DonorUpdateCategoriser``: a
donor that fails validation is logged with its record id and left out, processing continues), and the
rule this package already applies to invalid HLA typings. Storing such a donor with the field unknown
would change its rank without anyone seeing why (a misspelt ``"postive"`` would rank as a CMV-unknown
donor), and a misspelling in one field often means the row's columns are shifted.

Tables (our CSV/JSON donor files, :mod:`engraft.hla.search.donor_import`):

* ``donor_type`` (:data:`DONOR_KIND_SYNONYMS`; empty: adult): ``adult``, ``donor``, ``d`` (Atlas's
  letter) / ``cord``, ``cbu``, ``cord blood unit``, ``c``;
* ``sex`` (:data:`SEX_SYNONYMS`; empty: unknown): the vocabulary words and their first letters ``m``,
  ``f``, ``o``, ``u`` (FHIR AdministrativeGender codes; HL7 v2 table 0001 letters);
* ``cmv`` (:data:`CMV_SYNONYMS`; empty: unknown): the vocabulary words; ``pos``, ``p``, ``+``,
  ``reactive``, ``1`` / ``neg``, ``n``, ``-``, ``non-reactive``, ``nonreactive``, ``0`` (the
  laboratory's words and the flags registry extracts use); ``indeterminate`` for equivocal; ``u``;
* ``abo`` (:data:`ABO_SYNONYMS`; empty: unknown): ``O`` (also ``0``, the continental spelling), ``A``,
  ``B``, ``AB``, each optionally followed by the Rh D sign ``+`` or ``-``, which is accepted and not
  kept (the store keeps no Rh D); ``unknown``, ``u``.

Atlas donor files (``DonorType``, :data:`ATLAS_DONOR_TYPES`, required): ``D`` adult donor, ``C`` cord
blood unit; ``B`` (banked) is in Atlas's schema but not supported, by Atlas either. ``ChangeType``
(:data:`ATLAS_CHANGE_TYPES`; absent: ``N``, Atlas's default): ``N`` new, ``U`` update and ``NU``
upsert are applied as upserts, ``D`` deletes.

Numbers: a donor id is a non-negative integer up to 2^63 - 1 (int64); ``birth_year`` a year from 1900 to
the current year (empty or ``0``: unknown); ``tnc`` and ``cd34`` a finite number >= 0 (empty: unknown).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Final, Generic, Literal, TypeVar

from engraft.vocabulary import AboGroup, DonorKind, Serostatus, Sex

T = TypeVar("T")

#: Largest donor id a store keeps (int64, as Atlas ``RecordId``).
MAX_DONOR_ID: Final = 2**63 - 1
#: Earliest birth year accepted (an older year is a typing error, not a donor).
FIRST_BIRTH_YEAR: Final = 1900


@dataclass(frozen=True, slots=True)
class InvalidValue:
    """A non-HLA field of a donor record whose value the field does not accept (the donor is rejected)."""

    donor_id: int  # -1 when the record's id itself could not be read
    field: str  # the field's name in the file ("cmv", "DonorType")
    value: str
    expected: str


@dataclass(frozen=True)
class SynonymTable(Generic[T]):
    """Every accepted spelling of a coded field (lower case) and the vocabulary value it stands for."""

    what: str  # what the field holds, for the error ("CMV serostatus")
    synonyms: Mapping[str, T]
    empty: T  # the value of an empty or absent field, unless ``required``
    required: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        bad = [s for s in self.synonyms if s != s.strip().lower() or not s]
        if bad:
            raise ValueError(f"synonyms of {self.what} must be trimmed, non-empty and lower case: {bad}")
        object.__setattr__(self, "synonyms", MappingProxyType(dict(self.synonyms)))

    def expected(self) -> str:
        spellings = ", ".join(repr(s) for s in self.synonyms)
        empty = "required" if self.required else f"empty means {_word(self.empty)}"
        note = f"; {self.note}" if self.note else ""
        return f"{self.what}: one of {spellings} (any case; {empty}){note}"

    def read(self, donor_id: int, field: str, raw: object) -> T | InvalidValue:
        """The vocabulary value of ``raw``, or the problem with it."""
        text = _text(raw)
        if not text and not self.required:
            return self.empty
        if text.lower() not in self.synonyms:
            return InvalidValue(donor_id, field, text, self.expected())
        return self.synonyms[text.lower()]


def _word(value: object) -> str:
    if value is None:
        return "unknown"
    return str(getattr(value, "value", value))


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _with_rh(groups: Mapping[str, AboGroup]) -> dict[str, AboGroup]:
    """Each ABO spelling alone and followed by an Rh D sign (``a``, ``a+``, ``a-``)."""
    return {f"{spelling}{rh}": group for spelling, group in groups.items() for rh in ("", "+", "-")}


DONOR_KIND_SYNONYMS: Final = SynonymTable[DonorKind](
    "donor type",
    {
        "adult": DonorKind.ADULT,
        "donor": DonorKind.ADULT,
        "d": DonorKind.ADULT,
        "cord": DonorKind.CORD,
        "cbu": DonorKind.CORD,
        "cord blood unit": DonorKind.CORD,
        "c": DonorKind.CORD,
    },
    empty=DonorKind.ADULT,
)
SEX_SYNONYMS: Final = SynonymTable[Sex](
    "sex",
    {
        "male": Sex.MALE,
        "m": Sex.MALE,
        "female": Sex.FEMALE,
        "f": Sex.FEMALE,
        "other": Sex.OTHER,
        "o": Sex.OTHER,
        "unknown": Sex.UNKNOWN,
        "u": Sex.UNKNOWN,
    },
    empty=Sex.UNKNOWN,
)
CMV_SYNONYMS: Final = SynonymTable[Serostatus](
    "CMV serostatus",
    {
        "positive": Serostatus.POSITIVE,
        "pos": Serostatus.POSITIVE,
        "p": Serostatus.POSITIVE,
        "+": Serostatus.POSITIVE,
        "reactive": Serostatus.POSITIVE,
        "1": Serostatus.POSITIVE,
        "negative": Serostatus.NEGATIVE,
        "neg": Serostatus.NEGATIVE,
        "n": Serostatus.NEGATIVE,
        "-": Serostatus.NEGATIVE,
        "non-reactive": Serostatus.NEGATIVE,
        "nonreactive": Serostatus.NEGATIVE,
        "0": Serostatus.NEGATIVE,
        "equivocal": Serostatus.EQUIVOCAL,
        "indeterminate": Serostatus.EQUIVOCAL,
        "unknown": Serostatus.UNKNOWN,
        "u": Serostatus.UNKNOWN,
    },
    empty=Serostatus.UNKNOWN,
)
ABO_SYNONYMS: Final = SynonymTable[AboGroup | None](
    "ABO group",
    {
        **_with_rh({"o": AboGroup.O, "0": AboGroup.O, "a": AboGroup.A, "b": AboGroup.B, "ab": AboGroup.AB}),
        "unknown": None,
        "u": None,
    },
    empty=None,
    note="an Rh D sign after the group is accepted and not kept",
)
ATLAS_DONOR_TYPES: Final = SynonymTable[DonorKind](
    "Atlas donor type",
    {"d": DonorKind.ADULT, "c": DonorKind.CORD},
    empty=DonorKind.ADULT,
    required=True,
    note="'B' (banked) is in Atlas's schema but not supported, by Atlas either",
)
AtlasChange = Literal["upsert", "delete"]
ATLAS_CHANGE_TYPES: Final = SynonymTable[AtlasChange](
    "Atlas change type",
    {"n": "upsert", "u": "upsert", "nu": "upsert", "d": "delete"},
    empty="upsert",
    note="N (new), U (update) and NU are applied as upserts; an absent ChangeType is N, as in Atlas",
)


def not_a_record(raw: object) -> InvalidValue:
    """The problem with an entry of a JSON donor list that is not an object."""
    return InvalidValue(-1, "donor", _text(raw)[:80], "a JSON object per donor")


def read_donor_id(raw: object, field: str) -> int | InvalidValue:
    text = _text(raw)
    try:
        donor_id = int(text)
    except ValueError:
        donor_id = -1
    if donor_id < 0:
        return InvalidValue(-1, field, text, "a non-negative integer (leading zeros are not kept)")
    if donor_id > MAX_DONOR_ID:
        return InvalidValue(-1, field, text, f"a non-negative integer up to {MAX_DONOR_ID} (the store's int64 ids)")
    return donor_id


def read_birth_year(donor_id: int, field: str, raw: object) -> int | InvalidValue:
    """A birth year, 0 for unknown (empty or ``0``)."""
    text = _text(raw)
    last = datetime.now(UTC).year
    try:
        year = int(text) if text else 0
    except ValueError:
        year = -1
    if year != 0 and not FIRST_BIRTH_YEAR <= year <= last:
        return InvalidValue(donor_id, field, text, f"a year from {FIRST_BIRTH_YEAR} to {last} (empty or 0: unknown)")
    return year


def read_cell_count(donor_id: int, field: str, raw: object, unit: str) -> float | InvalidValue:
    """A cord unit's cell count in ``unit``, NaN for unknown (empty)."""
    text = _text(raw)
    if not text:
        return math.nan
    try:
        count = float(text)
    except ValueError:
        count = math.nan
    if not (math.isfinite(count) and count >= 0):
        return InvalidValue(donor_id, field, text, f"a finite number >= 0 in {unit} (empty: unknown)")
    return count
