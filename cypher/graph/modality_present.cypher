// Which modalities the dataset has: at least one node of the label with an embedding.
RETURN EXISTS { MATCH (n:Visual) WHERE n.embedding IS NOT NULL } AS visual,
       EXISTS { MATCH (n:Acoustic) WHERE n.embedding IS NOT NULL } AS acoustic,
       EXISTS { MATCH (n:Textual) WHERE n.embedding IS NOT NULL } AS textual
