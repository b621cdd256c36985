"""The database seam against a real Neo4j."""

import pytest
from click.testing import CliRunner

from mishon_graph.cli import cli
from mishon_graph.db.runner import Runner
from mishon_graph.errors import MishonError


def test_create_read_back_and_delete_nodes(db: Runner) -> None:
    rows = [{"id": f"u{i}", "name": f"user {i}"} for i in range(2500)]
    written = db.run_batched(
        "UNWIND $rows AS row MERGE (u:User {id: row.id}) SET u.name = row.name", rows, batch_size=1000
    )
    assert written == 2500
    assert db.run("MATCH (u:User) RETURN count(u) AS n") == [{"n": 2500}]
    assert db.run("MATCH (u:User {id: $id}) RETURN u.name AS name", {"id": "u7"}) == [{"name": "user 7"}]
    db.run("MATCH (u:User) DETACH DELETE u", write=True)
    assert db.run("MATCH (u:User) RETURN count(u) AS n") == [{"n": 0}]


def test_hostile_strings_are_data_not_query_text(db: Runner) -> None:
    evil = "x'}) DETACH DELETE n //` \" 🎬"
    db.run("CREATE (u:User {id: $id})", {"id": evil}, write=True)
    assert db.run("MATCH (u:User) RETURN u.id AS id") == [{"id": evil}]


def test_unique_constraint_is_enforced(db: Runner) -> None:
    db.run("CREATE (:Video {id: 'v1'})", write=True)
    with pytest.raises(MishonError, match="already exists"):
        db.run("CREATE (:Video {id: 'v1'})", write=True)


def test_cli_cypher_prints_one(neo4j_server) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["db", "cypher", "RETURN 1"], env=neo4j_server.env())
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1"


def test_wrong_password_is_a_one_line_error(neo4j_server) -> None:  # type: ignore[no-untyped-def]
    env = {**neo4j_server.env(), "NEO4J_PASSWORD": "wrong-password"}
    result = CliRunner().invoke(cli, ["db", "cypher", "RETURN 1"], env=env)
    assert result.exit_code == 1
    assert "rejected the credentials" in result.output
    assert "Traceback" not in result.output


def test_unreachable_server_is_a_one_line_error() -> None:
    env = {"NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x"}
    result = CliRunner().invoke(cli, ["db", "cypher", "RETURN 1"], env=env)
    assert result.exit_code == 1
    assert "not reachable" in result.output
