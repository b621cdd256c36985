// Browser step 3: a user's social neighbourhood: JACCARD-similar users and POPULAR links.
// :param user_id => "<user id>"
// $user_id: string - the user
// Returns: u (User), path (one per neighbour)
MATCH (u:User {id: $user_id})
OPTIONAL MATCH path = (u)-[:JACCARD|POPULAR]-(:User)
RETURN u, path
