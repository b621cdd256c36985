// Every POPULAR edge as (popular user id, target user id, weight).
MATCH (a:User)-[r:POPULAR]->(b:User)
RETURN a.id AS a, b.id AS b, r.weight AS weight
