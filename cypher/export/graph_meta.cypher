// Properties of the metadata node (:GraphMeta {name: $name}) (graph build parameters).
MATCH (g:GraphMeta {name: $name})
RETURN properties(g) AS props
