// Benchmark only: drops the vector index made by testing/bench_vector_index_create.
DROP INDEX bench_visual_embedding IF EXISTS
