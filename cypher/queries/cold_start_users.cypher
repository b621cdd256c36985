// Cold-start users (held out, all videos test) and the popular users linked to them by POPULAR.
// $limit: int = 25 - rows to return
// Returns: user, videos, popular_links, popular_users (up to 5 ids, by weight), max_weight
MATCH (u:User)
WHERE u.cold_start = true
OPTIONAL MATCH (p:User)-[r:POPULAR]->(u)
WITH u, p, r ORDER BY r.weight DESC, p.id
WITH u, collect(p.id) AS linked, max(r.weight) AS max_weight
RETURN u.id AS user, COUNT { (u)-[:POSTED]->(:Video) } AS videos, size(linked) AS popular_links,
       linked[..5] AS popular_users, max_weight
ORDER BY popular_links DESC, user
LIMIT $limit
