// Relationship counts per type, SIMILAR and USES also per modality (read from the count store).
RETURN COUNT { ()-[:POSTED]->() } AS POSTED, COUNT { ()-[:TAGGED]->() } AS TAGGED,
       COUNT { ()-[:HAS_MODALITY]->() } AS HAS_MODALITY,
       COUNT { ()-[:JACCARD]->() } AS JACCARD, COUNT { ()-[:POPULAR]->() } AS POPULAR,
       COUNT { ()-[:USES]->() } AS USES, COUNT { ()-[:SIMILAR]->() } AS SIMILAR,
       COUNT { (:Visual)-[:SIMILAR]->() } AS SIMILAR_Visual,
       COUNT { (:Acoustic)-[:SIMILAR]->() } AS SIMILAR_Acoustic,
       COUNT { (:Textual)-[:SIMILAR]->() } AS SIMILAR_Textual,
       COUNT { ()-[:USES]->(:Visual) } AS USES_Visual,
       COUNT { ()-[:USES]->(:Acoustic) } AS USES_Acoustic,
       COUNT { ()-[:USES]->(:Textual) } AS USES_Textual
