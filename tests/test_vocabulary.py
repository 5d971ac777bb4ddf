"""One vocabulary: each concept has one enum, every value is unique, and the registry stores exactly it."""

from __future__ import annotations

import inspect
from enum import StrEnum

import pytest

import engraft.vocabulary as vocabulary
from engraft.vocabulary import clinical, events, hla, time

MODULES = (clinical, events, hla, time)
ENUMS = [
    obj
    for module in MODULES
    for _, obj in inspect.getmembers(module, inspect.isclass)
    if issubclass(obj, StrEnum) and obj.__module__ == module.__name__
]


def test_each_concept_is_defined_once() -> None:
    names = [e.__name__ for e in ENUMS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_values_are_unique_and_trimmed(enum: type[StrEnum]) -> None:
    values = [m.value for m in enum]
    assert len(values) == len(set(values))
    assert all(v == v.strip() and v for v in values)


def test_no_other_package_defines_a_vocabulary_enum_of_the_same_name() -> None:
    """A second ``Sex`` or ``GraftSource`` elsewhere in engraft would be a second vocabulary."""
    import pkgutil

    import engraft

    ours = {e.__name__ for e in ENUMS}
    found = []
    for info in pkgutil.walk_packages(engraft.__path__, "engraft."):
        if (
            info.name.startswith(("engraft.vocabulary", "engraft.cli"))
            or info.name.endswith("__main__")
            or ".migrations" in info.name
        ):
            continue
        module = __import__(info.name, fromlist=["_"])
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if name in ours and obj.__module__ == info.name:
                found.append(f"{info.name}.{name}")
    assert found == []


def test_the_package_exports_the_clinical_enums() -> None:
    exported = set(vocabulary.__all__)
    assert {e.__name__ for e in ENUMS if e.__module__ == clinical.__name__} <= exported
