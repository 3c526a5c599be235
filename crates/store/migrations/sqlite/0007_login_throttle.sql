-- Written for SQLite; migrations/postgres/ is derived from this file (see src/schema.rs).

-- The last TOTP time step accepted for an account: a code is used once (issue 16, L2).
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT;
