-- Issue 18 item 3 (PROD-EMERG-1): an emergency order given outside night and closed days with a
-- written reason is flagged to the manager, who records that they reviewed it, when, and a note.
ALTER TABLE emergency_orders ADD COLUMN flag_reviewed_by BIGINT REFERENCES accounts(id);
ALTER TABLE emergency_orders ADD COLUMN flag_reviewed_at BIGINT;
ALTER TABLE emergency_orders ADD COLUMN flag_review_note TEXT;
