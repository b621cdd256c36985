// Link each video to its hashtags, rows {id, hashtags: [name]}; run after videos and hashtags exist.
UNWIND $rows AS row
MATCH (v:Video {id: row.id})
UNWIND row.hashtags AS name
MATCH (h:Hashtag {name: name})
MERGE (v)-[:TAGGED]->(h)
