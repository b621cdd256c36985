// Create or update hashtags from rows {name, train_count} (train_count: uses in training videos).
UNWIND $rows AS row
MERGE (h:Hashtag {name: row.name})
SET h.train_count = row.train_count
