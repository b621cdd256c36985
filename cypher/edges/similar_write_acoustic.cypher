// Writes one batch of Acoustic SIMILAR edges: $rows of {a, b, weight} with a < b (once per pair).
UNWIND $rows AS row
MATCH (a:Acoustic {id: row.a})
MATCH (b:Acoustic {id: row.b})
CREATE (a)-[:SIMILAR {weight: row.weight}]->(b)
