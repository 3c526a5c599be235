-- DERIVED from migrations/sqlite/ by src/schema.rs — do not edit by hand.

-- The last TOTP time step accepted for an account: a code is used once (issue 16, L2).
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT;
