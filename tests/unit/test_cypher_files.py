"""Every shipped Cypher file loads, is one statement, and uses only known labels and types."""

import re

import pytest

from mishon_graph import constants
from mishon_graph.db.cypher_files import cypher_root, load_query, query_params

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
