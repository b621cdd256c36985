// Test/benchmark seeding only: one batch of TAGGED edges {video, tag}.
UNWIND $rows AS row
MATCH (v:Video {id: row.video})
MATCH (h:Hashtag {name: row.tag})
CREATE (v)-[:TAGGED]->(h)
