// Every video with what the features step needs: its text, media path and split (a fitted text encoder
// sees training captions only), and per modality whether a node exists, its encoder, whether it has an
// embedding, and why it lacks one.
MATCH (v:Video)
OPTIONAL MATCH (v)-[:HAS_MODALITY]->(vi:Visual)
OPTIONAL MATCH (v)-[:HAS_MODALITY]->(ac:Acoustic)
OPTIONAL MATCH (v)-[:HAS_MODALITY]->(tx:Textual)
RETURN v.id AS id, v.text AS text, v.media_path AS media_path, v.split AS split,
       vi IS NOT NULL AS visual_node, vi.encoder AS visual_encoder,
       vi.embedding IS NOT NULL AS visual_done, vi.missing_reason AS visual_missing,
       ac IS NOT NULL AS acoustic_node, ac.encoder AS acoustic_encoder,
       ac.embedding IS NOT NULL AS acoustic_done, ac.missing_reason AS acoustic_missing,
       tx IS NOT NULL AS textual_node, tx.encoder AS textual_encoder,
       tx.embedding IS NOT NULL AS textual_done, tx.missing_reason AS textual_missing
ORDER BY id
