-- Witness records of other logs' checkpoints are looked up by action and object (issue 17).
CREATE INDEX audit_entries_action ON audit_entries(action, object);
