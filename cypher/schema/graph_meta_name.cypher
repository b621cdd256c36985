// Unique GraphMeta.name (also serves as the lookup index for MERGE).
CREATE CONSTRAINT graph_meta_name IF NOT EXISTS FOR (n:GraphMeta) REQUIRE n.name IS UNIQUE
