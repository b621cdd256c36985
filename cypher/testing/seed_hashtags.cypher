// Test/benchmark seeding only: one batch of Hashtag nodes (merged: a second seed may reuse them).
UNWIND $rows AS row
MERGE (:Hashtag {name: row.name})
