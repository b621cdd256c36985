// User-user edges (JACCARD, POPULAR) leaving the users $ids, with their type and weight.
UNWIND $ids AS uid
MATCH (:User {id: uid})-[r:JACCARD|POPULAR]->(w:User)
RETURN uid AS a, w.id AS b, type(r) AS type, r.weight AS weight
