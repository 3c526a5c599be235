//! Evidence packages produced by extractions (evidence issue).

use crate::{At, Db, Result, StoreError};
use serde::Serialize;

/// An evidence package on the server, waiting for (or already fetched by) its extractor.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct EvidencePackage {
    /// Package id (`EV-…`), also inside the package's manifest.
    pub id: String,
    /// The extraction that produced it.
    pub extraction_id: i64,
    /// Camera code.
    pub camera: String,
    /// File on the server.
    #[serde(skip)]
    pub path: String,
    /// SHA-256 of the package's `manifest.json`, hex.
    pub manifest_sha256: String,
    /// Package size.
    pub bytes: i64,
    /// Frames in the video.
    pub frames: i64,
    /// Range delivered (keyframe-aligned), UTC ms.
    pub delivered_from: At,
    /// End of the range delivered.
    pub delivered_to: At,
    /// Encrypted to the recipient.
    #[sqlx(try_from = "i64")]
    pub encrypted: crate::Flag,
    /// When it was made.
    pub created_at: At,
    /// Times downloaded.
    pub downloads: i64,
    /// When the file was erased from the server.
    pub erased_at: Option<At>,
}

const COLS: &str = "id, extraction_id, camera, path, manifest_sha256, bytes, frames, delivered_from, \
     delivered_to, encrypted, created_at, downloads, erased_at";

impl Db {
    /// Records a package.
    pub async fn add_evidence_package(&self, p: &EvidencePackage) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO evidence_packages ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(&p.id)
        .bind(p.extraction_id)
        .bind(&p.camera)
        .bind(&p.path)
        .bind(&p.manifest_sha256)
        .bind(p.bytes)
        .bind(p.frames)
        .bind(p.delivered_from)
        .bind(p.delivered_to)
        .bind(i64::from(*p.encrypted))
        .bind(p.created_at)
        .bind(p.downloads)
        .bind(p.erased_at)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// A package by id.
    pub async fn evidence_package(&self, id: &str) -> Result<Option<EvidencePackage>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM evidence_packages WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Packages of an extraction.
    pub async fn evidence_packages_of(&self, extraction_id: i64) -> Result<Vec<EvidencePackage>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM evidence_packages WHERE extraction_id = $1 ORDER BY camera"
        )))
        .bind(extraction_id)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Packages made before `before` whose file is not yet erased.
    pub async fn evidence_packages_to_erase(&self, before: i64) -> Result<Vec<EvidencePackage>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM evidence_packages WHERE created_at < $1 AND erased_at IS NULL ORDER BY created_at"
        )))
        .bind(before)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Records that a package's file was erased.
    pub async fn mark_evidence_erased(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE evidence_packages SET erased_at = $2 WHERE id = $1 AND erased_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// Counts a download.
    pub async fn count_evidence_download(&self, id: &str) -> Result<()> {
        let r = sqlx::query("UPDATE evidence_packages SET downloads = downloads + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        if r.rows_affected() != 1 {
            return Err(StoreError::NotFound(format!("evidence package {id}")));
        }
        Ok(())
    }
}
