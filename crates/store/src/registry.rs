//! Sites, cameras, dedicated workstations and contracts.

use crate::{At, Db, Result, StoreError, changed_one};
use serde::Serialize;

/// A site where cameras are installed (ASA-2.2, KIT-4.1, NIS-4.1).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct Site {
    /// Id.
    pub id: i64,
    /// Short code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// System (KIT-1: 繁華街 / 駅周辺).
    pub system: String,
    /// Why the site was chosen (NIS-4.1: from police crime information).
    pub reason: String,
    /// Sign text (ASA-3.2b, KIT-4.2, KAW-2.2.1, NIS-4.2).
    pub signage_text: String,
    /// When the sign was last checked (UTC ms).
    pub signage_checked_at: Option<At>,
    /// Created.
    pub created_at: At,
    /// Created by.
    pub created_by: Option<i64>,
    /// The organisation that owns the site and its cameras (issue 15).
    pub owner_org_id: Option<i64>,
    /// `public_facility` or `street` (issue 18; empty: not declared, a public facility).
    pub placement: String,
    /// The day a street site was reviewed before installation (SAK-M), `YYYY-MM-DD`.
    pub council_review_date: Option<String>,
    /// The review's minutes (reference or summary).
    pub council_review_minutes: String,
}

/// A new site.
#[derive(Debug, Clone)]
pub struct NewSite<'a> {
    /// Short code.
    pub code: &'a str,
    /// Name.
    pub name: &'a str,
    /// Address.
    pub address: &'a str,
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
    /// System.
    pub system: &'a str,
    /// Reason.
    pub reason: &'a str,
    /// Sign text.
    pub signage_text: &'a str,
    /// The owning organisation.
    pub owner_org_id: i64,
    /// `public_facility` or `street` (empty: not declared).
    pub placement: &'a str,
    /// A street site's review: its day and minutes.
    pub council_review: Option<(&'a str, &'a str)>,
}

/// Whether a camera is in the registry's operation or taken out of it for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    /// Registered and (once commissioned) recorded.
    Active,
    /// Taken out of operation; its footage runs out on the retention clock.
    Decommissioned,
}

policy::stored_names!(CameraStatus, "camera status", {
    Active => "active",
    Decommissioned => "decommissioned",
});

/// A camera.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Camera {
    /// Id.
    pub id: i64,
    /// Short code (`cam1`), unique.
    pub code: String,
    /// Site.
    pub site_id: i64,
    /// Name.
    pub name: String,
    /// Installation date (YYYY-MM-DD).
    pub install_date: String,
    /// Recorder node it records on.
    pub recorder: String,
    /// Stream address (credentials never here).
    pub rtsp_url: String,
    /// Public share of the picture, per mille (KAW-2.1.3).
    pub public_share_permille: Option<i64>,
    /// Exemption reason when under 2/3 (KAW-2.1.3).
    pub coverage_exemption: String,
    /// Local consensus record (KAW-2.1.3).
    pub consensus_note: String,
    /// Owner permission record (KAW-2.1.3).
    pub owner_permission: String,
    /// Mounted so it cannot easily be removed (ASA-3.2d).
    #[sqlx(try_from = "i64")]
    pub anti_removal: crate::Flag,
    /// The camera masks by itself (PROD-MASK-1).
    #[sqlx(try_from = "i64")]
    pub masks_native: crate::Flag,
    /// Retention setting in days, if not the profile default.
    pub retention_days: Option<i64>,
    /// Retention setting in months.
    pub retention_months: Option<i64>,
    /// In operation or not (an unknown stored name is a decoding error).
    #[sqlx(try_from = "String")]
    pub status: CameraStatus,
    /// Commissioned at.
    pub commissioned_at: Option<At>,
    /// Decommissioned at.
    pub decommissioned_at: Option<At>,
    /// Created.
    pub created_at: At,
    /// Created by.
    pub created_by: Option<i64>,
    /// Why it was decommissioned.
    pub decommission_reason: String,
    /// Decommissioned before the profile's minimum operation period (KAW-2.1.3).
    #[sqlx(try_from = "i64")]
    pub decommissioned_early: crate::Flag,
    /// The owning organisation: its site's (issue 15).
    pub owner_org_id: Option<i64>,
    /// The camera's user and password sealed to its recorder node's key (issue 21; never
    /// shown, and the centre cannot open it).
    #[serde(skip)]
    pub stream_credentials: Option<String>,
    /// The recorder node the credentials were sealed to.
    pub credentials_node: Option<String>,
    /// Where the camera holds the footage (NIS-2): the days it keeps before overwriting,
    /// recorded when it was commissioned (NIS-6).
    pub overwrite_cycle_days: Option<i64>,
    /// The camera's ONVIF Media2 service, for a camera that masks at the source (issue 24).
    pub onvif_url: Option<String>,
}

/// A new camera.
#[derive(Debug, Clone, Default)]
pub struct NewCamera<'a> {
    /// Code.
    pub code: &'a str,
    /// Site.
    pub site_id: i64,
    /// Name.
    pub name: &'a str,
    /// Installation date.
    pub install_date: &'a str,
    /// Recorder.
    pub recorder: &'a str,
    /// Stream address.
    pub rtsp_url: &'a str,
    /// ONVIF Media2 service, for a camera that masks at the source.
    pub onvif_url: Option<&'a str>,
    /// Public share, per mille.
    pub public_share_permille: Option<i64>,
    /// Exemption reason.
    pub coverage_exemption: &'a str,
    /// Consensus record.
    pub consensus_note: &'a str,
    /// Owner permission.
    pub owner_permission: &'a str,
    /// Anti-removal mounting.
    pub anti_removal: bool,
    /// Masks natively.
    pub masks_native: bool,
    /// Retention days.
    pub retention_days: Option<i64>,
    /// Retention months.
    pub retention_months: Option<i64>,
}

/// A dedicated workstation (専用パソコン).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Workstation {
    /// Id.
    pub id: i64,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `section`, `police`, `agency`, `central_room`, `facility` (ASA-3.2e, NIS-8, NIS-10.4, KIT-5.5).
    pub placement: String,
    /// The organisation that keeps it.
    pub organisation_id: i64,
    /// Where it is stored (ASA-3.2f: lockable cabinet…).
    pub storage: String,
    /// BLAKE3 of the device token given at enrolment (never shown).
    #[serde(skip)]
    pub device_token_hash: Option<String>,
    /// Enrolled at.
    pub enrolled_at: Option<At>,
    /// Last custody check (NIS-3.3.2).
    pub last_custody_check_at: Option<At>,
    /// Revoked (lost/stolen).
    pub revoked_at: Option<At>,
    /// Why revoked.
    pub revoked_reason: String,
    /// Created.
    pub created_at: At,
    /// Created by.
    pub created_by: Option<i64>,
}

/// A contract with a contractor, with the ASA-3.7 clause checklist.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Contract {
    /// Id.
    pub id: i64,
    /// The contractor.
    pub organisation_id: i64,
    /// Title.
    pub title: String,
    /// Scope of work.
    pub scope: String,
    /// Checklist as JSON: `[{"clause":1,"included":true,"reason":""}, …]`.
    pub clauses: String,
    /// Valid from (UTC ms).
    pub valid_from: At,
    /// Valid until (UTC ms).
    pub valid_until: At,
    /// Signed off by (the manager).
    pub signed_off_by: Option<i64>,
    /// Signed off at.
    pub signed_off_at: Option<At>,
    /// Created.
    pub created_at: At,
    /// Created by.
    pub created_by: Option<i64>,
}

macro_rules! site_cols {
    () => {
        "id, code, name, address, latitude, longitude, system, reason, signage_text, signage_checked_at, created_at, created_by, owner_org_id, \
         placement, council_review_date, council_review_minutes"
    };
}
macro_rules! camera_cols {
    () => {
        "id, code, site_id, name, install_date, recorder, rtsp_url, public_share_permille, coverage_exemption, \
    consensus_note, owner_permission, anti_removal, masks_native, retention_days, retention_months, status, commissioned_at, \
    decommissioned_at, created_at, created_by, decommission_reason, decommissioned_early, owner_org_id, stream_credentials, \
    credentials_node, overwrite_cycle_days, onvif_url"
    };
}
macro_rules! ws_cols {
    () => {
        "id, code, name, placement, organisation_id, storage, device_token_hash, enrolled_at, last_custody_check_at, \
    revoked_at, revoked_reason, created_at, created_by"
    };
}
macro_rules! contract_cols {
    () => {
        "id, organisation_id, title, scope, clauses, valid_from, valid_until, signed_off_by, signed_off_at, created_at, created_by"
    };
}

impl Db {
    /// Registers a site.
    pub async fn create_site(&self, s: &NewSite<'_>, by: i64, now: i64) -> Result<Site> {
        sqlx::query_as(concat!("INSERT INTO sites (code, name, address, latitude, longitude, system, reason, signage_text, created_at, created_by, owner_org_id, \
             placement, council_review_date, council_review_minutes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ", site_cols!()))
        .bind(s.code)
        .bind(s.name)
        .bind(s.address)
        .bind(s.latitude)
        .bind(s.longitude)
        .bind(s.system)
        .bind(s.reason)
        .bind(s.signage_text)
        .bind(now)
        .bind(by)
        .bind(s.owner_org_id)
        .bind(s.placement)
        .bind(s.council_review.map(|r| r.0))
        .bind(s.council_review.map_or("", |r| r.1))
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_site", "a site with that code"))
    }

    /// All sites.
    pub async fn sites(&self) -> Result<Vec<Site>> {
        Ok(sqlx::query_as(concat!("SELECT ", site_cols!(), " FROM sites ORDER BY id"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// A site by id.
    pub async fn site(&self, id: i64) -> Result<Option<Site>> {
        Ok(sqlx::query_as(concat!("SELECT ", site_cols!(), " FROM sites WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// Records a signage check.
    pub async fn check_signage(&self, id: i64, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE sites SET signage_checked_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("site {id}")));
        }
        Ok(())
    }

    /// Registers a camera.
    pub async fn create_camera(&self, c: &NewCamera<'_>, by: i64, now: i64) -> Result<Camera> {
        sqlx::query_as(concat!("INSERT INTO cameras (code, site_id, name, install_date, recorder, rtsp_url, public_share_permille, coverage_exemption, \
             consensus_note, owner_permission, anti_removal, masks_native, retention_days, retention_months, status, created_at, created_by, owner_org_id, onvif_url) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'active', $15, $16, \
             (SELECT owner_org_id FROM sites WHERE id = $2), $17) RETURNING ", camera_cols!()))
        .bind(c.code)
        .bind(c.site_id)
        .bind(c.name)
        .bind(c.install_date)
        .bind(c.recorder)
        .bind(c.rtsp_url)
        .bind(c.public_share_permille)
        .bind(c.coverage_exemption)
        .bind(c.consensus_note)
        .bind(c.owner_permission)
        .bind(i64::from(c.anti_removal))
        .bind(i64::from(c.masks_native))
        .bind(c.retention_days)
        .bind(c.retention_months)
        .bind(now)
        .bind(by)
        .bind(c.onvif_url)
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_camera", "a camera with that code"))
    }

    /// All cameras.
    pub async fn cameras(&self) -> Result<Vec<Camera>> {
        Ok(sqlx::query_as(concat!("SELECT ", camera_cols!(), " FROM cameras ORDER BY id"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// Points a camera at a new stream URL (the demo's simulator moves between runs).
    pub async fn set_camera_url(&self, code: &str, url: &str) -> Result<()> {
        sqlx::query("UPDATE cameras SET rtsp_url = $2 WHERE code = $1")
            .bind(code)
            .bind(url)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Sets camera `id`'s stream credentials, sealed to recorder node `node`; `None` clears
    /// them.
    pub async fn set_camera_credentials(
        &self,
        id: i64,
        sealed: Option<(&str, &str)>,
    ) -> Result<()> {
        let r = sqlx::query(
            "UPDATE cameras SET stream_credentials = $2, credentials_node = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(sealed.map(|s| s.0))
        .bind(sealed.map(|s| s.1))
        .execute(&mut *self.conn().await?)
        .await?;
        changed_one(&r, || format!("camera {id} does not exist"))
    }

    /// Sets (or, with `None`, clears) the camera's ONVIF service address (issue 24): where its
    /// recorder sets its masks at the source.
    pub async fn set_camera_onvif(&self, id: i64, onvif_url: Option<&str>) -> Result<()> {
        let r = sqlx::query("UPDATE cameras SET onvif_url = $2 WHERE id = $1")
            .bind(id)
            .bind(onvif_url)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("camera {id} does not exist"))
    }

    /// A camera by code.
    pub async fn camera_by_code(&self, code: &str) -> Result<Option<Camera>> {
        Ok(sqlx::query_as(concat!("SELECT ", camera_cols!(), " FROM cameras WHERE code = $1"))
            .bind(code)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// One camera by id.
    pub async fn camera(&self, id: i64) -> Result<Option<Camera>> {
        Ok(sqlx::query_as(concat!("SELECT ", camera_cols!(), " FROM cameras WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// Registers a workstation.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_workstation(
        &self,
        code: &str,
        name: &str,
        placement: &str,
        organisation_id: i64,
        storage: &str,
        by: i64,
        now: i64,
    ) -> Result<Workstation> {
        sqlx::query_as(concat!("INSERT INTO workstations (code, name, placement, organisation_id, storage, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ", ws_cols!()))
        .bind(code)
        .bind(name)
        .bind(placement)
        .bind(organisation_id)
        .bind(storage)
        .bind(now)
        .bind(by)
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_workstation", "a workstation with that code"))
    }

    /// All workstations.
    pub async fn workstations(&self) -> Result<Vec<Workstation>> {
        Ok(sqlx::query_as(concat!("SELECT ", ws_cols!(), " FROM workstations ORDER BY id"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// A workstation by id.
    pub async fn workstation(&self, id: i64) -> Result<Option<Workstation>> {
        Ok(sqlx::query_as(concat!("SELECT ", ws_cols!(), " FROM workstations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// The workstation a device token belongs to.
    pub async fn workstation_by_token(&self, token_hash: &str) -> Result<Option<Workstation>> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            ws_cols!(),
            " FROM workstations WHERE device_token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Binds a device token to a workstation (replacing any earlier one).
    pub async fn enrol_workstation(&self, id: i64, token_hash: &str, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE workstations SET device_token_hash = $2, enrolled_at = $3 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(token_hash)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("workstation {id} is revoked or does not exist"))
    }

    /// Sets a workstation's one-time enrolment code (its hash), valid until `expires_at`,
    /// replacing any earlier code that was not redeemed.
    pub async fn set_enrol_code(&self, id: i64, code_hash: &str, expires_at: i64) -> Result<()> {
        let r = sqlx::query("UPDATE workstations SET enrol_code_hash = $2, enrol_code_expires_at = $3 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(code_hash)
            .bind(expires_at)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("workstation {id} is revoked or does not exist"))
    }

    /// Redeems an enrolment code at `now`: binds the device token to its workstation and spends
    /// the code, in one statement — a code is redeemed once, before it expires, on a workstation
    /// that is not revoked. `None` when no such code is waiting.
    pub async fn redeem_enrol_code(
        &self,
        code_hash: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<Workstation>> {
        Ok(sqlx::query_as(concat!(
            "UPDATE workstations SET device_token_hash = $2, enrolled_at = $3, enrol_code_hash = NULL, \
             enrol_code_expires_at = NULL WHERE enrol_code_hash = $1 AND enrol_code_expires_at > $3 \
             AND revoked_at IS NULL RETURNING ",
            ws_cols!()
        ))
        .bind(code_hash)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Records a custody check.
    pub async fn custody_check(&self, id: i64, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE workstations SET last_custody_check_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("workstation {id} is revoked or does not exist"))
    }

    /// Revokes a lost or stolen workstation (NIS-3.3.2): its device token stops working.
    pub async fn revoke_workstation(&self, id: i64, reason: &str, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE workstations SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .bind(reason)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("workstation {id} is already revoked or does not exist"))
    }

    /// Records a contract.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_contract(
        &self,
        organisation_id: i64,
        title: &str,
        scope: &str,
        clauses_json: &str,
        valid_from: i64,
        valid_until: i64,
        by: i64,
        now: i64,
    ) -> Result<Contract> {
        Ok(sqlx::query_as(concat!("INSERT INTO contracts (organisation_id, title, scope, clauses, valid_from, valid_until, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ", contract_cols!()))
        .bind(organisation_id)
        .bind(title)
        .bind(scope)
        .bind(clauses_json)
        .bind(valid_from)
        .bind(valid_until)
        .bind(now)
        .bind(by)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// All contracts.
    pub async fn contracts(&self) -> Result<Vec<Contract>> {
        Ok(sqlx::query_as(concat!("SELECT ", contract_cols!(), " FROM contracts ORDER BY id"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// A contract by id.
    pub async fn contract(&self, id: i64) -> Result<Option<Contract>> {
        Ok(sqlx::query_as(concat!("SELECT ", contract_cols!(), " FROM contracts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// The manager signs off a contract's checklist.
    pub async fn sign_off_contract(&self, id: i64, by: i64, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE contracts SET signed_off_by = $2, signed_off_at = $3 WHERE id = $1 AND signed_off_at IS NULL")
            .bind(id)
            .bind(by)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("contract {id} is already signed off or does not exist"))
    }

    /// Whether the organisation has a signed-off contract in force at `now`.
    pub async fn has_current_contract(&self, organisation_id: i64, now: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contracts WHERE organisation_id = $1 AND signed_off_at IS NOT NULL AND valid_from <= $2 AND valid_until > $2",
        )
        .bind(organisation_id)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await?;
        Ok(n > 0)
    }
}

/// One version of a camera's privacy masks (ASA-2.1).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct CameraMasks {
    /// Id.
    pub id: i64,
    /// Camera.
    pub camera_id: i64,
    /// 1, 2, …
    pub version: i64,
    /// Mask polygons, JSON (`[[[x, y], …], …]`, normalised).
    pub polygons: String,
    /// Public-space polygon, JSON, if measured.
    pub public_area: Option<String>,
    /// Public share after masks, per mille.
    pub public_share_permille: Option<i64>,
    /// Burnt in by the recorder.
    #[sqlx(try_from = "i64")]
    pub in_recorder: crate::Flag,
    /// Why.
    pub reason: String,
    /// Who.
    pub created_by: i64,
    /// When.
    pub created_at: At,
}

impl Db {
    /// Records a new version of a camera's masks (and its public share on the camera).
    #[allow(clippy::too_many_arguments)]
    pub async fn set_camera_masks(
        &self,
        camera_id: i64,
        polygons: &str,
        public_area: Option<&str>,
        share: Option<i64>,
        in_recorder: bool,
        reason: &str,
        by: i64,
        now: i64,
    ) -> Result<CameraMasks> {
        let version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM camera_masks WHERE camera_id = $1",
        )
        .bind(camera_id)
        .fetch_one(&mut *self.conn().await?)
        .await?;
        let m: CameraMasks = sqlx::query_as(
            "INSERT INTO camera_masks (camera_id, version, polygons, public_area, public_share_permille, in_recorder, reason, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, camera_id, version, polygons, public_area, public_share_permille, in_recorder, reason, created_by, created_at",
        )
        .bind(camera_id)
        .bind(version)
        .bind(polygons)
        .bind(public_area)
        .bind(share)
        .bind(i64::from(in_recorder))
        .bind(reason)
        .bind(by)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_mask_version", "this mask version"))?;
        if let Some(s) = share {
            sqlx::query("UPDATE cameras SET public_share_permille = $2 WHERE id = $1")
                .bind(camera_id)
                .bind(s)
                .execute(&mut *self.conn().await?)
                .await?;
        }
        Ok(m)
    }

    /// Every version of a camera's masks, newest first.
    pub async fn camera_masks(&self, camera_id: i64) -> Result<Vec<CameraMasks>> {
        Ok(sqlx::query_as(
            "SELECT id, camera_id, version, polygons, public_area, public_share_permille, in_recorder, reason, created_by, created_at \
             FROM camera_masks WHERE camera_id = $1 ORDER BY version DESC",
        )
        .bind(camera_id)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }
}
