"""The named Cypher query library (``cypher/queries/*.cypher``): list, describe and run.

Each file documents itself in leading ``//`` lines; parameters are declared as
``// $name: type [= default] - description`` (type one of string, int, float, bool) and always
travel as Cypher parameters, never spliced into the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mishon_graph.db.cypher_files import doc_comment, list_queries, load_query, query_params
from mishon_graph.db.protocol import Row, Runner
from mishon_graph.errors import MishonError

FOLDER = "queries"
_PARAM_DOC = re.compile(r"^\$(\w+):\s*(string|int|float|bool)(?:\s*=\s*(\S+))?\s*(?:-\s*(.*))?$")
_CASTS = {"string": str, "int": int, "float": float}


@dataclass(frozen=True)
class Param:
    """One declared query parameter."""

    name: str
    type: str
    default: Any = None
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class NamedQuery:
    """A shipped query: name, description, parameters and output columns."""

    name: str
    description: str
    params: tuple[Param, ...]
    returns: str


def _parse_default(kind: str, raw: str) -> Any:
    value = json.loads(raw)
    return _coerce(Param("default", kind), value)


def describe(name: str) -> NamedQuery:
    """Parse the documentation of query ``name`` (e.g. ``"why"``)."""
    if f"{FOLDER}/{name}" not in list_queries(FOLDER):
        raise MishonError(f"unknown query {name!r}; known: {', '.join(names())}")
    text, params, returns = [], [], ""
    for line in doc_comment(f"{FOLDER}/{name}").splitlines():
        match = _PARAM_DOC.match(line)
        if match:
            pname, kind, default, help_text = match.groups()
            params.append(Param(pname, kind, _parse_default(kind, default) if default else None,
                                default is None, help_text or ""))
        elif line.startswith("Returns:"):
            returns = line.removeprefix("Returns:").strip()
        else:
            text.append(line)
    declared = {p.name for p in params}
    used = query_params(load_query(f"{FOLDER}/{name}"))
    if declared != used:
        raise MishonError(f"query {name!r} declares parameters {sorted(declared)} but uses {sorted(used)}")
    return NamedQuery(name, " ".join(text), tuple(params), returns)


def names() -> list[str]:
    """Names of the shipped queries, sorted."""
    return [q.split("/", 1)[1] for q in list_queries(FOLDER)]


def catalogue() -> list[NamedQuery]:
    """Every shipped query, described."""
    return [describe(n) for n in names()]


def _coerce(param: Param, value: Any) -> Any:
    try:
        if param.type == "bool":
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                return value.lower() in ("true", "1")
            return bool(value)
        if param.type == "string" and not isinstance(value, str):
            return json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        return _CASTS[param.type](value)
    except (TypeError, ValueError):
        raise MishonError(f"parameter {param.name!r} must be {param.type}, got {value!r}") from None


def bind(query: NamedQuery, given: Mapping[str, Any]) -> dict[str, Any]:
    """Check and convert parameters for ``query``: defaults filled, types coerced.

    Raises:
        MishonError: An unknown or missing parameter, or a value of the wrong type.
    """
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise MishonError(f"query {query.name!r} has no parameter {unknown[0]!r} (parameters: {known})")
    missing = [p.name for p in query.params if p.required and p.name not in given]
    if missing:
        raise MishonError(
            f"query {query.name!r} needs parameter {missing[0]!r}: pass --param {missing[0]}=VALUE"
        )
    return {
        p.name: _coerce(p, given[p.name]) if p.name in given else p.default for p in query.params
    }


def run_query(runner: Runner, name: str, params: Mapping[str, Any] | None = None) -> list[Row]:
    """Run shipped query ``name`` with ``params`` (as Cypher parameters) and return its rows."""
    query = describe(name)
    return runner.run_file(f"{FOLDER}/{name}", bind(query, params or {}))
