// Ids of the videos of one split ($split = '' for every video), sorted. Returns `id`.
MATCH (v:Video)
WHERE $split = '' OR v.split = $split
RETURN v.id AS id
ORDER BY id
