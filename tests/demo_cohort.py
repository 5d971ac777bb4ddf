"""The one place the tests import the synthetic demo cohort from, and the cohort the tests share.

Every test module imports ``load_demo_cohort``, ``DemoSummary`` and the demo helpers from here, so a
move of the demo package changes one import. The shared cohort (``DEMO_TRANSPLANTS`` transplants at
``DEMO_CENTRES`` centres, seed ``DEMO_SEED``) is loaded once per test run and database kind by
``tests.database_templates`` and copied to the tests that use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from engraft.demo.car_t import CAR_T_COURSES, SyntheticCarT, car_t_patients
from engraft.demo.cohort import SyntheticCohort, SyntheticTransplant
from engraft.demo.cohort_loader import DemoSummary, load_demo_cohort
from engraft.demo.labs import PLATELET_TRANSFUSION_TRIGGER, reported_labs, reported_vitals
from engraft.registry.database import make_engine, make_session_factory
from engraft.registry.service import RegistryService

__all__ = [
    "CAR_T_COURSES",
    "DEMO_CENTRES",
    "DEMO_SEED",
    "DEMO_TRANSPLANTS",
    "PLATELET_TRANSFUSION_TRIGGER",
    "DemoCohort",
    "DemoLoad",
    "DemoSummary",
    "SyntheticCarT",
    "SyntheticCohort",
    "SyntheticTransplant",
    "car_t_patients",
    "load_demo_cohort",
    "load_shared_demo_cohort",
    "reported_labs",
    "reported_vitals",
]

DEMO_TRANSPLANTS = 40
DEMO_CENTRES = 3
DEMO_SEED = 4242


@dataclass(frozen=True)
class DemoLoad:
    """What loading the shared cohort returned: its summary and every ``progress(done, total)`` call."""

    summary: DemoSummary
    progress: list[tuple[int, int]]


@dataclass(frozen=True)
class DemoCohort:
    """A database holding the shared demo cohort, opened for one test."""

    url: str
    engine: Engine
    service: RegistryService
    load: DemoLoad

    @property
    def summary(self) -> DemoSummary:
        return self.load.summary


def load_shared_demo_cohort(url: str) -> DemoLoad:
    """Load the shared cohort into the migrated, empty database at ``url``, one transaction per record."""
    engine = make_engine(url)
    try:
        progress: list[tuple[int, int]] = []
        summary = load_demo_cohort(
            RegistryService(make_session_factory(engine), actor="test"),
            transplants=DEMO_TRANSPLANTS,
            centres=DEMO_CENTRES,
            seed=DEMO_SEED,
            progress=lambda done, total: progress.append((done, total)),
        )
        return DemoLoad(summary, progress)
    finally:
        engine.dispose()
