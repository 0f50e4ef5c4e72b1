-- 0021_import_job_rights.sql: an import job keeps its creator's right
-- over the roles of system administrators.
--
-- Only a SystemAdmin assigns, creates or changes a role flagged
-- is_system_admin, on every route; an import job runs later, in the job
-- runner, which knew its creator's name (created_by) but not their
-- rights. by_system_admin says whether the creator was a SystemAdmin:
-- when not, a row that assigns such a role, or defines one, is a row
-- error. Jobs queued before this migration count as a TenantAdmin's.
--
-- Cost for an operator: ADD COLUMN with a constant default is immediate
-- (no row is rewritten); it takes an ACCESS EXCLUSIVE lock on
-- import_jobs for that moment.

ALTER TABLE import_jobs
	ADD COLUMN by_system_admin boolean NOT NULL DEFAULT false;
