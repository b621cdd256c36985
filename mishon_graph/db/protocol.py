"""What code that talks to Neo4j needs from the database: the :class:`Runner` protocol.

Every query is a shipped, parameterised ``cypher/<name>.cypher`` file named by ``name`` (e.g.
``"recommend/write"``); data travels only as ``params``. Four transaction shapes cover every caller:

- :meth:`Runner.run_file`: one statement in a managed read or write transaction (retried on transient
  errors), its records as dicts;
- :meth:`Runner.run_file_batched`: ``UNWIND $rows`` writes in fixed-size batches, one transaction each;
- :meth:`Runner.run_file_autocommit`: one statement in an auto-commit transaction, which
  ``CALL { } IN TRANSACTIONS`` requires (not retried: such statements commit as they go);
- :meth:`Runner.stream_file`: a large read yielded record by record instead of buffered.

:class:`~mishon_graph.db.runner.Neo4jRunner` implements it over the official driver;
``mishon_graph.testing.runner.CollectingRunner`` records calls and answers canned rows, so code that
talks to Neo4j can be unit-tested without a server. Type hints name this protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

Row = dict[str, Any]
Params = dict[str, Any]


def chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """``rows`` in lists of ``size`` (the last one shorter), without materialising ``rows``."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_batches(
    write: Callable[[Params], object],
    rows: Iterable[Row],
    batch_size: int,
    extra: Params | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Call ``write`` once per batch of ``batch_size`` rows with ``{**extra, "rows": batch}``; the rows
    written (every batched writer goes through this)."""
    total = 0
    for batch in chunks(rows, batch_size):
        write({**(extra or {}), "rows": batch})
        total += len(batch)
        if on_batch is not None:
            on_batch(len(batch))
    return total


@runtime_checkable
class Runner(Protocol):
    """Runs the shipped Cypher files against one database.

    Implementations subclass it explicitly, which gives them :meth:`run_file_batched` (batching is
    written once, on top of :meth:`run_file`).
    """

    def run_file(self, name: str, params: Params | None = None, *, write: bool = False) -> list[Row]:
        """Run ``cypher/<name>.cypher`` in a managed transaction; its records as dicts.

        Args:
            name: File name without the suffix, e.g. ``"recommend/missing_videos"``.
            params: The file's ``$parameters``.
            write: A write transaction (default: read).
        """
        ...

    def run_file_autocommit(self, name: str, params: Params | None = None) -> list[Row]:
        """Run ``cypher/<name>.cypher`` in an auto-commit transaction (``CALL { } IN TRANSACTIONS``)."""
        ...

    def stream_file(self, name: str, params: Params | None = None) -> Iterator[Row]:
        """Yield the records of the read ``cypher/<name>.cypher`` one at a time (not buffered)."""
        ...

    def run_file_batched(
        self,
        name: str,
        rows: Iterable[Row],
        *,
        batch_size: int = 1000,
        extra: Params | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        """Write ``rows`` with the ``UNWIND $rows`` file ``name``, ``batch_size`` rows per transaction.

        Args:
            name: File name; it reads ``$rows`` and the keys of ``extra``.
            rows: Rows to write (any iterable; consumed once).
            batch_size: Rows per write transaction.
            extra: Parameters passed with every batch besides ``rows``.
            on_batch: Called with the batch's row count after each batch commits.

        Returns:
            The number of rows written.
        """
        return write_batches(
            lambda params: self.run_file(name, params, write=True), rows, batch_size, extra, on_batch
        )
