"""A recording fake of the database seam, modelled on the GDS client's ``CollectingQueryRunner``.

:class:`CollectingRunner` implements :class:`~mishon_graph.db.protocol.Runner` without a server: it
records every call (file name, parameters, transaction kind) and answers canned rows per file name,
so unit tests can check exactly which queries a code path sends::

    runner = CollectingRunner({"recommend/delete_run": [{"deleted": 0}]})
    delete_run(runner, "r1")
    assert runner.queries() == [("recommend/delete_run", {"run_id": "r1", "limit": 10000})]

Calls with Cypher text (``run``, ``run_autocommit``, ``stream``, ``run_batched``) are recorded under
the name of the shipped file with that text when there is one, else as the text. Parameters are
checked against the file's ``$parameters``: a missing one fails the call, as the server would.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Literal, NamedTuple

from mishon_graph.db import protocol
from mishon_graph.db.cypher_files import load_query, query_name, query_params
from mishon_graph.db.protocol import Params, Row, write_batches

Tx = Literal["read", "write", "autocommit", "stream"]
Answer = Sequence[Row] | Callable[[Params], Sequence[Row]]


class Call(NamedTuple):
    """One recorded query: the file name (or ad-hoc text), its parameters and the transaction kind."""

    query: str
    params: Params
    tx: Tx


class CollectingRunner(protocol.Runner):
    """Records queries and answers canned rows, no server (see the module docstring).

    Args:
        answers: File name (or ad-hoc text) -> the rows it returns, or a function of the parameters
            returning them (for answers that change between calls). Unlisted queries return no rows.
        check_params: Fail a call that lacks one of its file's ``$parameters``.
    """

    uri = "bolt://collecting-runner"
    database = "neo4j"

    def __init__(self, answers: Mapping[str, Answer] | None = None, *, check_params: bool = True) -> None:
        self.answers = dict(answers or {})
        self.check_params = check_params
        self.calls: list[Call] = []

    def __repr__(self) -> str:
        return f"CollectingRunner(calls={len(self.calls)}, answers={sorted(self.answers)})"

    # What tests read ---------------------------------------------------------------------------
    def queries(self) -> list[tuple[str, Params]]:
        """``(query, params)`` of every call, in order."""
        return [(c.query, c.params) for c in self.calls]

    def names(self) -> list[str]:
        """The query of every call, in order."""
        return [c.query for c in self.calls]

    # The protocol ------------------------------------------------------------------------------
    def run_file(self, name: str, params: Params | None = None, *, write: bool = False) -> list[Row]:
        return self._file(name, params, "write" if write else "read")

    def run_file_autocommit(self, name: str, params: Params | None = None) -> list[Row]:
        return self._file(name, params, "autocommit")

    def stream_file(self, name: str, params: Params | None = None) -> Iterator[Row]:
        return iter(self._file(name, params, "stream"))

    # Cypher text, as Neo4jRunner takes it --------------------------------------------------------
    def run(self, query: str, params: Params | None = None, *, write: bool = False) -> list[Row]:
        return self._text(query, params, "write" if write else "read")

    def run_batched(
        self,
        query: str,
        rows: Iterable[Row],
        *,
        batch_size: int = 1000,
        extra: Params | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> int:
        return write_batches(
            lambda params: self.run(query, params, write=True), rows, batch_size, extra, on_batch
        )

    def run_autocommit(self, query: str, params: Params | None = None) -> list[Row]:
        return self._text(query, params, "autocommit")

    def stream(self, query: str, params: Params | None = None) -> Iterator[Row]:
        return iter(self._text(query, params, "stream"))

    # Recording ---------------------------------------------------------------------------------
    def _text(self, query: str, params: Params | None, tx: Tx) -> list[Row]:
        name = query_name(query)
        return self._answer(query, params, tx) if name is None else self._file(name, params, tx)

    def _file(self, name: str, params: Params | None, tx: Tx) -> list[Row]:
        expected = query_params(load_query(name))  # fails on an unknown file, as Neo4jRunner does
        missing = expected - set(params or {})
        if self.check_params and missing:
            got = sorted(params or {})
            raise AssertionError(f"{name}: parameters {sorted(missing)} not passed (got {got})")
        return self._answer(name, params, tx)

    def _answer(self, query: str, params: Params | None, tx: Tx) -> list[Row]:
        # A copy, so a caller that later mutates its dict does not rewrite the record.
        self.calls.append(Call(query, copy.deepcopy(dict(params or {})), tx))
        answer = self.answers.get(query, [])
        rows = answer(dict(params or {})) if callable(answer) else answer
        return [dict(row) for row in rows]
