"""Records become rows equal to ``Record.data()``, without walking lists of scalars in Python."""

from __future__ import annotations

import neo4j
import pytest
from neo4j.graph import Graph, Node
from neo4j.time import DateTime

from mishon_graph.db.runner import as_row


def _node() -> Node:
    return Node(Graph(), "4:db:1", 1, ["Video"], {"id": "v1", "split": "train"})


@pytest.mark.parametrize(
    "values",
    [
        {"a": 1, "b": [1, 2.5, "x", None, True], "c": [[1, "u", "train"], [2, "v", "test"]]},
        {"n": _node()},
        {"l": [1, _node()]},
        {"l": [[_node()], [1]]},
        {"m": {"k": [1, 2]}},
        {"l": [{"k": 1}]},
        {"b": b"xy"},
        {"t": DateTime(2020, 1, 2, 3, 4, 5)},
        {},
    ],
)
def test_rows_equal_what_the_driver_exports(values: dict) -> None:
    record = neo4j.Record(values)
    assert as_row(record) == record.data()


def test_graph_values_are_converted_at_any_depth() -> None:
    record = neo4j.Record({"l": [["x", _node()]]})
    assert as_row(record) == {"l": [["x", {"id": "v1", "split": "train"}]]}


def test_lists_of_scalars_are_passed_through_not_copied() -> None:
    ids, pairs = ["v1", "v2"], [["v1", "u1", "train"], ["v2", "u2", "test"]]
    record = neo4j.Record({"ids": ids, "pairs": pairs, "n": 2})
    row = as_row(record)
    assert row == {"ids": ids, "pairs": pairs, "n": 2}
    assert row["ids"] is record["ids"] and row["pairs"] is record["pairs"]
