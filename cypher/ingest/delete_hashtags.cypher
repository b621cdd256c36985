// Delete hashtags outside the new vocabulary and their relationships, rows {id}.
UNWIND $rows AS row
MATCH (h:Hashtag {name: row.id})
DETACH DELETE h
