// Delete stale users and their relationships, rows {id}.
UNWIND $rows AS row
MATCH (u:User {id: row.id})
DETACH DELETE u
