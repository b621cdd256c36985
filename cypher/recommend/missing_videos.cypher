// Which of $ids name no Video node. Returns `missing` (list of ids, input order).
UNWIND $ids AS id
OPTIONAL MATCH (v:Video {id: id})
WITH id, v
WHERE v IS NULL
RETURN collect(id) AS missing
