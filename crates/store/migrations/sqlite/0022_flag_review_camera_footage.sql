-- Issue 18 item 3 (PROD-EMERG-1): an emergency order given outside night and closed days with a
-- written reason is flagged to the manager, who records that they reviewed it, when, and a note.
ALTER TABLE emergency_orders ADD COLUMN flag_reviewed_by BIGINT REFERENCES accounts(id);
ALTER TABLE emergency_orders ADD COLUMN flag_reviewed_at BIGINT;
ALTER TABLE emergency_orders ADD COLUMN flag_review_note TEXT;

-- Issue 18 item 4 (NIS-2, NIS-6): where the camera holds the footage and overwrites it by
-- itself, its overwrite cycle is recorded when it is commissioned, and every check of the age
-- of the oldest footage on it is kept, with its verdict against the retention band.
ALTER TABLE cameras ADD COLUMN overwrite_cycle_days BIGINT;
CREATE TABLE camera_footage_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    camera_id BIGINT NOT NULL REFERENCES cameras(id),
    oldest_day TEXT NOT NULL,
    checked_at BIGINT NOT NULL,
    checked_on TEXT NOT NULL,
    age_days BIGINT NOT NULL,
    verdict TEXT NOT NULL,
    method TEXT NOT NULL,
    note TEXT NOT NULL,
    checked_by BIGINT NOT NULL REFERENCES accounts(id)
);
CREATE INDEX camera_footage_checks_camera ON camera_footage_checks (camera_id, id);

-- Issue 18 (KIT-5.1): the kind of a recorder node's site and the conditions confirmed for it
-- when it was registered (a JSON list of the profile's condition ids).
ALTER TABLE recorder_nodes ADD COLUMN site_kind TEXT;
ALTER TABLE recorder_nodes ADD COLUMN site_conditions TEXT NOT NULL DEFAULT '[]';
