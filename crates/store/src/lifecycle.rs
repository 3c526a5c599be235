//! Complaints from the public (KIT-7), disposal of recorders and media (ASA-3.3d, KIT-5.7), and
//! decommissioning cameras (KAW-2.1.3).

use crate::{At, Db, Result, StoreError, changed_one};
use serde::Serialize;

/// A complaint or inquiry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Complaint {
    /// Id.
    pub id: i64,
    /// `CP-2026-0001`.
    pub number: String,
    /// Received.
    pub received_at: At,
    /// `web`, `phone`, `counter`, `mail`.
    pub channel: String,
    /// `privacy`, `signage`, `placement`, `footage`, `other`.
    pub category: String,
    /// Camera code, when one is named.
    pub camera: Option<String>,
    /// What was said (personal data: never in reports).
    pub body: String,
    /// How to answer (personal data).
    pub contact: String,
    /// Answer due by.
    pub due_at: At,
    /// When it went overdue and was escalated to the manager.
    pub escalated_at: Option<At>,
    /// The answer.
    pub response: Option<String>,
    /// Answered by.
    pub responded_by: Option<i64>,
    /// Answered at.
    pub responded_at: Option<At>,
    /// Closed by.
    pub closed_by: Option<i64>,
    /// Closed at.
    pub closed_at: Option<At>,
    /// Staff who recorded it (none for the public form).
    pub recorded_by: Option<i64>,
}

/// A new complaint.
#[derive(Debug, Clone)]
pub struct NewComplaint<'a> {
    /// Channel.
    pub channel: &'a str,
    /// Category.
    pub category: &'a str,
    /// Camera code.
    pub camera: Option<&'a str>,
    /// Body.
    pub body: &'a str,
    /// Contact.
    pub contact: &'a str,
    /// Due.
    pub due_at: At,
    /// Recorded by.
    pub recorded_by: Option<i64>,
}

/// A disposal record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Disposal {
    /// Id.
    pub id: i64,
    /// `DP-2026-0001`.
    pub number: String,
    /// What is disposed of (recorder node, disk, medium).
    pub device: String,
    /// Serial numbers, JSON list.
    pub serials: String,
    /// `overwrite_verified`, `shred`, `melt`, `degauss`.
    pub method: String,
    /// Note.
    pub note: String,
    /// When the system checked that no key for footage on the device remains.
    pub keys_checked_at: Option<At>,
    /// Recorded by.
    pub recorded_by: i64,
    /// Recorded at.
    pub recorded_at: At,
    /// Completed (enough confirmations).
    pub completed_at: Option<At>,
}

/// One person's confirmation of a disposal.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Confirmation {
    /// Disposal.
    pub disposal_id: i64,
    /// Who.
    pub account_id: i64,
    /// In which role.
    pub role: String,
    /// When.
    pub confirmed_at: At,
}

macro_rules! complaint_cols {
    () => {
        "id, number, received_at, channel, category, camera, body, contact, due_at, escalated_at, response, \
         responded_by, responded_at, closed_by, closed_at, recorded_by"
    };
}

macro_rules! disposal_cols {
    () => {
        "id, number, device, serials, method, note, keys_checked_at, recorded_by, recorded_at, completed_at"
    };
}

impl Db {
    /// Records a complaint with the next number of `year`.
    pub async fn create_complaint(
        &self,
        c: &NewComplaint<'_>,
        year: i16,
        now: i64,
    ) -> Result<Complaint> {
        let n = self.next_number(&format!("complaint-{year}")).await?;
        Ok(sqlx::query_as(concat!(
            "INSERT INTO complaints (number, received_at, channel, category, camera, body, contact, due_at, recorded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
            complaint_cols!()
        ))
        .bind(format!("CP-{year}-{n:04}"))
        .bind(now)
        .bind(c.channel)
        .bind(c.category)
        .bind(c.camera)
        .bind(c.body)
        .bind(c.contact)
        .bind(c.due_at)
        .bind(c.recorded_by)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// All complaints, newest first.
    pub async fn complaints(&self) -> Result<Vec<Complaint>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            complaint_cols!(),
            " FROM complaints ORDER BY id DESC"
        ))
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Marks every open complaint past its deadline as escalated; returns those just escalated.
    pub async fn escalate_overdue(&self, now: i64) -> Result<Vec<Complaint>> {
        Ok(sqlx::query_as(concat!(
            "UPDATE complaints SET escalated_at = $1 WHERE closed_at IS NULL AND responded_at IS NULL \
             AND escalated_at IS NULL AND due_at < $1 RETURNING ",
            complaint_cols!()
        ))
        .bind(now)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Records the answer to an open complaint.
    pub async fn respond_complaint(
        &self,
        id: i64,
        response: &str,
        by: i64,
        now: i64,
    ) -> Result<Complaint> {
        sqlx::query_as(concat!(
            "UPDATE complaints SET response = $2, responded_by = $3, responded_at = $4 \
             WHERE id = $1 AND closed_at IS NULL RETURNING ",
            complaint_cols!()
        ))
        .bind(id)
        .bind(response)
        .bind(by)
        .bind(now)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::changed(format!("complaint {id} is closed or does not exist")))
    }

    /// Closes an answered complaint.
    pub async fn close_complaint(&self, id: i64, by: i64, now: i64) -> Result<Complaint> {
        sqlx::query_as(concat!(
            "UPDATE complaints SET closed_by = $2, closed_at = $3 \
             WHERE id = $1 AND closed_at IS NULL AND responded_at IS NOT NULL RETURNING ",
            complaint_cols!()
        ))
        .bind(id)
        .bind(by)
        .bind(now)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| {
            StoreError::changed(format!(
                "complaint {id} is not answered yet, already closed, or does not exist"
            ))
        })
    }

    /// Records a disposal (not yet confirmed).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_disposal(
        &self,
        device: &str,
        serials: &str,
        method: &str,
        note: &str,
        keys_checked_at: Option<i64>,
        by: i64,
        year: i16,
        now: i64,
    ) -> Result<Disposal> {
        let n = self.next_number(&format!("disposal-{year}")).await?;
        Ok(sqlx::query_as(concat!(
            "INSERT INTO disposals (number, device, serials, method, note, keys_checked_at, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
            disposal_cols!()
        ))
        .bind(format!("DP-{year}-{n:04}"))
        .bind(device)
        .bind(serials)
        .bind(method)
        .bind(note)
        .bind(keys_checked_at)
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// All disposals, newest first.
    pub async fn disposals(&self) -> Result<Vec<Disposal>> {
        Ok(sqlx::query_as(concat!("SELECT ", disposal_cols!(), " FROM disposals ORDER BY id DESC"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// One disposal.
    pub async fn disposal(&self, id: i64) -> Result<Option<Disposal>> {
        Ok(sqlx::query_as(concat!("SELECT ", disposal_cols!(), " FROM disposals WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// The confirmations of a disposal.
    pub async fn confirmations(&self, id: i64) -> Result<Vec<Confirmation>> {
        Ok(sqlx::query_as(
            "SELECT disposal_id, account_id, role, confirmed_at FROM disposal_confirmations \
             WHERE disposal_id = $1 ORDER BY confirmed_at",
        )
        .bind(id)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Adds one person's confirmation (a second one by the same person is a conflict).
    pub async fn confirm_disposal(
        &self,
        id: i64,
        account: i64,
        role: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO disposal_confirmations (disposal_id, account_id, role, confirmed_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(account)
        .bind(role)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::conflict("disposal_confirmed_twice", "you have already confirmed this disposal")
            }
            e => e.into(),
        })?;
        Ok(())
    }

    /// Marks a disposal complete.
    pub async fn complete_disposal(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE disposals SET completed_at = $2 WHERE id = $1 AND completed_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// Records that a camera was commissioned: from now on no still of it may be taken outside
    /// the instruction chain (ALL-REC-2). Where the camera holds the footage, with its overwrite
    /// cycle (NIS-2, NIS-6).
    pub async fn commission_camera(
        &self,
        id: i64,
        now: i64,
        overwrite_cycle_days: Option<i64>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE cameras SET commissioned_at = $2, overwrite_cycle_days = $3 WHERE id = $1 AND commissioned_at IS NULL AND status = 'active'",
        )
        .bind(id)
        .bind(now)
        .bind(overwrite_cycle_days)
        .execute(&mut *self.conn().await?)
        .await?;
        changed_one(&r, || {
            format!("camera {id} is already commissioned, decommissioned, or does not exist")
        })
    }

    /// Decommissions an active camera.
    pub async fn decommission_camera(
        &self,
        id: i64,
        reason: &str,
        early: bool,
        now: i64,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE cameras SET status = 'decommissioned', decommissioned_at = $2, decommission_reason = $3, \
             decommissioned_early = $4 WHERE id = $1 AND status <> 'decommissioned'",
        )
        .bind(id)
        .bind(now)
        .bind(reason)
        .bind(i64::from(early))
        .execute(&mut *self.conn().await?)
        .await?;
        changed_one(&r, || format!("camera {id} is already decommissioned or does not exist"))
    }
}
