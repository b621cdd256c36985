// Writes one batch of Textual SIMILAR edges: $rows of {a, b, weight} with a < b (once per pair).
UNWIND $rows AS row
MATCH (a:Textual {id: row.a})
MATCH (b:Textual {id: row.b})
CREATE (a)-[:SIMILAR {weight: row.weight}]->(b)
