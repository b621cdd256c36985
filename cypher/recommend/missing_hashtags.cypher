// Which of $names name no Hashtag node. Returns `missing` (list of names).
UNWIND $names AS name
OPTIONAL MATCH (h:Hashtag {name: name})
WITH name, h
WHERE h IS NULL
RETURN collect(name) AS missing
