//! Entries to the central room (issue 18, KIT-5.5): who entered, why, on what ground, who
//! recorded it, and when they left.

use crate::{At, Db, Result, changed_one};
use serde::Serialize;

/// One entry to the central room.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct RoomEntry {
    /// Id.
    pub id: i64,
    /// The person who entered.
    pub account_id: i64,
    /// Why.
    pub purpose: String,
    /// `role`, `contract` or `approved` (`policy::placement::RoomEntryGround`).
    pub ground: String,
    /// The approver, for an approved entry.
    pub approved_by: Option<i64>,
    /// Who recorded it.
    pub recorded_by: i64,
    /// Entered (UTC ms).
    pub entered_at: At,
    /// Left (UTC ms), or `None` while inside.
    pub left_at: Option<At>,
}

const COLS: &str = "id, account_id, purpose, ground, approved_by, recorded_by, entered_at, left_at";

impl Db {
    /// Records an entry now.
    pub async fn record_room_entry(
        &self,
        account: i64,
        purpose: &str,
        ground: &str,
        approved_by: Option<i64>,
        by: i64,
        now: i64,
    ) -> Result<RoomEntry> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO room_entries (account_id, purpose, ground, approved_by, recorded_by, entered_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLS}"
        )))
        .bind(account)
        .bind(purpose)
        .bind(ground)
        .bind(approved_by)
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// Records that the person of entry `id` left (once).
    pub async fn leave_room(&self, id: i64, now: i64) -> Result<()> {
        let r =
            sqlx::query("UPDATE room_entries SET left_at = $2 WHERE id = $1 AND left_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(&mut *self.conn().await?)
                .await?;
        changed_one(&r, || format!("room entry {id} is closed already or does not exist"))
    }

    /// Entries, newest first, at most `limit`.
    pub async fn room_entries(&self, limit: i64) -> Result<Vec<RoomEntry>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM room_entries ORDER BY id DESC LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// One entry.
    pub async fn room_entry(&self, id: i64) -> Result<Option<RoomEntry>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM room_entries WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// The entry of `account` still open (not left), if any.
    pub async fn open_room_entry(&self, account: i64) -> Result<Option<RoomEntry>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM room_entries WHERE account_id = $1 AND left_at IS NULL"
        )))
        .bind(account)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }
}
