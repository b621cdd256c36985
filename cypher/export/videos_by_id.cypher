// Videos by id ($ids): id, poster (POSTED, else Video.user_id) and split; unknown ids give no row.
UNWIND $ids AS vid
MATCH (v:Video {id: vid})
OPTIONAL MATCH (u:User)-[:POSTED]->(v)
RETURN v.id AS id, coalesce(u.id, v.user_id) AS user_id, v.split AS split
