//! Recorder nodes on other machines (issue 21): their registration, one-time enrolment, the
//! certificate each enrolled (pinned), last contact and revocation.

use crate::{At, Db, Result, changed_one};
use serde::Serialize;

/// A registered recorder node.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct RecorderNode {
    /// Id.
    pub id: i64,
    /// Its name (a DNS label; its certificate is for `<name>.nodes.mimamori`).
    pub name: String,
    /// The site it stands at.
    pub site: String,
    /// The organisation that keeps it.
    pub organisation_id: i64,
    /// Where its node API listens (`host:port`).
    pub address: String,
    /// BLAKE3 of the one-time enrolment token while it waits (never shown).
    #[serde(skip)]
    pub token_hash: Option<String>,
    /// Until when the token may be redeemed.
    pub token_expires_at: Option<At>,
    /// SHA-256 of the certificate it enrolled, hex.
    pub cert_sha256: Option<String>,
    /// When it enrolled.
    pub enrolled_at: Option<At>,
    /// The cameras it said it records when last heard from (JSON list).
    pub cameras: String,
    /// When it last answered.
    pub last_contact_at: Option<At>,
    /// Revoked at.
    pub revoked_at: Option<At>,
    /// Revoked by.
    pub revoked_by: Option<i64>,
    /// Why revoked.
    pub revoked_reason: String,
    /// What it last said of its storage and clock (JSON `node::NodeHealth`).
    pub health: Option<String>,
    /// When that was read.
    pub health_at: Option<At>,
    /// When it last took the holds in force.
    pub holds_sent_at: Option<At>,
    /// What the node's audit log verification found (JSON list; empty: verified).
    pub audit_findings: String,
    /// When it was last verified.
    pub audit_checked_at: Option<At>,
    /// Registered at.
    pub created_at: At,
    /// Registered by.
    pub created_by: i64,
    /// The kind of its site (KIT-5.1: `network`, `standalone`), where the profile asks.
    pub site_kind: Option<String>,
    /// The site conditions confirmed at registration, a JSON list of the profile's ids.
    pub site_conditions: String,
}

macro_rules! cols {
    () => {
        "id, name, site, organisation_id, address, token_hash, token_expires_at, cert_sha256, enrolled_at, \
     cameras, last_contact_at, revoked_at, revoked_by, revoked_reason, health, health_at, holds_sent_at, audit_findings, audit_checked_at, created_at, created_by, \
     site_kind, site_conditions"
    };
}

/// A node to register.
#[derive(Debug, Clone)]
pub struct NewNode<'a> {
    /// Name.
    pub name: &'a str,
    /// Site.
    pub site: &'a str,
    /// Keeping organisation.
    pub organisation_id: i64,
    /// `host:port` of its node API.
    pub address: &'a str,
    /// Hash of its one-time token.
    pub token_hash: &'a str,
    /// Token valid until.
    pub token_expires_at: At,
    /// The kind of its site (KIT-5.1).
    pub site_kind: Option<&'a str>,
    /// The site conditions confirmed, a JSON list.
    pub site_conditions: &'a str,
}

impl Db {
    /// Registers a node waiting for its enrolment.
    pub async fn create_recorder_node(
        &self,
        n: &NewNode<'_>,
        by: i64,
        now: i64,
    ) -> Result<RecorderNode> {
        Ok(sqlx::query_as(concat!(
            "INSERT INTO recorder_nodes (name, site, organisation_id, address, token_hash, token_expires_at, created_at, created_by, site_kind, site_conditions) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ",
            cols!()
        ))
        .bind(n.name)
        .bind(n.site)
        .bind(n.organisation_id)
        .bind(n.address)
        .bind(n.token_hash)
        .bind(n.token_expires_at)
        .bind(now)
        .bind(by)
        .bind(n.site_kind)
        .bind(n.site_conditions)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// Every registered node, by name.
    pub async fn recorder_nodes(&self) -> Result<Vec<RecorderNode>> {
        Ok(sqlx::query_as(concat!("SELECT ", cols!(), " FROM recorder_nodes ORDER BY name"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// One node.
    pub async fn recorder_node(&self, id: i64) -> Result<Option<RecorderNode>> {
        Ok(sqlx::query_as(concat!("SELECT ", cols!(), " FROM recorder_nodes WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// The node whose one-time token hashes to `token_hash`, while it may be redeemed.
    pub async fn recorder_node_by_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<RecorderNode>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            cols!(),
            " FROM recorder_nodes WHERE token_hash = $1 AND token_expires_at > $2 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Redeems the token of node `id` and pins its certificate, in one statement: a token is
    /// redeemed once, before it expires, for a node that is not revoked.
    pub async fn enrol_recorder_node(
        &self,
        id: i64,
        token_hash: &str,
        cert_sha256: &str,
        now: i64,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE recorder_nodes SET cert_sha256 = $3, enrolled_at = $4, token_hash = NULL, token_expires_at = NULL \
             WHERE id = $1 AND token_hash = $2 AND token_expires_at > $4 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(token_hash)
        .bind(cert_sha256)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        changed_one(&r, || "this enrolment token is unknown, already used or expired".into())
    }

    /// Records that node `id` answered at `now`, recording `cameras` (JSON list).
    pub async fn recorder_node_contact(&self, id: i64, cameras: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE recorder_nodes SET cameras = $2, last_contact_at = $3 WHERE id = $1")
            .bind(id)
            .bind(cameras)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Keeps what node `id` said of its storage and clock at `now`.
    pub async fn recorder_node_health(&self, id: i64, health: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE recorder_nodes SET health = $2, health_at = $3 WHERE id = $1")
            .bind(id)
            .bind(health)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Keeps what the verification of node `id`'s audit log found at `now` (JSON list).
    pub async fn recorder_node_audit(&self, id: i64, findings: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE recorder_nodes SET audit_findings = $2, audit_checked_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(findings)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// Records that node `id` took the holds in force at `now`.
    pub async fn recorder_node_holds_sent(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE recorder_nodes SET holds_sent_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Takes or renews the lease `name` for `holder` until `now + ttl_ms`: true when `holder`
    /// holds it now (it was free, had lapsed, or was `holder`'s already). One statement, so two
    /// processes asking at once cannot both win.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool> {
        let r = sqlx::query(
            "INSERT INTO leases (name, holder, until_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at \
             WHERE leases.until_at <= $4 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Revokes node `id`: the centre never asks it again; a waiting token is spent.
    pub async fn revoke_recorder_node(
        &self,
        id: i64,
        reason: &str,
        by: i64,
        now: i64,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE recorder_nodes SET revoked_at = $2, revoked_by = $3, revoked_reason = $4, token_hash = NULL, \
             token_expires_at = NULL WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .bind(by)
        .bind(reason)
        .execute(&mut *self.conn().await?)
        .await?;
        changed_one(&r, || format!("recorder node {id} is revoked already or does not exist"))
    }

    /// The sequence number of the last erasure the centre has from node `id` (0: none).
    pub async fn last_node_erasure(&self, id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(seq) FROM node_erasures WHERE node_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *self.conn().await?)
        .await?
        .unwrap_or(0))
    }

    /// Keeps erasures node `id` reports (one already kept is not kept twice).
    pub async fn record_node_erasures(&self, id: i64, list: &[NodeErasure]) -> Result<()> {
        let mut conn = self.conn().await?;
        for e in list {
            sqlx::query(
                "INSERT INTO node_erasures (node_id, seq, camera, day, segments, frames, bytes, erased_at, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (node_id, seq) DO NOTHING",
            )
            .bind(id)
            .bind(e.seq)
            .bind(&e.camera)
            .bind(&e.day)
            .bind(e.segments)
            .bind(e.frames)
            .bind(e.bytes)
            .bind(e.erased_at)
            .bind(e.received_at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// The newest `limit` erasures received from node `id`, newest first.
    pub async fn node_erasures(&self, id: i64, limit: i64) -> Result<Vec<NodeErasure>> {
        Ok(sqlx::query_as(
            "SELECT node_id, seq, camera, day, segments, frames, bytes, erased_at, received_at FROM node_erasures \
             WHERE node_id = $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }
}

/// An erasure a recorder node made (its record E3), as the centre received it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct NodeErasure {
    /// The node.
    pub node_id: i64,
    /// The node's sequence number of it.
    pub seq: i64,
    /// Camera code.
    pub camera: String,
    /// The JST day erased.
    pub day: String,
    /// Segments erased.
    pub segments: i64,
    /// Frames erased.
    pub frames: i64,
    /// Bytes erased.
    pub bytes: i64,
    /// When, by the node's clock (UTC ms).
    pub erased_at: At,
    /// When the centre received it (UTC ms).
    pub received_at: At,
}
