// Writes one batch of Visual SIMILAR edges: $rows of {a, b, weight} with a < b (once per pair).
UNWIND $rows AS row
MATCH (a:Visual {id: row.a})
MATCH (b:Visual {id: row.b})
CREATE (a)-[:SIMILAR {weight: row.weight}]->(b)
