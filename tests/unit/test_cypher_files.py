"""Every shipped Cypher file loads, is one statement, and uses only known labels and types."""

import re
from pathlib import Path

import pytest

from mishon_graph import constants
from mishon_graph.db.cypher_files import cypher_root, load_query, query_params
from mishon_graph.features import extract
from mishon_graph.graph import similar
from mishon_graph.ingest import pipeline

ALL = sorted(str(p.relative_to(cypher_root()).with_suffix("")) for p in cypher_root().rglob("*.cypher"))
LABELS = {v for k, v in vars(constants).items() if k.isupper() and isinstance(v, str)}


def test_there_are_cypher_files() -> None:
    assert any(name.startswith("schema/") for name in ALL)


@pytest.mark.parametrize("name", ALL)
def test_file_is_one_parameterised_statement(name: str) -> None:
    text = load_query(name)
    assert text, name
    assert ";" not in text.replace("';'", ""), f"{name} holds more than one statement"
    for label in re.findall(r"\(\w*:(\w+)", text):
        assert label in LABELS, f"{name}: label {label} is not in constants.py"
    for rel in re.findall(r"\[\w*:(\w+)", text):
        assert rel in LABELS, f"{name}: relationship type {rel} is not in constants.py"


def test_query_params_finds_dollar_names() -> None:
    assert query_params("MATCH (v:Video {id: $id}) // $not_this\nRETURN $k") == {"id", "k"}


# Per-label Cypher families (one file per modality label: a dynamic label `$($label)` plans as
# AllNodesScan + Filter on Neo4j 5.26 instead of the id index; see constants.one_per_modality).
BY_NAME = constants.MODALITIES.items()
PER_LABEL = {
    "features/set": extract.SET_QUERIES,
    "features/missing": extract.MISSING_QUERIES,
    "ingest/nodes": pipeline.NODE_QUERIES,
    "ingest/links": pipeline.LINK_QUERIES,
    "edges/similar_embeddings": {m: similar.EMBEDDINGS_QUERIES[label] for m, label in BY_NAME},
    "edges/similar_write": {m: similar.WRITE_QUERIES[label] for m, label in BY_NAME},
}
# Folders whose files are found by listing the folder (schema, named queries, Browser guides), and
# the test scaffolding's seed files.
LISTED = ("schema/", "queries/", "browser/", "testing/")


@pytest.mark.parametrize("family", sorted(PER_LABEL))
def test_per_label_files_differ_only_by_label(family: str) -> None:
    files = PER_LABEL[family]
    assert set(files) == set(constants.MODALITY_NAMES), family
    texts = {}
    for name, path in files.items():
        label = constants.MODALITIES[name]
        raw = (cypher_root() / f"{path}.cypher").read_text(encoding="utf-8")
        texts[path] = raw.replace(label, "<Label>").replace(name, "<name>")
    assert len(set(texts.values())) == 1, f"{family}: {sorted(texts)} differ by more than the label"


def test_one_per_modality_checks_the_keys() -> None:
    assert constants.one_per_modality({m: m for m in constants.MODALITY_NAMES}) == {
        m: m for m in constants.MODALITY_NAMES
    }
    with pytest.raises(ValueError, match="one entry per modality"):
        constants.one_per_modality({"visual": "features/visual_set"})
    with pytest.raises(ValueError, match="one entry per modality"):
        constants.one_per_modality({m: m for m in constants.MODALITY_NAMES}, constants.MODALITIES.values())


@pytest.mark.parametrize("name", [n for n in ALL if not n.startswith(LISTED)])
def test_file_is_named_literally_by_its_caller(name: str) -> None:
    """A grep for a file's name finds the code that runs it (no f-string file names)."""
    root = Path(__file__).resolve().parents[2]
    sources = [*(root / "mishon_graph").rglob("*.py"), *(root / "benchmarks").rglob("*.py")]
    assert any(f'"{name}"' in p.read_text(encoding="utf-8") for p in sources), f"no code names {name!r}"
