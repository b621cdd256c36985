// Unique Acoustic.id (also serves as the lookup index for MERGE).
CREATE CONSTRAINT acoustic_id IF NOT EXISTS FOR (n:Acoustic) REQUIRE n.id IS UNIQUE
