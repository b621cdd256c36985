from pathlib import Path

import pytest

from mishon_graph.config import Config
from mishon_graph.errors import MishonError


def test_defaults_match_the_paper() -> None:
    c = Config(home=Path("/tmp/x"))
    assert (c.theta, c.gamma, c.alpha, c.k, c.min_hashtag_freq, c.min_user_posts) == (0.5, 0.5, 0.1, 5, 50, 4)
    assert (c.depth, c.aggregator, c.num_frames, c.sample_rate, c.text_tokens) == (2, "mean", 12, 16000, 30)


def test_from_env_reads_connection_and_home() -> None:
    env = {"NEO4J_URI": "bolt://h:1", "NEO4J_USER": "u", "NEO4J_PASSWORD": "p", "MISHON_HOME": "/tmp/h"}
    c = Config.from_env(env)
    assert (c.neo4j_uri, c.neo4j_user, c.neo4j_password, c.home) == ("bolt://h:1", "u", "p", Path("/tmp/h"))
    assert "neo4j_password" not in c.describe()


def test_overrides_ignore_none_and_reject_unknown() -> None:
    c = Config(home=Path("/tmp/x")).with_overrides(theta=0.7, gamma=None)
    assert (c.theta, c.gamma) == (0.7, 0.5)
    with pytest.raises(MishonError, match="unknown"):
        c.with_overrides(nope=1)


def test_managed_server_settings_come_from_the_environment() -> None:
    c = Config.from_env(
        {"MISHON_NEO4J_DIST": "/opt/jars", "MISHON_NEO4J_HEAP": "2g", "MISHON_NEO4J_PAGECACHE": "1g"}
    )
    assert (c.neo4j_dist, c.neo4j_heap, c.neo4j_pagecache) == (Path("/opt/jars"), "2g", "1g")
    assert (Config.from_env({}).neo4j_heap, Config.from_env({}).neo4j_pagecache) == ("1g", "512m")


def test_replace_sets_none_and_rejects_unknown() -> None:
    c = Config(home=Path("/tmp/x"))
    assert c.knn_cap is not None and c.replace(knn_cap=None).knn_cap is None
    with pytest.raises(MishonError, match="unknown"):
        c.replace(nope=None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("theta", 1.5, "theta must be in"),
        ("gamma", -0.1, "gamma must be in"),
        ("alpha", 0.0, "alpha must be in"),
        ("knn_cap", 0, "k-NN cap"),
        ("aggregator", "median", "aggregator"),
        ("device", "tpu", "device"),
        ("k", 0, "K must be"),
    ],
)
def test_out_of_range_values_raise_one_line_errors(field: str, value: object, message: str) -> None:
    with pytest.raises(MishonError, match=message):
        Config(home=Path("/tmp/x"), **{field: value})
