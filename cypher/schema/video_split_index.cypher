// Videos are selected by split in almost every step.
CREATE INDEX video_split IF NOT EXISTS FOR (v:Video) ON (v.split)
