-- The client's network address of an audited call (ASVS V7.1.3); hashed only when present.
ALTER TABLE audit_entries ADD COLUMN client TEXT;
