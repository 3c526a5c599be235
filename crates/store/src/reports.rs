//! The yearly public report as published (KIT-8; issue 19, item 8): the report a city published
//! for a fiscal year, frozen as JSON, each correction a new version. What the report says is
//! computed by the `report` crate from facts the server gathers; this keeps what was published.

use crate::{At, Db, Result};
use serde::Serialize;

/// One published version of a fiscal year's report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct PublishedReport {
    /// The fiscal year (April–March) it reports on, by the year it starts in.
    pub fiscal_year: i64,
    /// 1 for the first publication, 2… for corrections.
    pub version: i64,
    /// The report as published (the `report` crate's JSON).
    pub report: String,
    /// Who published it.
    pub published_by: i64,
    /// When.
    pub published_at: At,
    /// What the publisher said (where it was also published, what a correction corrects).
    pub note: String,
}

macro_rules! cols {
    () => {
        "fiscal_year, version, report, published_by, published_at, note"
    };
}

impl Db {
    /// Publishes `report` for `fiscal_year` as its next version (1 when it is the first).
    pub async fn publish_report(
        &self,
        fiscal_year: i16,
        report: &str,
        by: i64,
        note: &str,
        now: i64,
    ) -> Result<PublishedReport> {
        Ok(sqlx::query_as(concat!(
            "INSERT INTO published_reports (fiscal_year, version, report, published_by, published_at, note) \
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5 FROM published_reports WHERE fiscal_year = $1 \
             RETURNING ",
            cols!()
        ))
        .bind(i64::from(fiscal_year))
        .bind(report)
        .bind(by)
        .bind(now)
        .bind(note)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// The newest version of each fiscal year's published report, newest year first.
    pub async fn published_reports(&self) -> Result<Vec<PublishedReport>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            cols!(),
            " FROM published_reports p WHERE version = \
             (SELECT MAX(version) FROM published_reports q WHERE q.fiscal_year = p.fiscal_year) \
             ORDER BY fiscal_year DESC"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// The newest published version of `fiscal_year`'s report.
    pub async fn published_report(&self, fiscal_year: i16) -> Result<Option<PublishedReport>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            cols!(),
            " FROM published_reports WHERE fiscal_year = $1 ORDER BY version DESC LIMIT 1"
        ))
        .bind(i64::from(fiscal_year))
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }
}
