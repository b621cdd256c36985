// Cold-start users are looked up for popularity links.
CREATE INDEX user_cold_start IF NOT EXISTS FOR (u:User) ON (u.cold_start)
