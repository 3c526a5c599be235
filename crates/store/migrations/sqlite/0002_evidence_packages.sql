-- Written for SQLite; migrations/postgres/ is derived from this file (see src/schema.rs).

-- Evidence packages produced by an extraction (evidence issue): one per camera. The file stays
-- on the server for the extractor to download (every download is audited) and is erased after a
-- fixed time (erased_at set), so no copy of footage outlives its purpose on the server.
CREATE TABLE evidence_packages (
    id TEXT PRIMARY KEY,
    extraction_id BIGINT NOT NULL REFERENCES extractions(id),
    camera TEXT NOT NULL,
    path TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    frames BIGINT NOT NULL,
    delivered_from BIGINT NOT NULL,
    delivered_to BIGINT NOT NULL,
    encrypted BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    downloads BIGINT NOT NULL DEFAULT 0,
    erased_at BIGINT
);
CREATE INDEX evidence_packages_extraction ON evidence_packages (extraction_id);
