-- Earlier password hashes of each account: a new password may not repeat the last few
-- (profile accounts.password_history), so periodic rotation is a change (ASA-3.2c, NIS-3.3.1).
CREATE TABLE password_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    password_hash TEXT NOT NULL,
    replaced_at BIGINT NOT NULL
);
CREATE INDEX password_history_account ON password_history(account_id, id);
