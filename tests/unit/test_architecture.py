"""The layering of docs/ARCHITECTURE.md, checked on the import statements (parsed with ``ast``).

- product code never imports ``mishon_graph.testing`` (test and benchmark scaffolding);
- only ``mishon_graph.db.runner`` imports ``neo4j`` (the one seam to the database);
- a package imports only from packages on a lower floor of :data:`FLOORS` (no upward imports).

Imports inside functions and under ``TYPE_CHECKING`` count too.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

TESTING = "mishon_graph.testing"
DB_SEAM = "mishon_graph.db.runner"

# Lowest floor first; a package may import its own modules and those of lower floors only.
# The testing package sits above the product (it may import any of it) and is never imported by it.
FLOORS: dict[str, int] = {
    "errors": 0,
    "constants": 0,
    "config": 1,
    "progress": 1,
    "db": 2,
    "evaluation": 3,
    "features": 3,
    "ingest": 4,
    "loaders": 5,
    "graph": 5,
    "learn": 6,
    "recommend": 7,
    "serve": 8,
    "demo": 8,
    "commands": 9,
    "cli": 10,
    "testing": 11,
}


def module_files() -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the installed ``mishon_graph``."""
    roots = {}
    for package in ("mishon_graph", "mishon_graph.loaders"):  # located without being imported
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.submodule_search_locations, package
        roots[package] = Path(next(iter(spec.submodule_search_locations)))
    out: dict[str, Path] = {}
    for prefix, root in roots.items():
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([prefix, *parts])] = path
    return out


def imported_modules(module: str, path: Path) -> set[str]:
    """Dotted names that ``module`` (source at ``path``) imports, relative imports resolved.

    ``from a.b import c`` yields ``a.b`` and ``a.b.c`` (``c`` may be a module or a name in it).
    """
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def is_under(name: str, package: str) -> bool:
    """Whether dotted ``name`` is ``package`` or inside it."""
    return name == package or name.startswith(package + ".")


def floor_of(module: str) -> str:
    """The :data:`FLOORS` key of a ``mishon_graph`` module (its first component below the root)."""
    return module.split(".")[1]


MODULES = module_files()
IMPORTS = {module: imported_modules(module, path) for module, path in MODULES.items()}


def test_every_module_was_found_and_has_a_floor() -> None:
    assert "mishon_graph.db.runner" in MODULES and "mishon_graph.loaders.twitter" in MODULES
    assert TESTING in MODULES
    unknown = {floor_of(m) for m in MODULES if m != "mishon_graph"} - set(FLOORS)
    assert not unknown, f"add these packages to FLOORS (and docs/ARCHITECTURE.md): {sorted(unknown)}"


def test_product_code_never_imports_the_testing_package() -> None:
    offenders = {
        module: sorted(n for n in names if is_under(n, TESTING))
        for module, names in IMPORTS.items()
        if not is_under(module, TESTING)
    }
    assert {m: n for m, n in offenders.items() if n} == {}


def test_only_the_db_runner_imports_neo4j() -> None:
    offenders = {
        module: sorted(n for n in names if is_under(n, "neo4j")) for module, names in IMPORTS.items()
    }
    offenders = {m: n for m, n in offenders.items() if n}
    assert set(offenders) == {DB_SEAM}, f"only {DB_SEAM} may import neo4j: {offenders}"


def test_no_upward_imports() -> None:
    upward = []
    for module, names in IMPORTS.items():
        if module == "mishon_graph":
            continue
        here = floor_of(module)
        for name in names:
            if not is_under(name, "mishon_graph") or name == "mishon_graph":
                continue
            there = floor_of(name)
            if f"mishon_graph.{there}" not in MODULES:  # a name of the root package (__version__)
                continue
            if there != here and FLOORS[there] >= FLOORS[here]:
                upward.append(
                    f"{module} imports {name} ({here} floor {FLOORS[here]} -> {there} {FLOORS[there]})"
                )
    assert upward == []


@pytest.mark.parametrize(
    ("source", "module", "want"),
    [
        ("import neo4j", "mishon_graph.graph.x", {"neo4j"}),
        ("from neo4j import exceptions", "mishon_graph.graph.x", {"neo4j", "neo4j.exceptions"}),
        (
            "def f():\n    from mishon_graph.testing.seed import seed_graph",
            "mishon_graph.graph.x",
            {"mishon_graph.testing.seed", "mishon_graph.testing.seed.seed_graph"},
        ),
        (
            "from ..testing import seed",
            "mishon_graph.graph.x",
            {"mishon_graph.testing", "mishon_graph.testing.seed"},
        ),
        ("from . import stats", "mishon_graph.graph.x", {"mishon_graph.graph", "mishon_graph.graph.stats"}),
    ],
)
def test_imported_modules_sees_every_form(tmp_path: Path, source: str, module: str, want: set[str]) -> None:
    path = tmp_path / "x.py"
    path.write_text(source + "\n", encoding="utf-8")
    assert imported_modules(module, path) == want


def test_the_checks_would_catch_an_offender(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_text("from mishon_graph.testing.reference import jaccard\nimport neo4j\n", encoding="utf-8")
    names = imported_modules("mishon_graph.graph.x", path)
    assert any(is_under(n, TESTING) for n in names) and any(is_under(n, "neo4j") for n in names)
    assert not is_under("mishon_graph.testingx", TESTING) and not is_under("neo4jx", "neo4j")
