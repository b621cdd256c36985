"""The one seam to Neo4j: :class:`Neo4jRunner`, the :class:`~mishon_graph.db.protocol.Runner` over the
official driver.

Nothing else in the project imports ``neo4j``. Reads and writes use managed transactions
(``execute_read``/``execute_write``) so transient errors are retried by the driver. The server's
notifications of WARNING severity (deprecations, hints it could not follow, ...) come back as
:class:`MishonNeo4jWarning` Python warnings naming the query file, as the GDS client does.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors

from mishon_graph.db import protocol
from mishon_graph.db.cypher_files import load_query, query_name
from mishon_graph.db.protocol import Params, Row, write_batches
from mishon_graph.errors import MishonError

__all__ = ["CredentialsRejected", "MishonNeo4jWarning", "Neo4jRunner", "Params", "Row", "Runner"]

T = TypeVar("T")

# "Unknown label / property key / relationship type" (classification UNRECOGNIZED) is expected, not a
# fault: queries are written for graphs where later stages have not run yet (no SIMILAR edge before
# `graph build`, no `embedding` property before `features`).
_DISABLED_CLASSIFICATIONS = ["UNRECOGNIZED"]


class CredentialsRejected(MishonError):
    """The server refused the user name and password (lets callers say where the password lives)."""


class MishonNeo4jWarning(UserWarning):
    """A notification the server attached to a query: a deprecation, an index hint it could not use..."""


def notification_messages(statuses: Iterable[Any], query: str) -> list[str]:
    """One warning message per notification among a result's GQL status objects.

    Args:
        statuses: ``ResultSummary.gql_status_objects`` (success statuses are skipped).
        query: The query's file name (or its first line, for ad-hoc Cypher), named in each message.
    """
    messages = []
    for status in statuses:
        if not status.is_notification:
            continue
        title = f"{status.raw_classification or 'notification'} {status.gql_status}".strip()
        description = " ".join(str(status.status_description).split())
        messages.append(f"Neo4j: {title}: {description} ({query})")
    return messages


_SCALARS = frozenset({str, int, float, bool, type(None)})
_SCALARS_OR_LIST = _SCALARS | {list}


def _plain(value: Any) -> bool:
    """True when ``Record.data()`` would return ``value`` as it is: a scalar, or a list (nested or not)
    of scalars. Checked per element type in C (``set(map(type, ...))``), not per element in Python."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is not list:
        return False
    kinds = set(map(type, value))
    if kinds <= _SCALARS:
        return True
    return kinds <= _SCALARS_OR_LIST and all(_plain(v) for v in value if type(v) is list)


def as_row(record: Any) -> Row:
    """A record as a plain dict, equal to ``record.data()``.

    ``data()`` walks every element of every list in Python to convert nodes, relationships and paths;
    the export's compact rows are lists of a hundred thousand scalars, where that walk was 70% of
    reading the graph. Records made only of scalars and lists of them are returned as they are; any
    other record (a node, a map, bytes...) goes through ``data()``.
    """
    row = dict(zip(record.keys(), record.values(), strict=True))
    return row if all(_plain(v) for v in row.values()) else record.data()


def _label(query: str) -> str:
    """What a warning calls a query: its file name, else its first line (shortened)."""
    name = query_name(query)
    if name is not None:
        return name
    first = query.strip().splitlines()[0] if query.strip() else ""
    return first if len(first) <= 60 else first[:57] + "..."


def _forward(summary: neo4j.ResultSummary, query: str) -> None:
    for message in notification_messages(summary.gql_status_objects, query):
        # stacklevel 4: past this function, the transaction helper and run()/run_autocommit().
        warnings.warn(message, MishonNeo4jWarning, stacklevel=4)


class Neo4jRunner(protocol.Runner):
    """Runs Cypher against one database (implements :class:`~mishon_graph.db.protocol.Runner`).

    Beyond the protocol, :meth:`run` takes ad-hoc Cypher text (``mishon db cypher``, tests); the text
    variants :meth:`run_batched`, :meth:`run_autocommit` and :meth:`stream` are thin aliases kept for
    callers that still pass ``load_query(...)``.

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
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                notifications_min_severity="WARNING",
                notifications_disabled_classifications=_DISABLED_CLASSIFICATIONS,
            )
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise MishonError(f"bad Neo4j URI {uri!r}: {exc}") from exc

    def __repr__(self) -> str:
        return f"Neo4jRunner(uri={self.uri!r}, database={self.database!r})"

    def __enter__(self) -> Neo4jRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._driver.close()

    def verify(self) -> None:
        """Fail with a one-line :class:`MishonError` when the server cannot be used."""
        try:
            self._driver.verify_connectivity()
            self.run_file("db/ping")
        except neo4j_errors.AuthError as exc:
            raise CredentialsRejected(
                f"Neo4j at {self.uri} rejected the credentials (check NEO4J_USER/NEO4J_PASSWORD)"
            ) from exc
        except (neo4j_errors.ServiceUnavailable, OSError) as exc:
            raise MishonError(
                f"Neo4j is not reachable at {self.uri}: run `mishon db start` or set NEO4J_URI"
            ) from exc

    # The protocol ------------------------------------------------------------------------------
    # Each loads the file and goes through the text method below, so a subclass that wraps run()
    # (tests interrupting an ingest mid-batch) sees every statement.
    def run_file(self, name: str, params: Params | None = None, *, write: bool = False) -> list[Row]:
        """Run the shipped ``cypher/<name>.cypher`` in a managed transaction (see the protocol)."""
        return self.run(load_query(name), params, write=write)

    def run_file_autocommit(self, name: str, params: Params | None = None) -> list[Row]:
        """Run ``cypher/<name>.cypher`` in an auto-commit transaction (``CALL { } IN TRANSACTIONS``)."""
        return self.run_autocommit(load_query(name), params)

    def stream_file(self, name: str, params: Params | None = None) -> Iterator[Row]:
        """Yield the records of the read ``cypher/<name>.cypher`` one at a time (auto-commit read)."""
        return self.stream(load_query(name), params)

    # Cypher text -------------------------------------------------------------------------------
    def run(self, query: str, params: Params | None = None, *, write: bool = False) -> list[Row]:
        """Run Cypher text in a managed transaction: ad-hoc queries (``mishon db cypher``, tests).

        Product code names a file instead (:meth:`run_file`).
        """
        return self._managed(query, params, write=write, label=_label(query))

    def run_batched(
        self,
        query: str,
        rows: Iterable[Row],
        *,
        batch_size: int = 1000,
        extra: Params | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Alias of :meth:`run_file_batched` taking Cypher text (kept for tests' inline seed queries)."""
        return write_batches(
            lambda params: self.run(query, params, write=True), rows, batch_size, extra, on_batch
        )

    def run_autocommit(self, query: str, params: Params | None = None) -> list[Row]:
        """Alias of :meth:`run_file_autocommit` taking text, kept for callers passing ``load_query(...)``."""
        return self._autocommit(query, params, label=_label(query))

    def stream(self, query: str, params: Params | None = None) -> Iterator[Row]:
        """Alias of :meth:`stream_file` taking text, kept for callers passing ``load_query(...)``."""
        return self._stream(query, params, label=_label(query))

    # Transactions ------------------------------------------------------------------------------
    def _managed(self, query: str, params: Params | None, *, write: bool, label: str) -> list[Row]:
        def work(tx: neo4j.ManagedTransaction) -> tuple[list[Row], neo4j.ResultSummary]:
            result = tx.run(query, params or {})
            rows = [as_row(record) for record in result]
            return rows, result.consume()

        def transaction(session: neo4j.Session) -> tuple[list[Row], neo4j.ResultSummary]:
            return session.execute_write(work) if write else session.execute_read(work)

        rows, summary = self._in_session(transaction)
        _forward(summary, label)  # after the retries: once per query, not once per attempt
        return rows

    def _autocommit(self, query: str, params: Params | None, *, label: str) -> list[Row]:
        def transaction(session: neo4j.Session) -> tuple[list[Row], neo4j.ResultSummary]:
            result = session.run(query, params or {})
            rows = [as_row(record) for record in result]
            return rows, result.consume()

        rows, summary = self._in_session(transaction)
        _forward(summary, label)
        return rows

    def _stream(self, query: str, params: Params | None, *, label: str) -> Iterator[Row]:
        try:
            with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as s:
                result = s.run(query, params or {})
                for record in result:
                    yield as_row(record)
                summary = result.consume()
        except neo4j_errors.Neo4jError as exc:
            raise MishonError(f"Neo4j query failed: {exc.message or exc}") from exc
        _forward(summary, label)

    def _in_session(self, transaction: Callable[[neo4j.Session], T]) -> T:
        try:
            with self._driver.session(database=self.database) as session:
                return transaction(session)
        except neo4j_errors.AuthError as exc:
            raise CredentialsRejected(f"Neo4j at {self.uri} rejected the credentials") from exc
        except neo4j_errors.ServiceUnavailable as exc:
            raise MishonError(
                f"Neo4j is not reachable at {self.uri}: run `mishon db start` or set NEO4J_URI"
            ) from exc
        except neo4j_errors.Neo4jError as exc:
            raise MishonError(f"Neo4j query failed: {exc.message or exc}") from exc


Runner = Neo4jRunner
"""Old name of :class:`Neo4jRunner`, a thin alias kept for the callers that still construct or hint with
it. New code constructs :class:`Neo4jRunner` and names :class:`mishon_graph.db.protocol.Runner` in type
hints (a fake then type-checks too)."""
