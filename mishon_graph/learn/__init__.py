"""Learning stage: Neo4j subgraphs to PyG (export), the MISHON model, training and inference."""
