-- 0014_import_jobs.sql: /v1 import jobs.
--
-- POST /v1/tenants/{tenantId}/imports stores the uploaded file
-- (import_job_files) and a queued job (import_jobs).  rosterd's job
-- runner (src/jobs.c) claims a job with SELECT ... FOR UPDATE SKIP
-- LOCKED and a session-level advisory lock on the job held by the
-- session that imports it, so a runner that dies (its session ends)
-- leaves the job to be taken over; it imports the file with rosterctl
-- import's engine, whose checkpoint (import_runs, the job's id as the
-- run's id) makes the resumed job skip exactly the committed batches.
-- Progress and counts go to the job's row after each batch; each row
-- error to import_job_errors (at most once: its key).  The file is
-- dropped when the job ends.

CREATE TABLE import_jobs (
	tenant_id	uuid		NOT NULL REFERENCES tenants ON DELETE CASCADE,
	id		uuid		NOT NULL,
	state		text		NOT NULL DEFAULT 'queued'
	    CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
	    'cancelled')),
	format		text		NOT NULL CHECK (format IN ('csv', 'jsonl',
					'xlsx', 'keycloak', 'auth0')),
	mode		text		NOT NULL CHECK (mode IN ('create', 'upsert')),
	match		text		CHECK (match IN ('id', 'username', 'email')),
	dry_run		boolean		NOT NULL DEFAULT false,
	atomic		boolean		NOT NULL DEFAULT false,
	batch		integer		NOT NULL CHECK (batch BETWEEN 1 AND 200000),
	file_name	text		CHECK (length(file_name) <= 255),
	file_size	bigint		NOT NULL CHECK (file_size >= 0),
	created_by	text		NOT NULL,
	request_id	text,
	rows_done	bigint		NOT NULL DEFAULT 0,
	bytes_done	bigint		NOT NULL DEFAULT 0,
	users_created	bigint		NOT NULL DEFAULT 0,
	users_updated	bigint		NOT NULL DEFAULT 0,
	groups_created	bigint		NOT NULL DEFAULT 0,
	groups_updated	bigint		NOT NULL DEFAULT 0,
	roles_created	bigint		NOT NULL DEFAULT 0,
	roles_updated	bigint		NOT NULL DEFAULT 0,
	memberships_added bigint	NOT NULL DEFAULT 0,
	role_assignments_added bigint	NOT NULL DEFAULT 0,
	errors		bigint		NOT NULL DEFAULT 0,
	attempts	integer		NOT NULL DEFAULT 0,
	message		text,
	created_at	timestamptz	NOT NULL DEFAULT now(),
	started_at	timestamptz,
	updated_at	timestamptz	NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	PRIMARY KEY (tenant_id, id)
);
-- the runner's queue: the jobs not finished, oldest first
CREATE INDEX import_jobs_pending_idx ON import_jobs (created_at, id)
	WHERE state IN ('queued', 'running');
-- a tenant's list, newest first
CREATE INDEX import_jobs_list_idx ON import_jobs (tenant_id, created_at, id);

CREATE TABLE import_job_files (
	tenant_id	uuid		NOT NULL,
	job_id		uuid		NOT NULL,
	file		bytea		NOT NULL,
	PRIMARY KEY (tenant_id, job_id),
	FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs
	    ON DELETE CASCADE
);
-- uncompressed out of line: the runner reads the file in slices
-- (substring() then fetches only the slice's chunks)
ALTER TABLE import_job_files ALTER COLUMN file SET STORAGE EXTERNAL;

CREATE TABLE import_job_errors (
	tenant_id	uuid		NOT NULL,
	job_id		uuid		NOT NULL,
	line		bigint		NOT NULL,
	col		integer		NOT NULL DEFAULT 0,
	field		text,
	message		text		NOT NULL,
	FOREIGN KEY (tenant_id, job_id) REFERENCES import_jobs
	    ON DELETE CASCADE
);
-- a batch's errors are written before it commits: a batch retried or
-- resumed after a kill writes them again, and the key keeps one of each
CREATE UNIQUE INDEX import_job_errors_key ON import_job_errors
	(tenant_id, job_id, line, col, coalesce(field, ''), md5(message));

-- A job as /v1 shows it (docs/import.md, "Over HTTP").
CREATE FUNCTION rosterd_import_job_json(j import_jobs) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT json_build_object(
	    'id', j.id, 'tenantId', j.tenant_id, 'state', j.state,
	    'format', j.format, 'mode', j.mode, 'match', j.match,
	    'dryRun', j.dry_run, 'atomic', j.atomic, 'batch', j.batch,
	    'fileName', j.file_name, 'fileSize', j.file_size,
	    'progress', json_build_object('rows', j.rows_done,
		'bytes', j.bytes_done,
		'percent', CASE WHEN j.state = 'succeeded' OR j.file_size = 0
		    THEN 100.0 ELSE round(100.0 * least(j.bytes_done,
		    j.file_size) / j.file_size, 1) END),
	    'counts', json_build_object(
		'usersCreated', j.users_created,
		'usersUpdated', j.users_updated,
		'groupsCreated', j.groups_created,
		'groupsUpdated', j.groups_updated,
		'rolesCreated', j.roles_created,
		'rolesUpdated', j.roles_updated,
		'membershipsAdded', j.memberships_added,
		'roleAssignmentsAdded', j.role_assignments_added,
		'errors', j.errors),
	    'message', j.message, 'attempts', j.attempts,
	    'createdBy', j.created_by,
	    'created', rosterd_ts(j.created_at),
	    'started', rosterd_ts(j.started_at),
	    'finished', rosterd_ts(j.finished_at),
	    'updated', rosterd_ts(j.updated_at))
$$;
