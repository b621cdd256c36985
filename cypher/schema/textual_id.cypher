// Unique Textual.id (also serves as the lookup index for MERGE).
CREATE CONSTRAINT textual_id IF NOT EXISTS FOR (n:Textual) REQUIRE n.id IS UNIQUE
