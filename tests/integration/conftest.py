"""Expensive runs shared by several slow integration tests (each run once per session, on first use)."""

from __future__ import annotations

import pytest
from demo_run import DemoRun, run_demo_on_users_home


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One ``mishon demo`` for the README quick-start test and the demo-safety test.

    The whole pipeline (generate, ingest, features, graph, train, recommend, evaluate with baselines)
    is the slowest thing the suite does; both tests check their promises on this one run. Its servers
    are stopped before the first test sees it, so no JVM outlives the fixture.
    """
    return run_demo_on_users_home(tmp_path_factory.mktemp("demo-run") / "home")
