-- Issue 24 item 2 (PROD-MASK-1): a camera that masks at the source is registered with its ONVIF
-- Media2 service; the recorder node it is assigned to sets the masks there and checks them in
-- its pictures. NULL: the camera cannot mask (the recorder burns masks in).
ALTER TABLE cameras ADD COLUMN onvif_url TEXT;
