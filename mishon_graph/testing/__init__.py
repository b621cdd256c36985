"""Test and benchmark scaffolding (like ``torch_geometric.testing``); product code never imports it.

- :mod:`~mishon_graph.testing.reference`: independent pure-Python computations of every edge family;
- :mod:`~mishon_graph.testing.sparse_jaccard`: the same Jaccard rule with ``scipy.sparse`` (fast);
- :mod:`~mishon_graph.testing.seed`: a small in-memory graph and the writer that seeds it into Neo4j;
- :mod:`~mishon_graph.testing.graphs`: topic-structured random graphs of a chosen shape to seed;
- :mod:`~mishon_graph.testing.stored`: the built edge families read back from Neo4j as dicts;
- :mod:`~mishon_graph.testing.learn_rows`: exported-graph rows and features with a learnable signal
  (``synthetic_rows`` over the one synthetic generator; ``legacy_rows`` keeps the earlier topic model
  only for the tests whose expected numbers were recorded on it);
- :mod:`~mishon_graph.testing.neo4j`: a throwaway Neo4j server for tests and benchmarks;
- :mod:`~mishon_graph.testing.runner`: ``CollectingRunner``, a recording fake of the query runner.

Its Cypher files live in ``cypher/testing/``. ``tests/unit/test_architecture.py`` fails if a product
module imports this package.
"""
