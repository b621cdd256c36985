"""The one seam to Neo4j: a small runner over the official driver.

Every query goes through :class:`Runner`; nothing else in the project imports ``neo4j``.
Reads and writes use managed transactions (``execute_read``/``execute_write``) so transient
errors are retried by the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import neo4j
from neo4j import exceptions as neo4j_errors

from mishon_graph.db.cypher_files import load_query
from mishon_graph.errors import MishonError

Row = dict[str, Any]


class CredentialsRejected(MishonError):
    """The server refused the user name and password (lets callers say where the password lives)."""


def _chunks(rows: Sequence[Row] | Iterable[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Runner:
    """Runs Cypher against one database.

    Args:
        uri: Bolt URI, e.g. ``bolt://127.0.0.1:7687``.
        user: User name.
        password: Password.
        database: Database name (``neo4j`` on Community).
    """

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        self.uri = uri
        self.database = database
        try:
            # Server notifications (e.g. "property key does not exist" on a fresh graph) are not errors
            # here; queries are written for graphs where later stages have not run yet.
            self._driver = neo4j.GraphDatabase.driver(
                uri, auth=(user, password), notifications_min_severity="OFF"
            )
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise MishonError(f"bad Neo4j URI {uri!r}: {exc}") from exc

    def __repr__(self) -> str:
        return f"Runner(uri={self.uri!r}, database={self.database!r})"

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._driver.close()

    def verify(self) -> None:
        """Fail with a one-line :class:`MishonError` when the server cannot be used."""
        try:
            self._driver.verify_connectivity()
            self.run("RETURN 1 AS ok")
        except neo4j_errors.AuthError as exc:
            raise CredentialsRejected(
                f"Neo4j at {self.uri} rejected the credentials (check NEO4J_USER/NEO4J_PASSWORD)"
            ) from exc
        except (neo4j_errors.ServiceUnavailable, OSError) as exc:
            raise MishonError(
                f"Neo4j is not reachable at {self.uri}: run `mishon db start` or set NEO4J_URI"
            ) from exc

    # Queries ---------------------------------------------------------------------------------
    def run(self, query: str, params: dict[str, Any] | None = None, *, write: bool = False) -> list[Row]:
        """Run one statement in a managed transaction and return its records as dicts."""
        params = params or {}

        def work(tx: neo4j.ManagedTransaction) -> list[Row]:
            return [record.data() for record in tx.run(query, params)]

        return self._execute(work, write=write)

    def run_file(self, name: str, params: dict[str, Any] | None = None, *, write: bool = False) -> list[Row]:
        """Run the shipped ``cypher/<name>.cypher`` file."""
        return self.run(load_query(name), params, write=write)

    def run_batched(
        self,
        query: str,
        rows: Iterable[Row],
        *,
        batch_size: int = 1000,
        extra: dict[str, Any] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Write ``rows`` with ``UNWIND $rows`` in fixed-size batches, one transaction each.

        Returns the number of rows written; ``on_batch(n)`` is called after each batch commits.
        """
        total = 0
        for batch in _chunks(rows, batch_size):
            self.run(query, {**(extra or {}), "rows": batch}, write=True)
            total += len(batch)
            if on_batch is not None:
                on_batch(len(batch))
        return total

    def run_file_batched(self, name: str, rows: Iterable[Row], **kwargs: Any) -> int:
        """:meth:`run_batched` with a shipped Cypher file."""
        return self.run_batched(load_query(name), rows, **kwargs)

    def run_autocommit(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run a statement in an auto-commit transaction (needed by ``CALL { } IN TRANSACTIONS``)."""
        try:
            with self._driver.session(database=self.database) as session:
                return [record.data() for record in session.run(query, params or {})]
        except neo4j_errors.ServiceUnavailable as exc:
            raise MishonError(f"Neo4j is not reachable at {self.uri}") from exc
        except neo4j_errors.Neo4jError as exc:
            raise MishonError(f"Neo4j query failed: {exc.message or exc}") from exc

    def stream(self, query: str, params: dict[str, Any] | None = None) -> Iterator[Row]:
        """Yield records of a large read one at a time (auto-commit read, not buffered)."""
        try:
            with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as s:
                for record in s.run(query, params or {}):
                    yield record.data()
        except neo4j_errors.Neo4jError as exc:
            raise MishonError(f"Neo4j query failed: {exc.message or exc}") from exc

    def _execute(self, work: Callable[[neo4j.ManagedTransaction], list[Row]], *, write: bool) -> list[Row]:
        try:
            with self._driver.session(database=self.database) as session:
                if write:
                    return session.execute_write(work)
                return session.execute_read(work)
        except neo4j_errors.AuthError as exc:
            raise CredentialsRejected(f"Neo4j at {self.uri} rejected the credentials") from exc
        except neo4j_errors.ServiceUnavailable as exc:
            raise MishonError(
                f"Neo4j is not reachable at {self.uri}: run `mishon db start` or set NEO4J_URI"
            ) from exc
        except neo4j_errors.Neo4jError as exc:
            raise MishonError(f"Neo4j query failed: {exc.message or exc}") from exc
