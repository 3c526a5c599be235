-- Issue 21, item 2: a camera's user and password, sealed to the X25519 key of the recorder node
-- that records it (a NaCl sealed box, base64). The centre stores and forwards the box but
-- cannot open it; `credentials_node` names the node it was sealed to. A camera moved to another
-- node has its credentials entered again.
ALTER TABLE cameras ADD COLUMN stream_credentials TEXT;
ALTER TABLE cameras ADD COLUMN credentials_node TEXT;

-- Issue 21, item 3: the erasures each node made, as the centre received them, in the node's own
-- order (`seq`). The centre asks for those after the last it has, so erasures a node made while
-- the centre was down arrive, in order, once it is back.
CREATE TABLE node_erasures (
    node_id BIGINT NOT NULL REFERENCES recorder_nodes(id),
    seq BIGINT NOT NULL,
    camera TEXT NOT NULL,
    day TEXT NOT NULL,
    segments BIGINT NOT NULL,
    frames BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    erased_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (node_id, seq)
);

-- Issue 18 (SAK-M): a site is at a public facility (the default) or on a street; where the
-- profile names a body that reviews street sites first, a street site carries the day and the
-- minutes of that review.
ALTER TABLE sites ADD COLUMN placement TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN council_review_date TEXT;
ALTER TABLE sites ADD COLUMN council_review_minutes TEXT NOT NULL DEFAULT '';

-- Issue 18 (KIT-5.5): entries to the central room — who, why, when in and out, and on what
-- ground (their role, the maintenance contract, or the manager's approval: who recorded it).
CREATE TABLE room_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    purpose TEXT NOT NULL,
    ground TEXT NOT NULL,
    approved_by BIGINT REFERENCES accounts(id),
    recorded_by BIGINT NOT NULL REFERENCES accounts(id),
    entered_at BIGINT NOT NULL,
    left_at BIGINT
);
