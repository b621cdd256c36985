"""Graph stage: the MISHON edge families (paper 4.2.1) computed in Neo4j, and graph statistics."""
