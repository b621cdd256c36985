// Unique Visual.id (also serves as the lookup index for MERGE).
CREATE CONSTRAINT visual_id IF NOT EXISTS FOR (n:Visual) REQUIRE n.id IS UNIQUE
