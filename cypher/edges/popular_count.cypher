// How many users Algorithm 1 makes popular (same rule as edges/popular_links) and how many users there are.
MATCH (u:User)
WITH count(u) AS users
RETURN users, toInteger(ceil(round($alpha * users, 9))) AS n_popular
