"""Shared test configuration.

Tests needing PostgreSQL or ../shared reference data skip with a reason where these are absent,
except when ``ENGRAFT_REQUIRE_ALL_TESTS=1`` (set by ``.ci/run`` under CI): there a skip is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from engraft.config.server_key import SECRET_KEY_ENV
from engraft.hla.nomenclature.errors import HlaReleaseError
from engraft.io.imgt_release import configured_release
from engraft.registry.episode_changes import EPISODE_CHANGES, EpisodeChanged

# No timing in tests: Hypothesis' per-example deadline would fail on a busy CI machine. No example
# database either, so runs do not depend on (or write) local state.
settings.register_profile("engraft", deadline=None, database=None)
settings.load_profile("engraft")

TEST_SERVER_KEY = "dGVzdCBzZXJ2ZXIga2V5IC0gbm90IGZvciB1c2UgISE="
"""The server key tests seal secrets under (32 bytes, URL-safe base64), unless ``ENGRAFT_SECRET_KEY`` is set:
no test run makes a key file in a real Engraft home. Servers the tests start inherit it."""
os.environ.setdefault(SECRET_KEY_ENV, TEST_SERVER_KEY)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
REQUIRE_ALL = os.environ.get("ENGRAFT_REQUIRE_ALL_TESTS") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip (or, under CI, fail) the calling test when ``condition`` is false."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required under CI but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def imgt_dir() -> Path:
    """Directory with the IPD-IMGT/HLA 3.58.0 release files (``ENGRAFT_IMGT_DIR`` or ../shared)."""
    env = os.environ.get("ENGRAFT_IMGT_DIR")
    path = Path(env) if env else SHARED_DIR / "data" / "imgt-hla" / "3.58.0"
    require(path.is_dir(), f"IMGT/HLA release files not found at {path}")
    return path


def require_hla_release() -> str:
    """The configured IPD-IMGT/HLA release (HLA typings are refused without one); skip, or fail under CI."""
    try:
        return configured_release().files.release
    except HlaReleaseError as exc:
        require(False, f"HLA typings need a configured IPD-IMGT/HLA release ({exc})")
        raise  # pragma: no cover - require() has skipped or failed


@pytest.fixture
def hla_release() -> str:
    """For tests that store HLA typings: the configured release (``ENGRAFT_IMGT_DIR`` or the cache)."""
    return require_hla_release()


@pytest.fixture(scope="session")
def atlas_samples_dir() -> Path:
    """Directory with the Atlas-format haplotype-frequency set and synthetic donors."""
    path = SHARED_DIR / "data" / "atlas-samples"
    require(path.is_dir(), f"Atlas sample data not found at {path}")
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not REQUIRE_ALL:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter is not None:
            reporter.write_line(f"CI: {len(skipped)} test(s) skipped; every test is required under CI")


pytest_plugins = ["tests.database_fixtures"]


@pytest.fixture
def changes() -> Iterator[list[EpisodeChanged]]:
    """Every episode change announced (``EPISODE_CHANGES``: what the monitoring rules read of an episode, or of its
    patient) while the test runs."""
    seen: list[EpisodeChanged] = []
    unregister = EPISODE_CHANGES.register(seen.append)
    yield seen
    unregister()
