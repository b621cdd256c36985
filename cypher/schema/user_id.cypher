// Unique User.id (also serves as the lookup index for MERGE).
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (n:User) REQUIRE n.id IS UNIQUE
