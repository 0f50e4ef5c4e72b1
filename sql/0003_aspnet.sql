-- 0003_aspnet.sql: what the ASP.NET seeds 000 and 003 need (issue 5).
--
-- * users.pin_code: seed 000's PinCode, write-only like the password: a
--   PHC string (Argon2id), never the PIN itself.
-- * users_id_idx: seeds 000 and 003 create or update "by id"; an id that
--   belongs to another tenant must be refused (404) rather than become a
--   second user with the same id, and that check must not scan.

ALTER TABLE users ADD COLUMN pin_code text;	-- a PHC string, never a PIN
CREATE INDEX users_id_idx ON users (id);
