//! Retention holds and management viewings.

use crate::{Db, Result, changed_one};
use serde::Serialize;

/// A stored hold (KIT-5.6, KAW-2.2.6イ).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct StoredHold {
    /// Id.
    pub id: i64,
    /// Camera code.
    pub camera: String,
    /// From.
    pub range_from: i64,
    /// To.
    pub range_to: i64,
    /// Kept until.
    pub until_at: i64,
    /// Placed by.
    pub placed_by: i64,
    /// In which role.
    pub placed_role: String,
    /// Reason.
    pub reason: String,
    /// Legal-procedure inquiry reference.
    pub inquiry_reference: Option<String>,
    /// Placed at.
    pub placed_at: i64,
    /// Released by.
    pub released_by: Option<i64>,
    /// Released at.
    pub released_at: Option<i64>,
}

/// A management viewing (ASA-3.4a).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Viewing {
    /// Id.
    pub id: i64,
    /// Viewer.
    pub viewer_id: i64,
    /// Role.
    pub role: String,
    /// Workstation.
    pub workstation_id: i64,
    /// Cameras JSON.
    pub cameras: String,
    /// From.
    pub range_from: i64,
    /// To.
    pub range_to: i64,
    /// Purpose.
    pub purpose: String,
    /// Witnesses JSON list (立会い).
    pub witnesses: String,
    /// When.
    pub viewed_at: i64,
    /// The organisation owning the cameras viewed (PROD-OWN-2).
    pub owner_org_id: Option<i64>,
    /// When its playback session ends (issue 20); `None` for a record made before playback.
    pub expires_at: Option<i64>,
    /// Closed by the viewer.
    pub closed_at: Option<i64>,
    /// What it showed, per camera (JSON: seconds served and played).
    pub seen: String,
}

/// The columns of a viewing row.
const VIEWING_COLS: &str = "id, viewer_id, role, workstation_id, cameras, range_from, range_to, \
    purpose, witnesses, viewed_at, owner_org_id, expires_at, closed_at, seen";

macro_rules! hold_cols {
    () => {
        "id, camera, range_from, range_to, until_at, placed_by, placed_role, reason, inquiry_reference, placed_at, released_by, released_at"
    };
}

impl Db {
    /// Places a hold.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_hold(
        &self,
        camera: &str,
        range: (i64, i64),
        until: i64,
        by: i64,
        role: &str,
        reason: &str,
        inquiry: Option<&str>,
        now: i64,
    ) -> Result<StoredHold> {
        Ok(sqlx::query_as(concat!("INSERT INTO holds (camera, range_from, range_to, until_at, placed_by, placed_role, reason, inquiry_reference, placed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ", hold_cols!()))
        .bind(camera)
        .bind(range.0)
        .bind(range.1)
        .bind(until)
        .bind(by)
        .bind(role)
        .bind(reason)
        .bind(inquiry)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// All holds, newest first.
    pub async fn holds(&self) -> Result<Vec<StoredHold>> {
        Ok(sqlx::query_as(concat!("SELECT ", hold_cols!(), " FROM holds ORDER BY id DESC"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// Holds in force at `now` (not released, not expired).
    pub async fn holds_in_force(&self, now: i64) -> Result<Vec<StoredHold>> {
        Ok(sqlx::query_as(concat!("SELECT ", hold_cols!(), " FROM holds WHERE until_at > $1 AND (released_at IS NULL OR released_at > $1) ORDER BY id"))
        .bind(now)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Releases a hold early.
    pub async fn release_hold(&self, id: i64, by: i64, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE holds SET released_by = $2, released_at = $3 WHERE id = $1 AND released_at IS NULL AND until_at > $3")
            .bind(id)
            .bind(by)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("hold {id} is already released, expired or does not exist"))
    }

    /// Records a viewing, its playback session open until `expires`.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_viewing(
        &self,
        viewer: i64,
        role: &str,
        workstation: i64,
        cameras: &str,
        range: (i64, i64),
        purpose: &str,
        witnesses: &str,
        owner: Option<i64>,
        now: i64,
        expires: i64,
    ) -> Result<Viewing> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO viewings (viewer_id, role, workstation_id, cameras, range_from, range_to, purpose, witnesses, viewed_at, owner_org_id, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {VIEWING_COLS}"
        )))
        .bind(viewer)
        .bind(role)
        .bind(workstation)
        .bind(cameras)
        .bind(range.0)
        .bind(range.1)
        .bind(purpose)
        .bind(witnesses)
        .bind(now)
        .bind(owner)
        .bind(expires)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// One viewing.
    pub async fn viewing(&self, id: i64) -> Result<Option<Viewing>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {VIEWING_COLS} FROM viewings WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Replaces what a viewing showed (`seen`, JSON).
    pub async fn set_viewing_seen(&self, id: i64, seen: &str) -> Result<()> {
        let r = sqlx::query("UPDATE viewings SET seen = $2 WHERE id = $1")
            .bind(id)
            .bind(seen)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("viewing {id} does not exist"))
    }

    /// Closes a viewing's session.
    pub async fn close_viewing(&self, id: i64, now: i64) -> Result<()> {
        let r =
            sqlx::query("UPDATE viewings SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(&mut *self.conn().await?)
                .await?;
        changed_one(&r, || format!("viewing {id} is already closed or does not exist"))
    }

    /// Viewings, newest first: of cameras owned by `owner` (when given) and by viewers of
    /// organisation `viewer_org` (when given).
    pub async fn viewings(
        &self,
        owner: Option<i64>,
        viewer_org: Option<i64>,
    ) -> Result<Vec<Viewing>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {VIEWING_COLS} FROM viewings WHERE ($1 = 0 OR owner_org_id = $1) \
             AND ($2 = 0 OR viewer_id IN (SELECT a.id FROM accounts a WHERE a.organisation_id = $2)) ORDER BY id DESC"
        )))
        .bind(owner.unwrap_or(0))
        .bind(viewer_org.unwrap_or(0))
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }
}
