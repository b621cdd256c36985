// Record ingest parameters and progress on the (:GraphMeta {name: $name}) node; $props holds
// strings/numbers only (parameters and counts as JSON strings).
MERGE (m:GraphMeta {name: $name})
SET m += $props
