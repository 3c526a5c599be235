-- Written for SQLite; migrations/postgres/ is derived from this file (see src/schema.rs).

-- Complaints and inquiries from the public (KIT-7): received, answered by a deadline the profile
-- sets, escalated when overdue, closed. The body and the contact are personal data: they never
-- leave this table except to the staff who handle complaints (reports count, never quote).
CREATE TABLE complaints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    received_at BIGINT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    camera TEXT,
    body TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    due_at BIGINT NOT NULL,
    escalated_at BIGINT,
    response TEXT,
    responded_by BIGINT,
    responded_at BIGINT,
    closed_by BIGINT,
    closed_at BIGINT,
    recorded_by BIGINT
);

-- Disposal of a recorder or storage medium (ASA-3.3d, KIT-5.7): what, how, and the people who
-- confirmed that nothing can be recovered. Completed when enough distinct people, the roles the
-- profile requires among them, have confirmed.
CREATE TABLE disposals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    device TEXT NOT NULL,
    serials TEXT NOT NULL,
    method TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    keys_checked_at BIGINT,
    recorded_by BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    completed_at BIGINT
);

CREATE TABLE disposal_confirmations (
    disposal_id BIGINT NOT NULL REFERENCES disposals(id),
    account_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    confirmed_at BIGINT NOT NULL,
    PRIMARY KEY (disposal_id, account_id)
);

-- Decommissioning a camera: why, and whether it ended before the profile's minimum operation
-- period (KAW-2.1.3: five years).
ALTER TABLE cameras ADD COLUMN decommission_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cameras ADD COLUMN decommissioned_early BIGINT NOT NULL DEFAULT 0;
