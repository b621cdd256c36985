// Create or update videos from rows {id, user_id, created_at, text, split, media_path, source}.
// Idempotent: MERGE on the unique id, then overwrite the properties.
UNWIND $rows AS row
MERGE (v:Video {id: row.id})
SET v.user_id = row.user_id, v.created_at = row.created_at, v.text = row.text, v.split = row.split,
    v.media_path = row.media_path, v.source = row.source
