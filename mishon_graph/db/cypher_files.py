"""Finding and loading the shipped ``.cypher`` files (one statement each, ``$params`` only).

Works from a source checkout (``cypher/`` at the repo root) and from an installed wheel, where
the same directory is shipped as the package ``mishon_graph.cypher``.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

from mishon_graph.errors import MishonError

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"//[^\n]*")


def cypher_root() -> Path:
    """Directory holding the ``.cypher`` files."""
    return Path(str(resources.files("mishon_graph.cypher")))


@cache
def load_query(name: str) -> str:
    """Text of ``cypher/<name>.cypher`` (e.g. ``"edges/user_jaccard"``), comments stripped."""
    path = cypher_root() / f"{name}.cypher"
    if not path.is_file():
        raise MishonError(f"no Cypher file {name!r} (looked for {path})")
    text = _COMMENT.sub("", path.read_text(encoding="utf-8")).strip()
    return text.rstrip(";").strip()


def query_params(text: str) -> set[str]:
    """Names of the ``$parameters`` a query uses."""
    return set(_PARAM.findall(_COMMENT.sub("", text)))


def list_queries(folder: str) -> list[str]:
    """Names (``folder/stem``) of the ``.cypher`` files in one folder, sorted."""
    root = cypher_root() / folder
    return sorted(f"{folder}/{p.stem}" for p in root.glob("*.cypher"))


def doc_comment(name: str) -> str:
    """Leading ``//`` comment lines of a query file, joined: its documentation."""
    path = cypher_root() / f"{name}.cypher"
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("//"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines)


@cache
def _names_by_text() -> dict[str, str]:
    root = cypher_root()
    names = (str(p.relative_to(root).with_suffix("")) for p in root.rglob("*.cypher"))
    return {load_query(name): name for name in sorted(names)}


def query_name(text: str) -> str | None:
    """The name of the shipped file whose loaded text is ``text`` (``None`` for ad-hoc Cypher)."""
    return _names_by_text().get(text.strip().rstrip(";").strip())
