-- The yearly public report (KIT-8) as published (issue 19, item 8): frozen when the manager
-- publishes it, so the public reads exactly what was published, whoever asks and whenever. A
-- correction is a new version beside the old one; the public sees the newest and that it was
-- revised.
CREATE TABLE published_reports (
    fiscal_year BIGINT NOT NULL,
    version BIGINT NOT NULL,
    report TEXT NOT NULL,
    published_by BIGINT NOT NULL REFERENCES accounts(id),
    published_at BIGINT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (fiscal_year, version)
);
