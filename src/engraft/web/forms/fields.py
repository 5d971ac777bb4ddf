"""The pieces of a generated form: controls, fieldsets and repeated rows, named by their path in the input.

A form is a tree built from a pydantic input model (:mod:`engraft.web.forms.build`): each leaf field is a
:class:`Control`, each nested model a :class:`Group` (an HTML fieldset), each tuple of models a :class:`Repeat`
(rows of fieldsets). Every node's ``name`` is its dotted path in the input (``facts.cardiac.lvef_percent``,
``agents.0.total_dose``), which is also the HTML ``name`` of its control and the key of its value and errors.
Labels, descriptions and units are English msgids; the templates translate them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

PRESENT = "_present"
"""The last part of an optional group's checkbox name: ``facts._present`` says the group is filled in."""
ROWS = "_rows"
"""The last part of a repeat's row-count field: ``agents._rows``."""
QUANTITY_VALUE = "value"
QUANTITY_UNIT = "unit"


class ControlKind(StrEnum):
    """How one input field is entered."""

    CHECKBOX = "checkbox"
    """A required (or false-by-default) yes/no: ticked is true, unticked false."""
    YES_NO = "yes_no"
    """An optional yes/no: a select of not recorded, yes, no."""
    SELECT = "select"
    """One value of an enumeration."""
    NUMBER = "number"
    """An integer or a decimal, with bounds and a unit where the field has them."""
    QUANTITY = "quantity"
    """A number with a UCUM unit chosen beside it (two HTML controls: ``<name>.value`` and ``<name>.unit``)."""
    DATE = "date"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a select: the value sent and its English label."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Bounds:
    """Numeric bounds of a number field, as the input model declares them."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    integer: bool = False
    multiple_of: float | None = None

    @property
    def step(self) -> str:
        """The HTML ``step``: the model's ``multiple_of``, else whole numbers for integers, any decimal otherwise."""
        if self.multiple_of is not None:
            return _number(self.multiple_of)
        return "1" if self.integer else "any"

    @property
    def html_min(self) -> str:
        """The HTML ``min`` (empty when unbounded or exclusive: the server checks the exclusive bound)."""
        return "" if self.minimum is None or self.exclusive_minimum else _number(self.minimum)

    @property
    def html_max(self) -> str:
        return "" if self.maximum is None or self.exclusive_maximum else _number(self.maximum)


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Control:
    """One field the person fills in."""

    name: str
    key: str
    label: str
    kind: ControlKind
    required: bool
    description: str = ""
    choices: tuple[Choice, ...] = ()
    bounds: Bounds = field(default_factory=Bounds)
    unit: str = ""
    """The field's unit (English msgid, e.g. ``years``) for plain numbers; quantities choose theirs."""
    integer: bool = False

    node: ClassVar[str] = "control"

    @property
    def html_id(self) -> str:
        return html_id(self.name)

    @property
    def names(self) -> tuple[str, ...]:
        """The HTML names this control sends (a quantity sends its value and its unit)."""
        if self.kind is ControlKind.QUANTITY:
            return (f"{self.name}.{QUANTITY_VALUE}", f"{self.name}.{QUANTITY_UNIT}")
        return (self.name,)


@dataclass(frozen=True, slots=True)
class Group:
    """A nested input model, shown as a fieldset; an optional one has a checkbox saying it is filled in."""

    name: str
    key: str
    label: str
    optional: bool
    children: tuple[Node, ...]
    description: str = ""

    node: ClassVar[str] = "group"

    @property
    def html_id(self) -> str:
        return html_id(self.name)

    @property
    def present_name(self) -> str:
        return f"{self.name}.{PRESENT}"


@dataclass(frozen=True, slots=True)
class Repeat:
    """A tuple of nested models, shown as numbered rows; blank rows are left out of the input."""

    name: str
    key: str
    label: str
    row: Callable[[int], Group]
    """Builds row ``i`` (its controls named ``<name>.<i>.<field>``)."""
    description: str = ""
    initial_rows: int = 2

    node: ClassVar[str] = "repeat"

    @property
    def html_id(self) -> str:
        return html_id(self.name)

    @property
    def rows_name(self) -> str:
        return f"{self.name}.{ROWS}"

    def rows(self, count: int) -> tuple[Group, ...]:
        return tuple(self.row(i) for i in range(count))


Node = Control | Group | Repeat


@dataclass(frozen=True, slots=True)
class FormSpec:
    """The whole form of one input model."""

    model_name: str
    children: tuple[Node, ...]

    def controls(self) -> tuple[Control, ...]:
        """Every control outside repeats, depth first (repeats' rows depend on the row count)."""
        return tuple(_controls(self.children))

    def repeats(self) -> tuple[Repeat, ...]:
        return tuple(_repeats(self.children))


def _controls(nodes: tuple[Node, ...]) -> list[Control]:
    out: list[Control] = []
    for node in nodes:
        if isinstance(node, Control):
            out.append(node)
        elif isinstance(node, Group):
            out.extend(_controls(node.children))
    return out


def _repeats(nodes: tuple[Node, ...]) -> list[Repeat]:
    out: list[Repeat] = []
    for node in nodes:
        if isinstance(node, Repeat):
            out.append(node)
        elif isinstance(node, Group):
            out.extend(_repeats(node.children))
    return out


def html_id(name: str) -> str:
    """An HTML id for a dotted field name (ids may not be confused with CSS selectors' dots)."""
    return "f-" + name.replace(".", "--")
