-- 0013_import.sql: rosterctl import's checkpoints.
--
-- One row per import of a file into a tenant.  Each batch of rows
-- commits its users, groups, memberships and role assignments together
-- with this row's progress (rows_done: the records of the file read by
-- committed batches), so that a rerun of the same import (same file
-- content, mode and match key) after a crash or Ctrl-C skips exactly the
-- committed records and goes on.  At most one run of a file per tenant
-- and mode is running at a time.

CREATE TABLE import_runs (
	tenant_id	uuid		NOT NULL REFERENCES tenants ON DELETE CASCADE,
	id		uuid		NOT NULL,
	file_name	text		NOT NULL CHECK (length(file_name) <= 1024),
	file_sha256	bytea		NOT NULL CHECK (length(file_sha256) = 32),
	file_size	bigint		NOT NULL CHECK (file_size >= 0),
	format		text		NOT NULL CHECK (format IN ('csv', 'jsonl', 'xlsx',
					'keycloak', 'auth0')),
	mode		text		NOT NULL CHECK (mode IN ('create', 'upsert')),
	match		text		CHECK (match IN ('id', 'username', 'email')),
	state		text		NOT NULL DEFAULT 'running'
	    CHECK (state IN ('running', 'done', 'abandoned')),
	rows_done	bigint		NOT NULL DEFAULT 0,
	last_line	bigint		NOT NULL DEFAULT 0,
	byte_offset	bigint		NOT NULL DEFAULT 0,
	users_created	bigint		NOT NULL DEFAULT 0,
	users_updated	bigint		NOT NULL DEFAULT 0,
	groups_created	bigint		NOT NULL DEFAULT 0,
	groups_updated	bigint		NOT NULL DEFAULT 0,
	roles_created	bigint		NOT NULL DEFAULT 0,
	roles_updated	bigint		NOT NULL DEFAULT 0,
	memberships_added bigint	NOT NULL DEFAULT 0,
	role_assignments_added bigint	NOT NULL DEFAULT 0,
	errors		bigint		NOT NULL DEFAULT 0,
	started_at	timestamptz	NOT NULL DEFAULT now(),
	updated_at	timestamptz	NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX import_runs_running_key ON import_runs
	(tenant_id, file_sha256, file_size, mode, coalesce(match, ''))
	WHERE state = 'running';
CREATE INDEX import_runs_file_idx ON import_runs
	(tenant_id, file_sha256, started_at);
