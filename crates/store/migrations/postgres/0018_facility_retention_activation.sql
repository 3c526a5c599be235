-- Issue 15, items 3 and 5.
-- SAK-9: each facility sets its own retention period, within the profile's bounds. A camera's
-- own setting (made at registration) wins over its owner's, the owner's over the profile's
-- default. NULL: the profile's default.
ALTER TABLE organisations ADD COLUMN retention_days BIGINT;
ALTER TABLE organisations ADD COLUMN retention_months BIGINT;
-- A management viewing concerns one owner's cameras (PROD-OWN-2) and is listed to that owner.
ALTER TABLE viewings ADD COLUMN owner_org_id BIGINT;
UPDATE viewings SET owner_org_id = (SELECT c.owner_org_id FROM cameras c
    WHERE viewings.cameras LIKE '%"' || c.code || '"%' ORDER BY c.id LIMIT 1);
-- PROD-SOD-6: an account of an outside organisation (police, agency, contractor) made by the
-- city's administrator waits until a second administrator activates it.
ALTER TABLE accounts ADD COLUMN pending_activation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN activated_by BIGINT;
ALTER TABLE accounts ADD COLUMN activated_at BIGINT;
