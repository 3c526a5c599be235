-- The recorder node's index. Instants are UTC milliseconds. See docs/storage.md.

-- Per-(camera, JST day) data keys, wrapped by the node key. Deleting a row is the crypto-erasure.
CREATE TABLE day_keys (
    key_id TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    day TEXT NOT NULL,
    -- For keys created to keep held segments past their day: the hold's id.
    hold_id INTEGER,
    wrapped BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX day_keys_camera_day ON day_keys(camera, day) WHERE hold_id IS NULL;

-- Sealed segments (invariant S1: a row exists only after its file, with trailer, is fsynced).
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    key_id TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    start_pts INTEGER NOT NULL,
    end_pts INTEGER NOT NULL,
    frames INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    root BLOB NOT NULL,
    prev_link BLOB NOT NULL,
    link BLOB NOT NULL,
    recovered INTEGER NOT NULL DEFAULT 0,
    -- Compact frame index: see recorder::index.
    frame_index BLOB NOT NULL,
    UNIQUE (camera, seq)
);
CREATE INDEX segments_camera_time ON segments(camera, start_ms);

-- Gaps: no footage between start and end, with the cause (ALL-REC-1).
CREATE TABLE gaps (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER,
    cause TEXT NOT NULL
);
CREATE INDEX gaps_camera ON gaps(camera, start_ms);

-- Signed checkpoints of each camera's chain head.
CREATE TABLE chain_checkpoints (
    camera TEXT NOT NULL,
    seq INTEGER NOT NULL,
    link BLOB NOT NULL,
    at_ms INTEGER NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (camera, seq)
);

-- Erasures performed (also written to the node's audit log).
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    day TEXT NOT NULL,
    key_id TEXT NOT NULL,
    segments INTEGER NOT NULL,
    frames INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    erased_at INTEGER NOT NULL
);

-- Holds as last received (from the governance server or configuration), so erasure keeps its
-- schedule when the central server is unreachable (KIT-5.7).
CREATE TABLE holds (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    range_from INTEGER NOT NULL,
    range_to INTEGER NOT NULL,
    until_at INTEGER NOT NULL
);
