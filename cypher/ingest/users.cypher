// Create or update users from rows {id, followers, likes, created_at, cold_start, source}.
// Idempotent: MERGE on the unique id, then overwrite the properties.
UNWIND $rows AS row
MERGE (u:User {id: row.id})
SET u.followers = row.followers, u.likes = row.likes, u.created_at = row.created_at,
    u.cold_start = row.cold_start, u.source = row.source
