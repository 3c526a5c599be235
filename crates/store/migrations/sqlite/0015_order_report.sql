-- NIS-11.2: after entering an emergency extraction in form 1 the image clerk reports it to the
-- 運用責任者; the order stays open (state 'ledgered') until then. Who reported, and when.
ALTER TABLE emergency_orders ADD COLUMN reported_by BIGINT;
ALTER TABLE emergency_orders ADD COLUMN reported_at BIGINT;
