-- Recurring duties (issue 18 item 1): each occurrence of a profile's `[[duties]]` entry that
-- was done — by whom, when, with what note. `period` is `2026-11`, `FY2026`, or for rolling
-- duties the deadline's date; `subject` is `office`, `workstation:3`, `camera:ASA-001`,
-- `site:4`. An occurrence is done once.
CREATE TABLE duty_fulfilments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    duty TEXT NOT NULL,
    period TEXT NOT NULL,
    subject TEXT NOT NULL,
    fulfilled_by BIGINT NOT NULL REFERENCES accounts(id),
    fulfilled_at BIGINT NOT NULL,
    note TEXT NOT NULL,
    UNIQUE (duty, period, subject)
);
CREATE INDEX duty_fulfilments_subject ON duty_fulfilments(duty, subject, fulfilled_at);

-- A lapsed duty is an incident like a reconciliation mismatch; one about a site or camera
-- belongs to the cameras' owner, and only those who govern it see and close it (issue 15).
-- NULL: about the city as a whole or a lent PC.
ALTER TABLE reconciliation_incidents ADD COLUMN owner_org_id BIGINT;
