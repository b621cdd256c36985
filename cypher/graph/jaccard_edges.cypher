// Every JACCARD edge as (lower id, higher id, weight).
MATCH (a:User)-[r:JACCARD]->(b:User)
RETURN a.id AS a, b.id AS b, r.weight AS weight
