// What a database holds before the demo writes into it: its node count and the dataset of its last
// ingest (null when nothing was ingested).
CALL () { MATCH (n) RETURN count(n) AS nodes }
OPTIONAL MATCH (m:GraphMeta {name: $name})
RETURN nodes, m.source AS source
