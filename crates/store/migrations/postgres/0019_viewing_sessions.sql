-- Issue 20: a viewing opens a playback session bound to the viewer, the dedicated PC and the
-- record (cameras, range). NULL expires_at: recorded before playback existed; it plays nothing.
ALTER TABLE viewings ADD COLUMN expires_at BIGINT;
ALTER TABLE viewings ADD COLUMN closed_at BIGINT;
-- What the viewing showed, per camera: seconds served by the recorder and seconds the player
-- reported played, e.g. {"cam1": {"served": 120.0, "played": 95.5}}.
ALTER TABLE viewings ADD COLUMN seen TEXT NOT NULL DEFAULT '{}';
-- ASA-3.4a: others present (立会い) only when the manager finds it especially necessary: why, and
-- who judged it when (NULL while waiting; the viewing plays only once judged).
ALTER TABLE viewings ADD COLUMN witness_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE viewings ADD COLUMN witnesses_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE viewings ADD COLUMN witnesses_judged_by BIGINT;
ALTER TABLE viewings ADD COLUMN witnesses_judged_at BIGINT;
