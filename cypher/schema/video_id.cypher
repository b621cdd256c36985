// Unique Video.id (also serves as the lookup index for MERGE).
CREATE CONSTRAINT video_id IF NOT EXISTS FOR (n:Video) REQUIRE n.id IS UNIQUE
