"""`mishon demo` keeps to its own home and checks a database before writing (no server: a fake runner)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mishon_graph.config import Config
from mishon_graph.demo import HOME_MARKER, DemoPlace, check_target, demo_place
from mishon_graph.errors import MishonError


def test_the_demo_lives_in_its_own_home(tmp_path: Path) -> None:
    user = Config(home=tmp_path, feature_cache=tmp_path / "fast-cache", epochs=3)
    place = demo_place(user)
    demo = place.config
    assert demo.home == tmp_path / "demo" and place.own_home and place.own_database
    for mine, theirs in (
        (demo.neo4j_dir, user.neo4j_dir),
        (demo.model_dir, user.model_dir),
        (demo.runs_dir, user.runs_dir),
        (demo.feature_dir, user.feature_dir),
        (demo.feature_cache_dir, user.feature_cache_dir),
    ):
        assert mine != theirs and mine.is_relative_to(tmp_path / "demo"), (mine, theirs)
    assert demo.epochs == 3  # the user's other settings are kept


def test_an_external_server_is_never_the_demos_own(tmp_path: Path) -> None:
    place = demo_place(Config(home=tmp_path, neo4j_uri="bolt://h:1", neo4j_password="p"))
    assert place.own_home and not place.own_database
    assert "bolt://h:1" in place.describe_graph()


def test_a_home_the_demo_did_not_create_is_not_its_own(tmp_path: Path) -> None:
    assert not demo_place(Config(home=tmp_path), tmp_path).own_home  # the user's home itself
    work = tmp_path / "work"
    (work / "models").mkdir(parents=True)
    assert not demo_place(Config(home=tmp_path), work).own_home
    demo_place(Config(home=tmp_path), tmp_path / "fresh").claim_home()
    assert (tmp_path / "fresh" / HOME_MARKER).is_file()
    (tmp_path / "fresh" / "runs").mkdir()
    assert demo_place(Config(home=tmp_path), tmp_path / "fresh").own_home


class FakeRunner:
    """Answers the demo's target query; records wipes."""

    def __init__(self, nodes: int, source: str | None, sources: tuple[str, ...] | None = None) -> None:
        self.nodes, self.source = nodes, source
        self.sources = (source,) if sources is None and source else sources or ()
        self.wiped = False

    def run_file(self, name: str, params: dict[str, Any] | None = None, **_: Any) -> list[dict]:
        if name == "ingest/holdings":
            return [{"source": s, "kind": "videos", "n": 10} for s in self.sources]
        assert name == "demo/target" and params == {"name": "ingest"}
        return [{"nodes": self.nodes, "source": self.source}]

    def run_file_autocommit(self, name: str, params: dict[str, Any] | None = None) -> list[dict]:
        assert name in ("db/wipe_relationships", "db/wipe_nodes"), name
        self.wiped, self.nodes, self.source, self.sources = True, 0, None, ()
        return []


def _place(tmp_path: Path, *, own_home: bool, own_database: bool) -> DemoPlace:
    return DemoPlace(Config(home=tmp_path / "d"), tmp_path, own_home, own_database)


@pytest.mark.parametrize(("nodes", "source"), [(0, None), (120, "demo-data")])
def test_an_empty_database_or_the_demos_own_dataset_is_written(
    tmp_path: Path, nodes: int, source: str | None
) -> None:
    runner = FakeRunner(nodes, source)
    check_target(runner, _place(tmp_path, own_home=True, own_database=False), "demo-data")  # type: ignore[arg-type]
    assert not runner.wiped


@pytest.mark.parametrize("source", ["howyoutag", None])
def test_another_dataset_elsewhere_is_refused_without_replace(tmp_path: Path, source: str | None) -> None:
    runner = FakeRunner(900, source)
    place = _place(tmp_path, own_home=True, own_database=False)
    with pytest.raises(MishonError, match="900 nodes") as info:
        check_target(runner, place, "demo-data")  # type: ignore[arg-type]
    assert "--replace" in str(info.value) and "Nothing was written" in str(info.value)
    assert "leave out --demo-home" in str(info.value)
    assert not runner.wiped
    check_target(runner, place, "demo-data", replace=True)  # type: ignore[arg-type]
    assert runner.wiped


def test_videos_of_another_dataset_count_too(tmp_path: Path) -> None:
    runner = FakeRunner(500, "demo-data", ("demo-data", "howyoutag"))
    with pytest.raises(MishonError, match="'howyoutag'"):
        check_target(runner, _place(tmp_path, own_home=True, own_database=False), "demo-data")  # type: ignore[arg-type]
    assert not runner.wiped


def test_the_demos_own_database_is_emptied_of_an_older_demo(tmp_path: Path) -> None:
    runner = FakeRunner(300, "smoke-data")
    check_target(runner, _place(tmp_path, own_home=True, own_database=True), "demo-data")  # type: ignore[arg-type]
    assert runner.wiped


def test_models_in_a_home_that_is_not_the_demos_are_kept(tmp_path: Path) -> None:
    place = _place(tmp_path, own_home=False, own_database=False)
    place.config.model_dir.mkdir(parents=True)
    (place.config.model_dir / "mishon.pt").write_bytes(b"the user's model")
    runner = FakeRunner(0, None)
    with pytest.raises(MishonError, match="models that are not the demo's"):
        check_target(runner, place, "demo-data")  # type: ignore[arg-type]
    check_target(runner, place, "demo-data", replace=True)  # type: ignore[arg-type]
    assert (place.config.model_dir / "mishon.pt").read_bytes() == b"the user's model"  # only checked here
