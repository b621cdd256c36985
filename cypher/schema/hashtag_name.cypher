// Unique Hashtag.name (also serves as the lookup index for MERGE).
CREATE CONSTRAINT hashtag_name IF NOT EXISTS FOR (n:Hashtag) REQUIRE n.name IS UNIQUE
