// Benchmark only: a cosine vector index on Visual.embedding (compared with exact blocked products).
CREATE VECTOR INDEX bench_visual_embedding IF NOT EXISTS
FOR (n:Visual) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine'}}
