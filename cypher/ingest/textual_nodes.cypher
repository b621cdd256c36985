// Create Textual modality nodes, rows {id (= the video id), props}; props holds embedding, encoder,
// dim and units for precomputed features and is empty otherwise (the features step fills them),
// so a re-ingest never erases an embedding computed later.
UNWIND $rows AS row
MERGE (n:Textual {id: row.id})
SET n += row.props
