// Every SIMILAR edge as (modality label, lower id, higher id, weight).
MATCH (a)-[r:SIMILAR]->(b)
RETURN [l IN labels(a) WHERE l IN $labels][0] AS label, a.id AS a, b.id AS b, r.weight AS weight
