// Records the parameters of a graph build on the one (:GraphMeta {name: $name}) node.
// $props holds only the families rebuilt (e.g. theta/knn_cap for similar), plus built_at.
MERGE (g:GraphMeta {name: $name})
SET g += $props
RETURN g.name AS name
