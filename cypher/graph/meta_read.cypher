// The properties of the graph metadata node (empty when no build ran yet).
MATCH (g:GraphMeta {name: $name})
RETURN properties(g) AS props
