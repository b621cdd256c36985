// USES edges of the users $ids: the modality nodes (id = video id) they reach, with labels.
UNWIND $ids AS uid
MATCH (:User {id: uid})-[:USES]->(m)
RETURN uid AS user_id, m.id AS video_id, labels(m) AS labels
