-- Issue 21: recorder nodes on other machines. A node is registered at the centre (name, site,
-- the organisation that keeps it, the address its node API listens on) and enrols once with a
-- one-time token (only its hash is stored); the certificate it enrolled is pinned by its
-- SHA-256. A revoked node is never asked again. `cameras` is what it said it records when last
-- heard from (JSON list), `last_contact_at` when that was.
CREATE TABLE recorder_nodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    address TEXT NOT NULL,
    token_hash TEXT,
    token_expires_at BIGINT,
    cert_sha256 TEXT,
    enrolled_at BIGINT,
    cameras TEXT NOT NULL DEFAULT '[]',
    last_contact_at BIGINT,
    revoked_at BIGINT,
    revoked_by BIGINT REFERENCES accounts(id),
    revoked_reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES accounts(id)
);
-- What the node last said of its storage and clock (JSON: disk free, oldest footage, keys
-- held, clock), read every minute or so by the centre process holding the fleet lease.
ALTER TABLE recorder_nodes ADD COLUMN health TEXT;
ALTER TABLE recorder_nodes ADD COLUMN health_at BIGINT;
-- When the node last took the holds in force (a hold placed later is pending on it).
ALTER TABLE recorder_nodes ADD COLUMN holds_sent_at BIGINT;
-- What the node found when it verified its audit log against its checkpoints witnessed in the
-- centre's log (JSON list; empty: verified), and when (hourly, by the fleet's contact).
ALTER TABLE recorder_nodes ADD COLUMN audit_findings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE recorder_nodes ADD COLUMN audit_checked_at BIGINT;

-- Several central processes on one database (issue 21, item 6): a background job (the duty
-- sweep, package erasure, the fleet's contact) runs in the process holding its lease, so it
-- runs once, not once per process; a lease left by a process that died lapses at `until_at`.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_at BIGINT NOT NULL
);
