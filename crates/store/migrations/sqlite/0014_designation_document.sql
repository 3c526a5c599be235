-- The document a designation rests on (issue 18 item 2): where the profile names one for the
-- role — Nishiyodogawa's 捜査機関等事務担当者の届出 (NIS-10.3: the agency head notifies the names
-- and affiliations of the staff; only they act) — its reference, as received. NULL: none needed.
ALTER TABLE designations ADD COLUMN document_ref TEXT;
