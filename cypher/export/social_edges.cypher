// User-user edges (JACCARD, POPULAR) leaving the users $ids, compact: one row per relationship
// type with parallel lists a (user id), b (user id) and weight (0 when unset), in match order.
UNWIND $ids AS uid
MATCH (:User {id: uid})-[r:JACCARD|POPULAR]->(w:User)
WITH type(r) AS type, collect(uid) AS a, collect(w.id) AS b, collect(coalesce(r.weight, 0.0)) AS weight
RETURN type, a, b, weight
