-- Privacy-mask versions in effect (ASA-2.1): a row when a version starts being burned in, from the
-- keyframe that opens segment `first_seq` (the recorder cuts a segment where masks change, so a
-- segment is masked one way throughout). Version 0: no masks in the recorder.
CREATE TABLE mask_changes (
    id INTEGER PRIMARY KEY,
    camera TEXT NOT NULL,
    version INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    effective_ms INTEGER NOT NULL,
    polygons INTEGER NOT NULL
);
CREATE INDEX mask_changes_camera ON mask_changes(camera, first_seq);
