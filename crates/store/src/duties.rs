//! Recurring duties done (issue 18 item 1): one row per occurrence of a profile duty that was
//! fulfilled. What is owed is computed by `policy::duties`; this holds only what was done.

use crate::{At, Db, Result};
use serde::Serialize;

/// One fulfilled occurrence of a duty.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct DutyFulfilment {
    /// Id.
    pub id: i64,
    /// The profile's duty id.
    pub duty: String,
    /// The occurrence (`2026-11`, `FY2026`, a rolling duty's deadline date).
    pub period: String,
    /// What it was about (`office`, `workstation:3`, `camera:C1`, `site:4`).
    pub subject: String,
    /// Who did it.
    pub fulfilled_by: i64,
    /// When.
    pub fulfilled_at: At,
    /// What was done (or the action that did it).
    pub note: String,
}

macro_rules! cols {
    () => {
        "id, duty, period, subject, fulfilled_by, fulfilled_at, note"
    };
}

impl Db {
    /// Records an occurrence as done. An occurrence is done once: a second record changes
    /// nothing and returns `None` (without failing the transaction it runs in).
    pub async fn fulfil_duty(
        &self,
        duty: &str,
        period: &str,
        subject: &str,
        by: i64,
        note: &str,
        now: i64,
    ) -> Result<Option<DutyFulfilment>> {
        Ok(sqlx::query_as(concat!(
            "INSERT INTO duty_fulfilments (duty, period, subject, fulfilled_by, fulfilled_at, note) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (duty, period, subject) DO NOTHING RETURNING ",
            cols!()
        ))
        .bind(duty)
        .bind(period)
        .bind(subject)
        .bind(by)
        .bind(now)
        .bind(note)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Every fulfilment of `duty`, oldest first.
    pub async fn duty_fulfilments(&self, duty: &str) -> Result<Vec<DutyFulfilment>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            cols!(),
            " FROM duty_fulfilments WHERE duty = $1 ORDER BY fulfilled_at, id"
        ))
        .bind(duty)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }
}
