-- Written for SQLite; migrations/postgres/ is derived from this file (see src/schema.rs).

-- Privacy masks per camera, versioned (ASA-2.1): who changed them, when and why. The newest
-- version is in force. `public_area` is the public-space polygon the coverage rule measures
-- (KAW-2.1.3); `in_recorder` says the recorder burns the masks in (the camera cannot).
CREATE TABLE camera_masks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id BIGINT NOT NULL REFERENCES cameras(id),
    version BIGINT NOT NULL,
    polygons TEXT NOT NULL,
    public_area TEXT,
    public_share_permille BIGINT,
    in_recorder BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (camera_id, version)
);
