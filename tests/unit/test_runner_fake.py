"""Code that talks to Neo4j, unit-tested against the recording fake: exact queries, parameters, batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from mishon_graph.config import Config
from mishon_graph.db.cypher_files import list_queries, load_query
from mishon_graph.db.protocol import Params, Row, Runner
from mishon_graph.db.runner import Neo4jRunner
from mishon_graph.db.schema import apply_schema, wipe
from mishon_graph.errors import MishonError
from mishon_graph.graph.family import delete_family
from mishon_graph.graph.uses import build_uses
from mishon_graph.ingest.state import require_complete
from mishon_graph.recommend.write import write_recommendations
from mishon_graph.testing.runner import Call, CollectingRunner

KNOWN = {"recommend/missing_videos": [{"missing": []}], "recommend/missing_hashtags": [{"missing": []}]}


def deleted_then_none(counts: Sequence[int]) -> Callable[[Params], list[Row]]:
    """An answer for ``recommend/delete_run``: ``counts`` deleted on successive calls, then 0."""
    left = list(counts)

    def answer(_: Params) -> list[Row]:
        return [{"deleted": left.pop(0) if left else 0}]

    return answer


def test_both_runners_implement_the_protocol() -> None:
    fake: Runner = CollectingRunner()  # mypy checks the structure; the bases make it explicit
    assert isinstance(fake, Runner)
    assert issubclass(Neo4jRunner, Runner)


def test_write_recommendations_checks_ids_clears_the_run_then_writes_in_batches() -> None:
    runner = CollectingRunner({**KNOWN, "recommend/delete_run": deleted_then_none([4])})
    scores = np.array([[0.1, 0.9, 0.5], [0.7, 0.2, 0.3], [0.0, 0.0, 1.0]])

    written = write_recommendations(
        runner, ["v1", "v2", "v3"], ["#a", "#b", "#c"], scores,
        k=2, model="mishon", run_id="r1", batch_size=4, created_at="2025-01-01T00:00:00+00:00",
    )

    run = {"model": "mishon", "run_id": "r1", "created_at": "2025-01-01T00:00:00+00:00"}
    rows = [
        {"video_id": "v1", "hashtag": "#b", "score": 0.9, "rank": 1},
        {"video_id": "v1", "hashtag": "#c", "score": 0.5, "rank": 2},
        {"video_id": "v2", "hashtag": "#a", "score": 0.7, "rank": 1},
        {"video_id": "v2", "hashtag": "#c", "score": 0.3, "rank": 2},
        {"video_id": "v3", "hashtag": "#c", "score": 1.0, "rank": 1},
        {"video_id": "v3", "hashtag": "#a", "score": 0.0, "rank": 2},  # tie with #b: column order
    ]
    assert written == 6
    assert runner.calls == [
        Call("recommend/missing_videos", {"ids": ["v1", "v2", "v3"]}, "read"),
        Call("recommend/missing_hashtags", {"names": ["#a", "#b", "#c"]}, "read"),
        Call("recommend/delete_run", {"run_id": "r1", "limit": 10_000}, "write"),
        Call("recommend/delete_run", {"run_id": "r1", "limit": 10_000}, "write"),
        Call("recommend/write", {**run, "rows": rows[:4]}, "write"),
        Call("recommend/write", {**run, "rows": rows[4:]}, "write"),
    ]


def test_write_recommendations_refuses_unknown_videos_before_writing() -> None:
    runner = CollectingRunner({"recommend/missing_videos": [{"missing": ["v9", "v8"]}]})
    with pytest.raises(MishonError, match=r"unknown video id 'v9' \(and 1 more\)"):
        write_recommendations(runner, ["v9", "v8"], ["#a"], np.ones((2, 1)), k=1, model="m", run_id="r")
    assert runner.names() == ["recommend/missing_videos"]


def test_delete_family_is_one_autocommit_statement_recorded_by_file_name() -> None:
    runner = CollectingRunner()
    delete_family(runner, "jaccard", 500)
    assert runner.calls == [Call("edges/jaccard_delete", {"batch": 500}, "autocommit")]


def test_build_uses_deletes_then_creates_then_counts_per_modality() -> None:
    counts = {"USES_Visual": 3, "USES_Acoustic": 2, "USES_Textual": 4}
    runner = CollectingRunner({"edges/user_uses": [{"edges": 9}], "graph/edge_counts": [counts]})

    result = build_uses(runner, Config(batch_rows=50))

    assert runner.queries() == [
        ("edges/uses_delete", {"batch": 500}),
        ("edges/user_uses", {"batch": 50}),
        ("graph/edge_counts", {}),
    ]
    assert [c.tx for c in runner.calls] == ["autocommit", "autocommit", "read"]
    assert (result.family, result.edges) == ("uses", 9)
    assert result.per_modality == {"Visual": 3, "Acoustic": 2, "Textual": 4}


@pytest.mark.parametrize(
    ("meta", "refused"),
    [([], False), ([{"props": {"status": "complete"}}], False), ([{"props": {"status": "running"}}], True)],
)
def test_require_complete_reads_the_ingest_metadata_node(meta: list[Row], refused: bool) -> None:
    runner = CollectingRunner({"graph/meta_read": meta})
    if refused:
        with pytest.raises(MishonError, match="the graph is incomplete"):
            require_complete(runner)
    else:
        require_complete(runner)
    assert runner.calls == [Call("graph/meta_read", {"name": "ingest"}, "read")]


def test_apply_schema_writes_every_schema_file_then_waits_for_the_indexes() -> None:
    runner = CollectingRunner()
    applied = apply_schema(runner)
    assert applied == list_queries("schema") and applied
    assert runner.calls == [
        *(Call(name, {}, "write") for name in applied),
        Call("db/await_indexes", {"seconds": 300}, "read"),
    ]


def test_wipe_deletes_relationships_before_nodes_in_autocommit_batches() -> None:
    runner = CollectingRunner()
    wipe(runner, batch=7)
    assert runner.calls == [
        Call("db/wipe_relationships", {"batch": 7}, "autocommit"),
        Call("db/wipe_nodes", {"batch": 7}, "autocommit"),
    ]


def test_the_fake_fails_a_call_missing_a_file_parameter_and_an_unknown_file() -> None:
    runner = CollectingRunner()
    with pytest.raises(AssertionError, match=r"recommend/delete_run: parameters \['limit'\]"):
        runner.run_file("recommend/delete_run", {"run_id": "r"}, write=True)
    with pytest.raises(MishonError, match="no Cypher file"):
        runner.run_file("recommend/no_such_file")
    assert runner.calls == []


def test_the_fake_records_ad_hoc_text_as_text_and_copies_parameters() -> None:
    runner = CollectingRunner({"RETURN $x AS x": [{"x": 1}]})
    params = {"x": [1]}
    assert runner.run("RETURN $x AS x", params) == [{"x": 1}]
    params["x"].append(2)
    assert runner.run_autocommit(load_query("db/wipe_nodes"), {"batch": 1}) == []
    assert list(runner.stream("MATCH (n) RETURN n")) == []
    assert runner.calls == [
        Call("RETURN $x AS x", {"x": [1]}, "read"),
        Call("db/wipe_nodes", {"batch": 1}, "autocommit"),
        Call("MATCH (n) RETURN n", {}, "stream"),
    ]


def test_batched_writes_split_rows_and_report_each_batch() -> None:
    runner = CollectingRunner()
    seen: list[int] = []
    rows = ({"id": i} for i in range(5))  # any iterable, consumed once
    total = runner.run_file_batched(
        "testing/seed_users", rows, batch_size=2, extra={"unused": 1}, on_batch=seen.append
    )
    assert (total, seen) == (5, [2, 2, 1])
    assert [len(c.params["rows"]) for c in runner.calls] == [2, 2, 1]
    assert {c.tx for c in runner.calls} == {"write"} and runner.calls[0].params["unused"] == 1
    assert runner.run_file_batched("testing/seed_users", []) == 0 and len(runner.calls) == 3
