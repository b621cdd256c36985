"""Server notifications come back as Python warnings (MishonNeo4jWarning) naming the query file."""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

import pytest

from mishon_graph.db import runner as runner_module
from mishon_graph.db.cypher_files import load_query, query_name
from mishon_graph.db.runner import MishonNeo4jWarning, notification_messages


def status(gql: str, description: str, classification: str | None, *, notification: bool = True) -> Any:
    """A stand-in for the driver's ``GqlStatusObject`` (only the attributes the runner reads)."""
    return SimpleNamespace(
        gql_status=gql, status_description=description, raw_classification=classification,
        is_notification=notification,
    )


DEPRECATED = status(
    "01N01",
    "warn: feature deprecated with replacement. id is deprecated.\n It is replaced by elementId.",
    "DEPRECATION",
)
SUCCESS = status("00000", "note: successful completion", None, notification=False)


def test_notifications_become_one_message_each_success_statuses_none() -> None:
    assert notification_messages([SUCCESS, DEPRECATED], "graph/edge_counts") == [
        "Neo4j: DEPRECATION 01N01: warn: feature deprecated with replacement. id is deprecated. "
        "It is replaced by elementId. (graph/edge_counts)"
    ]
    assert notification_messages([SUCCESS], "graph/edge_counts") == []
    assert notification_messages([status("03N90", "info: cartesian product.", None)], "q") == [
        "Neo4j: notification 03N90: info: cartesian product. (q)"
    ]


def test_forwarded_as_mishon_warnings_naming_the_file_or_the_first_line() -> None:
    summary = SimpleNamespace(gql_status_objects=[SUCCESS, DEPRECATED])
    with pytest.warns(MishonNeo4jWarning, match=r"DEPRECATION 01N01: .*\(db/ping\)$"):
        runner_module._forward(summary, runner_module._label(load_query("db/ping")))  # type: ignore[arg-type]
    with pytest.warns(MishonNeo4jWarning, match=r"\(MATCH \(n\) RETURN id\(n\)\)$"):
        runner_module._forward(summary, runner_module._label("MATCH (n) RETURN id(n)\nLIMIT 1"))  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runner_module._forward(SimpleNamespace(gql_status_objects=[SUCCESS]), "q")  # type: ignore[arg-type]


def test_the_warning_is_a_user_warning_and_long_text_is_shortened() -> None:
    assert issubclass(MishonNeo4jWarning, UserWarning)
    label = runner_module._label("MATCH " + "x" * 100)
    assert len(label) == 60 and label.endswith("...")
    assert query_name(load_query("db/wipe_nodes") + ";") == "db/wipe_nodes"
