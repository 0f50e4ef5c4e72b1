-- 0016_flat_scale.sql: one index fewer on users.
--
-- users_id_idx (id alone) served a check across tenants that rosterd no
-- longer makes: user ids are per tenant, and every statement finds a user
-- by its tenant and id, which users_pkey (tenant_id, id) answers. The
-- index was a second copy of every user id in random order: each new
-- user wrote it (at 10,000,000 users, 300 MB of leaf pages a create
-- touches at random), and the planner, finding it smaller than the
-- primary key, joined page rows through it with a filter on the tenant.
--
-- Cost for an operator: DROP INDEX is immediate (it removes the index's
-- files; nothing is rewritten), but it takes an ACCESS EXCLUSIVE lock on
-- users, so it waits for the statements running on users to finish, and
-- the requests behind it wait too: at most as long as the longest
-- statement then running (an export, a large import batch). Run
-- `rosterctl migrate` when none is.

DROP INDEX users_id_idx;
