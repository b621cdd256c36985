// Every USES edge as (user id, modality label, video id, weight).
MATCH (u:User)-[r:USES]->(m)
RETURN u.id AS user, [l IN labels(m) WHERE l IN $labels][0] AS label, m.id AS video, r.weight AS weight
