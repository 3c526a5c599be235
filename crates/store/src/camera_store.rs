//! Checks of the footage a camera holds itself (issue 18 item 4, NIS-2, NIS-6): the day of the
//! oldest footage found on the camera, its age on the day of the check, and the verdict against
//! the retention band (`policy::camera_store`).

use crate::{At, Db, Result};
use serde::Serialize;

/// One check of the oldest footage on a camera.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct FootageCheck {
    /// Id.
    pub id: i64,
    /// The camera.
    pub camera_id: i64,
    /// The recording day of the oldest footage found (`YYYY-MM-DD`, JST).
    pub oldest_day: String,
    /// When the check was recorded (UTC ms).
    pub checked_at: At,
    /// The day of the check (`YYYY-MM-DD`, JST).
    pub checked_on: String,
    /// Whole days from the oldest day to the day of the check.
    pub age_days: i64,
    /// `within`, `too_young` or `too_old` (`policy::camera_store::AgeVerdict`).
    pub verdict: String,
    /// How the oldest footage was found: `manual` (the retrieval software on the dedicated PC).
    pub method: String,
    /// What was looked at.
    pub note: String,
    /// Who recorded it.
    pub checked_by: i64,
}

/// A check to record.
#[derive(Debug, Clone)]
pub struct NewFootageCheck<'a> {
    /// The camera.
    pub camera_id: i64,
    /// The oldest footage's day.
    pub oldest_day: &'a str,
    /// Now.
    pub checked_at: At,
    /// Today (JST).
    pub checked_on: &'a str,
    /// Its age in days.
    pub age_days: i64,
    /// The verdict.
    pub verdict: &'a str,
    /// How it was found.
    pub method: &'a str,
    /// What was looked at.
    pub note: &'a str,
    /// Who.
    pub checked_by: i64,
}

const COLS: &str = "id, camera_id, oldest_day, checked_at, checked_on, age_days, verdict, method, note, checked_by";

impl Db {
    /// Records a check.
    pub async fn record_footage_check(&self, c: &NewFootageCheck<'_>) -> Result<FootageCheck> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO camera_footage_checks (camera_id, oldest_day, checked_at, checked_on, age_days, verdict, method, note, checked_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLS}"
        )))
        .bind(c.camera_id)
        .bind(c.oldest_day)
        .bind(c.checked_at)
        .bind(c.checked_on)
        .bind(c.age_days)
        .bind(c.verdict)
        .bind(c.method)
        .bind(c.note)
        .bind(c.checked_by)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// A camera's checks, newest first, at most `limit`.
    pub async fn footage_checks(&self, camera_id: i64, limit: i64) -> Result<Vec<FootageCheck>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM camera_footage_checks WHERE camera_id = $1 ORDER BY id DESC LIMIT $2"
        )))
        .bind(camera_id)
        .bind(limit)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// The newest check of every camera that has one.
    pub async fn latest_footage_checks(&self) -> Result<Vec<FootageCheck>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM camera_footage_checks c WHERE id = \
             (SELECT MAX(id) FROM camera_footage_checks d WHERE d.camera_id = c.camera_id) ORDER BY camera_id"
        )))
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }
}
