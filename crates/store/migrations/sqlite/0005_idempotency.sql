-- Written for SQLite; migrations/postgres/ is derived from this file (see src/schema.rs).

-- Idempotency keys (issue 26): a state-changing call that carries an `Idempotency-Key` header
-- (the web app's one-time form token, an API client's retry key) is claimed here before it runs.
-- A retry with the same key gets the stored answer instead of making the change again; the same
-- key with another request is refused. `status` is NULL while the call runs. Kept one day.
CREATE TABLE idempotency_keys (
    account_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT,
    body BLOB,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
