-- Recovery codes for accounts with TOTP (ASVS 4.0 V2.6, V2.8; issue 16): ten one-time lookup
-- secrets of 120 bits, shown once when TOTP is confirmed (or the set is renewed); only their
-- hashes are kept. A code used in place of the authenticator's is spent.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_account ON recovery_codes(account_id, used_at);

-- A new authenticator being enrolled while TOTP is on: the current seed stays in force until the
-- new one is confirmed, so starting (and abandoning) a re-enrolment never switches the second
-- factor off. Sealed like totp_secret.
ALTER TABLE accounts ADD COLUMN totp_pending TEXT;
