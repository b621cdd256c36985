// Recommendation runs are replaced and evaluated by run id.
CREATE INDEX recommends_run IF NOT EXISTS FOR ()-[r:RECOMMENDS]-() ON (r.run_id)
