-- One-time enrolment links for dedicated workstations (issue 16, L8): the link carries a code
-- that is redeemed once, before it expires, for the device token; the token itself never
-- appears in a link. Only hashes are stored.
ALTER TABLE workstations ADD COLUMN enrol_code_hash TEXT;
ALTER TABLE workstations ADD COLUMN enrol_code_expires_at BIGINT;
