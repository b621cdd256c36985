// Degree summaries over all users for the user edge families (JACCARD and POPULAR read as
// undirected; USES counted out of the user).
MATCH (u:User)
WITH COUNT { (u)-[:JACCARD]-() } AS jaccard,
     COUNT { (u)-[:POPULAR]-() } AS popular,
     COUNT { (u)-[:USES]->() } AS uses
RETURN count(*) AS users,
       min(jaccard) AS jaccard_min, avg(jaccard) AS jaccard_mean, max(jaccard) AS jaccard_max,
       min(popular) AS popular_min, avg(popular) AS popular_mean, max(popular) AS popular_max,
       min(uses) AS uses_min, avg(uses) AS uses_mean, max(uses) AS uses_max,
       sum(CASE WHEN jaccard + popular + uses = 0 THEN 1 ELSE 0 END) AS isolated
