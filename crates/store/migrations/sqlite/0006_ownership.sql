-- Written for SQLite; migrations/postgres/ is derived from this file (see src/schema.rs).

-- Ownership (issue 15): every site, with its cameras, belongs to one organisation (the city
-- section, a community group, a facility); a request and an emergency order concern the cameras
-- of one owner. Rows from before are the first city organisation's (the product then knew one
-- owner).
ALTER TABLE sites ADD COLUMN owner_org_id BIGINT REFERENCES organisations(id);
ALTER TABLE cameras ADD COLUMN owner_org_id BIGINT REFERENCES organisations(id);
ALTER TABLE requests ADD COLUMN owner_org_id BIGINT REFERENCES organisations(id);
ALTER TABLE emergency_orders ADD COLUMN owner_org_id BIGINT REFERENCES organisations(id);
UPDATE sites SET owner_org_id = (SELECT id FROM organisations WHERE kind = 'city' ORDER BY id LIMIT 1);
UPDATE cameras SET owner_org_id = (SELECT s.owner_org_id FROM sites s WHERE s.id = cameras.site_id);
UPDATE requests SET owner_org_id = (SELECT id FROM organisations WHERE kind = 'city' ORDER BY id LIMIT 1);
UPDATE emergency_orders SET owner_org_id = (SELECT id FROM organisations WHERE kind = 'city' ORDER BY id LIMIT 1);
CREATE INDEX cameras_owner ON cameras (owner_org_id);
CREATE INDEX requests_owner ON requests (owner_org_id);
