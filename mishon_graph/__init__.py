"""mishon-graph: MISHON hashtag recommendation for micro-videos on a Neo4j graph."""

__version__ = "0.1.0"
