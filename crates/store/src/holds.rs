//! Retention holds and management viewings.

use crate::{At, Db, Result, changed_one};
use serde::Serialize;

/// A stored hold (KIT-5.6, KAW-2.2.6イ).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct StoredHold {
    /// Id.
    pub id: i64,
    /// Camera code.
    pub camera: String,
    /// From.
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// Kept until.
    pub until_at: At,
    /// Placed by.
    pub placed_by: i64,
    /// In which role.
    pub placed_role: String,
    /// Reason.
    pub reason: String,
    /// Legal-procedure inquiry reference.
    pub inquiry_reference: Option<String>,
    /// Placed at.
    pub placed_at: At,
    /// Released by.
    pub released_by: Option<i64>,
    /// Released at.
    pub released_at: Option<At>,
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
    pub range_from: At,
    /// To.
    pub range_to: At,
    /// Purpose.
    pub purpose: String,
    /// Witnesses JSON list (立会い).
    pub witnesses: String,
    /// When.
    pub viewed_at: At,
    /// The organisation owning the cameras viewed (PROD-OWN-2).
    pub owner_org_id: Option<i64>,
    /// When its playback session ends (issue 20); `None` for a record made before playback.
    pub expires_at: Option<At>,
    /// Closed by the viewer.
    pub closed_at: Option<At>,
    /// What it showed, per camera (JSON: seconds served and played).
    pub seen: String,
    /// Why others are present (ASA-3.4a 特に必要と認める場合).
    pub witness_reason: String,
    /// 1 while its witnesses wait for the manager's judgement (nothing plays).
    #[sqlx(try_from = "i64")]
    pub witnesses_pending: crate::Flag,
    /// Who judged the witnesses necessary.
    pub witnesses_judged_by: Option<i64>,
    /// When.
    pub witnesses_judged_at: Option<At>,
}

/// A viewing to record.
#[derive(Debug, Clone)]
pub struct NewViewing<'a> {
    /// The viewer.
    pub viewer: i64,
    /// The viewer's role.
    pub role: &'a str,
    /// The dedicated PC (0: none).
    pub workstation: i64,
    /// Cameras, JSON list.
    pub cameras: &'a str,
    /// Range, UTC ms.
    pub range: (i64, i64),
    /// Purpose id.
    pub purpose: &'a str,
    /// Witnesses, JSON list.
    pub witnesses: &'a str,
    /// Why others are present.
    pub witness_reason: &'a str,
    /// Waiting for the judgement on its witnesses.
    pub witnesses_pending: bool,
    /// Judged by the viewer at recording (the viewer holds a judging role).
    pub judged_by_viewer: bool,
    /// The cameras' owner.
    pub owner: Option<i64>,
    /// Now.
    pub now: i64,
    /// When the session ends; `None` until it opens (witnesses pending).
    pub expires: Option<i64>,
}

/// The columns of a viewing row.
const VIEWING_COLS: &str = "id, viewer_id, role, workstation_id, cameras, range_from, range_to, \
    purpose, witnesses, viewed_at, owner_org_id, expires_at, closed_at, seen, witness_reason, \
    witnesses_pending, witnesses_judged_by, witnesses_judged_at";

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

    /// Records a viewing.
    pub async fn create_viewing(&self, v: &NewViewing<'_>) -> Result<Viewing> {
        let judged = v.judged_by_viewer.then_some((v.viewer, v.now));
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO viewings (viewer_id, role, workstation_id, cameras, range_from, range_to, purpose, witnesses, viewed_at, owner_org_id, expires_at, \
             witness_reason, witnesses_pending, witnesses_judged_by, witnesses_judged_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING {VIEWING_COLS}"
        )))
        .bind(v.viewer)
        .bind(v.role)
        .bind(v.workstation)
        .bind(v.cameras)
        .bind(v.range.0)
        .bind(v.range.1)
        .bind(v.purpose)
        .bind(v.witnesses)
        .bind(v.now)
        .bind(v.owner)
        .bind(v.expires)
        .bind(v.witness_reason)
        .bind(i64::from(v.witnesses_pending))
        .bind(judged.map(|j| j.0))
        .bind(judged.map(|j| j.1))
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// Records the judgement that a viewing's witnesses are necessary (ASA-3.4a) and opens its
    /// session until `expires`.
    pub async fn judge_viewing_witnesses(
        &self,
        id: i64,
        by: i64,
        now: i64,
        expires: i64,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE viewings SET witnesses_pending = 0, witnesses_judged_by = $2, witnesses_judged_at = $3, expires_at = $4 \
             WHERE id = $1 AND witnesses_pending = 1 AND closed_at IS NULL",
        )
        .bind(id)
        .bind(by)
        .bind(now)
        .bind(expires)
        .execute(&mut *self.conn().await?)
        .await?;
        changed_one(&r, || format!("viewing {id} is not waiting for a judgement on its witnesses"))
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

    /// Viewings whose session ended at or before `now` and that nobody closed.
    pub async fn expired_open_viewings(&self, now: i64) -> Result<Vec<Viewing>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {VIEWING_COLS} FROM viewings WHERE closed_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY id"
        )))
        .bind(now)
        .fetch_all(&mut *self.conn().await?)
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
