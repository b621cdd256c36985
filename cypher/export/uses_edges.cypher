// USES edges of the users $ids, compact: one row per modality (its labels) with parallel lists
// user_id and video_id (the modality node's id = its video's id), in match order.
UNWIND $ids AS uid
MATCH (:User {id: uid})-[:USES]->(m)
WITH labels(m) AS labels, collect(uid) AS user_id, collect(m.id) AS video_id
RETURN labels, user_id, video_id
