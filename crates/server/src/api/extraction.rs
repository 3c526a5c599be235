//! Evidence packages of an extraction (evidence issue): made by the recorder node that records
//! each camera when an instruction or emergency order is carried out, recorded with the
//! extraction, and downloaded only by the extractor on the workstation it was made on. Every
//! download is audited. (Named for what it serves; the `evidence` crate writes the packages.)

use super::types::{EncryptBody, ExtractBody};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, Msg};
use crate::state::AppState;
use audit::Outcome;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use axum::{Extension, Json};
use node::{ExportEncryption, ExportJob, ExportedPackage};
use policy::emergency::OrderState;
use policy::workflow::RequestState;
use serde_json::{Value, json};
use std::sync::Arc;
use store::evidence::EvidencePackage;

/// The workflow records an export is made for: signed into its manifest (issue 17 item 2).
pub use ::evidence::manifest::Refs;

/// Days a package stays on the server for its extractor to download; then the file is erased
/// (rule: PROD-EVIDENCE-2 — a copy of footage does not outlive its purpose; the extraction
/// record, the manifest hash and the audit trail remain).
pub const KEEP_DAYS: i64 = 7;

/// Erases the files of packages older than [`KEEP_DAYS`]; each erasure is audited. Returns how
/// many were erased. Run hourly by the server when a recorder exports in its process.
pub async fn erase_expired(st: &AppState) -> ApiResult<usize> {
    let now = st.clock.now_ms();
    let mut n = 0;
    for p in st.db.evidence_packages_to_erase(now - KEEP_DAYS * 86_400_000).await? {
        let outcome = match st.package_store().erase(&p.path).await {
            Ok(()) => Outcome::Ok,
            Err(e) => {
                tracing::error!(package = %p.id, error = %e, "could not erase an evidence package");
                Outcome::Failed
            }
        };
        let mut ev =
            audit::Event::new("system", "package.erase", format!("package:{}", p.id), outcome);
        ev.detail = json!({ "extraction": p.extraction_id, "camera": p.camera, "downloads": p.downloads, "keep_days": KEEP_DAYS });
        let ch = st.change().await?;
        if outcome == Outcome::Ok {
            ch.mark_evidence_erased(&p.id, now).await?;
            n += 1;
        }
        st.audit_in(&ch, ev).await?;
        ch.commit().await?;
    }
    Ok(n)
}

/// Shortest passphrase accepted (age uses scrypt; the passphrase travels apart from the file).
const MIN_PASSPHRASE: usize = 12;

fn encryption(b: Option<&EncryptBody>) -> ApiResult<Option<ExportEncryption>> {
    let Some(b) = b else { return Ok(None) };
    match (&b.passphrase, b.recipients.is_empty()) {
        (Some(_), false) => Err(ApiError::invalid("encrypt", Msg::new("encrypt_one_way"))),
        (Some(p), true) if p.chars().count() < MIN_PASSPHRASE => Err(ApiError::invalid(
            "encrypt.passphrase",
            Msg::new("passphrase_short").with("min", MIN_PASSPHRASE),
        )),
        (Some(p), true) => Ok(Some(ExportEncryption::Passphrase(p.clone()))),
        (None, false) => {
            for (i, r) in b.recipients.iter().enumerate() {
                if !r.trim().starts_with("age1") {
                    return Err(ApiError::invalid(
                        &format!("encrypt.recipients[{i}]"),
                        Msg::new("age_recipient"),
                    ));
                }
            }
            Ok(Some(ExportEncryption::Recipients(b.recipients.clone())))
        }
        (None, true) => Err(ApiError::invalid("encrypt", Msg::new("encrypt_how"))),
    }
}

/// Makes one package per camera when the cameras are recorded in this process; `None` when no
/// recorder runs here (the body may then name a package made on the node). Nothing is recorded
/// in the store: on any failure the caller changes nothing.
pub async fn make_packages(
    st: &AppState,
    p: &Principal,
    cameras: &[String],
    range: (i64, i64),
    refs: Refs,
    body: &ExtractBody,
) -> ApiResult<Option<Vec<ExportedPackage>>> {
    if !st.has_nodes() {
        if body.encrypt.is_some() {
            return Err(ApiError::invalid("encrypt", Msg::new("encrypt_on_node")));
        }
        return Ok(None);
    };
    if body.package_id.is_some() || body.manifest_hash.is_some() {
        return Err(ApiError::invalid("package_id", Msg::new("package_made_here")));
    }
    let enc = encryption(body.encrypt.as_ref())?;
    // Each camera's footage is exported by the node that records it (issue 21).
    let mut exporters = Vec::new();
    for c in cameras {
        let Some(n) = st.node_for(c) else {
            return Err(ApiError::conflict(Msg::new("camera_on_no_node").with("code", c)));
        };
        exporters.push(n);
    }
    let mut out = Vec::new();
    for (cam, exporter) in cameras.iter().zip(exporters) {
        let site = match st.db.camera_by_code(cam).await? {
            Some(c) => st.db.site(c.site_id).await?.map(|s| s.name),
            None => None,
        };
        let job = ExportJob {
            camera: cam.clone(),
            site,
            from_ms: range.0,
            to_ms: range.1,
            operator: format!("{} ({})", p.account.login, p.account.display_name),
            refs: refs.clone(),
            encryption: enc.clone(),
        };
        match exporter.export(job).await {
            // Kept where every central process reaches it (issue 21, item 4).
            Ok(mut pkg) => match st.package_store().keep(&pkg.path).await {
                Ok(location) => {
                    pkg.path = location.into();
                    out.push(pkg);
                }
                Err(e) => {
                    let _ = tokio::fs::remove_file(&pkg.path).await;
                    discard(st, Some(&out)).await;
                    return Err(ApiError::unavailable(
                        Msg::new("package_not_stored").with("code", cam).with("error", e),
                    ));
                }
            },
            Err(e) => {
                // Packages already made for other cameras are removed: the extraction did not
                // happen, and no copy of footage may be left outside the workflow.
                discard(st, Some(&out)).await;
                return Err(if e.is_refusal() {
                    ApiError::conflict(
                        Msg::new("export_refused").with("code", cam).with("error", e),
                    )
                } else {
                    ApiError::unavailable(
                        Msg::new("export_failed").with("code", cam).with("error", e),
                    )
                });
            }
        }
    }
    Ok(Some(out))
}

/// Removes the files of packages whose extraction was not recorded: no copy of footage may be
/// left outside the workflow.
pub async fn discard(st: &AppState, made: Option<&[ExportedPackage]>) {
    let store = st.package_store();
    for pkg in made.unwrap_or_default() {
        if let Err(e) = store.erase(&pkg.path.to_string_lossy()).await {
            tracing::error!(package = %pkg.id, error = %e, "could not remove an unrecorded package");
        }
    }
}

/// The outcome of recording an extraction: when it failed, the packages made for it are
/// removed before the error is answered.
pub async fn kept_or_discarded<T>(
    st: &AppState,
    recorded: ApiResult<T>,
    made: Option<&[ExportedPackage]>,
) -> ApiResult<T> {
    if recorded.is_err() {
        discard(st, made).await;
    }
    recorded
}

/// Records the packages of extraction `extraction_id` (in the extraction's change).
pub async fn record_packages(
    db: &store::Db,
    extraction_id: i64,
    pkgs: &[ExportedPackage],
    now: i64,
) -> ApiResult<Vec<EvidencePackage>> {
    let mut rows = Vec::new();
    for pkg in pkgs {
        let row = EvidencePackage {
            id: pkg.id.clone(),
            extraction_id,
            camera: pkg.camera.clone(),
            path: pkg.path.to_string_lossy().into_owned(),
            manifest_sha256: pkg.manifest_sha256.clone(),
            bytes: i64::try_from(pkg.bytes).unwrap_or(i64::MAX),
            frames: i64::try_from(pkg.frames).unwrap_or(i64::MAX),
            delivered_from: store::At::saturating(pkg.delivered.0),
            delivered_to: store::At::saturating(pkg.delivered.1),
            encrypted: store::Flag(pkg.encrypted),
            created_at: store::At::saturating(now),
            downloads: 0,
            erased_at: None,
        };
        db.add_evidence_package(&row).await?;
        rows.push(row);
    }
    Ok(rows)
}

/// The package ids and manifest hashes the extraction records (space-separated when several
/// cameras): those of the packages made here, else those the body names.
pub fn recorded_ids(
    made: Option<&[ExportedPackage]>,
    body: &ExtractBody,
) -> (Option<String>, Option<String>) {
    match made {
        Some(pkgs) => {
            let ids: Vec<_> = pkgs.iter().map(|p| p.id.as_str()).collect();
            let hashes: Vec<_> = pkgs.iter().map(|p| p.manifest_sha256.as_str()).collect();
            (Some(ids.join(" ")), Some(hashes.join(" ")))
        }
        None => (body.package_id.clone(), body.manifest_hash.clone()),
    }
}

/// A package as the API shows it, with its download link.
/// An evidence package as the API shows it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PackageView {
    /// The name to save it under (`ASA-2026-0010_cam1_20261202-2156.zip`).
    pub file_name: String,
    /// Its id (`EV-…`).
    pub id: String,
    /// The camera.
    pub camera: String,
    /// Its manifest's SHA-256.
    pub manifest_sha256: String,
    /// Its size.
    pub bytes: i64,
    /// Frames in it.
    pub frames: i64,
    /// The footage it holds: from (JST).
    pub delivered_from: String,
    /// To.
    pub delivered_to: String,
    /// Encrypted to the recipient (age).
    pub encrypted: bool,
    /// Times downloaded.
    pub downloads: i64,
    /// Where to download it.
    pub href: String,
}

impl PackageView {
    /// `p`, named for the request `number` where there is one.
    pub fn of(p: &EvidencePackage, number: Option<&str>) -> Self {
        PackageView {
            file_name: file_name(number, p),
            id: p.id.clone(),
            camera: p.camera.clone(),
            manifest_sha256: p.manifest_sha256.clone(),
            bytes: p.bytes,
            frames: p.frames,
            delivered_from: super::types::jst(p.delivered_from),
            delivered_to: super::types::jst(p.delivered_to),
            encrypted: *p.encrypted,
            downloads: p.downloads,
            href: format!("/api/v1/packages/{}", p.id),
        }
    }
}

fn valid_id(id: &str) -> bool {
    id.len() == 35 && id.starts_with("EV-") && id[3..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// `GET /api/v1/packages/{id}`: the extractor, on the workstation of the extraction, fetches
/// the package. Audited with the package id and manifest hash.
pub async fn download(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    if !valid_id(&id) {
        return Err(ApiError::invalid("id", Msg::new("package_id_format")));
    }
    let pkg = st
        .db
        .evidence_package(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_package").with("id", &id)))?;
    let e = st
        .db
        .extraction(pkg.extraction_id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_package").with("id", &id)))?;
    let number = handed_out(&st, &p, &e, &id).await?;
    if let Some(at) = pkg.erased_at {
        return Err(ApiError::conflict(
            Msg::new("package_erased")
                .with("id", &id)
                .with("at", super::types::jst(at))
                .with("days", KEEP_DAYS),
        ));
    }
    let body = open_package(&st, &pkg).await?;
    let ch = st.change().await?;
    ch.count_evidence_download(&id).await?;
    let mut ev = p.event("footage.download", format!("package:{id}"), Outcome::Ok);
    ev.detail = json!({ "extraction": e.id, "camera": pkg.camera, "manifest_sha256": pkg.manifest_sha256, "bytes": pkg.bytes });
    st.audit_in(&ch, ev).await?;
    ch.commit().await?;
    let name = file_name(number.as_deref(), &pkg);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, pkg.bytes)
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .map_err(|_| ApiError::internal("sending the package"))
}

/// Whether `p` may take the packages of extraction `e` off the system now (`what` names them
/// in a refusal): only the extractor, on the workstation it was extracted on — inside the central
/// room by a recorded entry where the city has one (KIT-5.5) — and only until the ledger entry
/// closes its request or order (issue 16, L4: then the footage has been delivered and recorded).
/// Returns the case number the files are named by.
async fn handed_out(
    st: &AppState,
    p: &Principal,
    e: &store::workflow::Extraction,
    what: &str,
) -> ApiResult<Option<String>> {
    let rule = &st.profile.workflow.rule;
    if e.operator_id != p.account.id {
        return Err(ApiError::forbidden(rule, Msg::new("package_only_extractor")));
    }
    let closed = match (e.request_id, e.emergency_order_id) {
        (Some(r), _) => st.db.request(r).await?.is_some_and(|r| r.state == RequestState::Closed),
        (None, Some(o)) => st.db.order(o).await?.is_some_and(|o| o.state == OrderState::Closed),
        _ => false,
    };
    if closed {
        return Err(ApiError::conflict(Msg::new("package_closed").with("id", what)));
    }
    if p.workstation.as_ref().map(|w| w.id) != Some(e.workstation_id) {
        return Err(ApiError::forbidden(rule, Msg::new("package_other_workstation")));
    }
    super::footage::check_in_room(st, p).await?;
    case_number(st, e).await
}

/// Extraction `id`, or the "no such extraction" answer.
pub(super) async fn extraction_or_404(
    st: &AppState,
    id: i64,
) -> ApiResult<store::workflow::Extraction> {
    st.db
        .extraction(id)
        .await?
        .ok_or_else(|| ApiError::not_found(Msg::new("no_such_extraction").with("id", id)))
}

/// `GET /api/v1/extractions/{id}/packages.zip`: every package of an extraction still on the
/// server, in one zip (issue 19, item 6: a download-all), under the same conditions as each
/// package's own download, each package audited and counted as downloaded. The packages go in
/// stored (they are zips already, or age-encrypted), byte for byte: each still verifies on its
/// own. Streamed: memory stays a few chunks whatever the sizes.
pub async fn download_all(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    super::Id(id): super::Id,
) -> ApiResult<Response> {
    let e = extraction_or_404(&st, id).await?;
    let number = handed_out(&st, &p, &e, &format!("#{id}")).await?;
    let pkgs: Vec<EvidencePackage> = st
        .db
        .evidence_packages_of(id)
        .await?
        .into_iter()
        .filter(|k| k.erased_at.is_none())
        .collect();
    if pkgs.is_empty() {
        return Err(ApiError::conflict(Msg::new("packages_none_left").with("id", id)));
    }
    // Every file is opened before anything is recorded: a missing one refuses the whole.
    let mut files = Vec::with_capacity(pkgs.len());
    for pkg in &pkgs {
        let body = open_package(&st, pkg).await?;
        files.push((file_name(number.as_deref(), pkg), pkg.bytes, pkg.created_at.ms(), body));
    }
    let ch = st.change().await?;
    for pkg in &pkgs {
        ch.count_evidence_download(&pkg.id).await?;
        let mut ev = p.event("footage.download", format!("package:{}", pkg.id), Outcome::Ok);
        ev.detail = json!({ "extraction": e.id, "camera": pkg.camera, "manifest_sha256": pkg.manifest_sha256, "bytes": pkg.bytes, "with_the_others": true });
        st.audit_in(&ch, ev).await?;
    }
    ch.commit().await?;
    let stem = match number
        .as_deref()
        .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        Some(n) => format!("{n}_extraction-{id}_all"),
        None => format!("extraction-{id}_all"),
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "application/zip")
        .header(header::CONTENT_DISPOSITION, format!("attachment; filename=\"{stem}.zip\""))
        .header(header::CACHE_CONTROL, "no-store")
        .body(crate::bundle::stored_zip(files))
        .map_err(|_| ApiError::internal("sending the packages"))
}

/// The package's file from the store, or the refusal that says why it cannot be.
async fn open_package(st: &AppState, pkg: &EvidencePackage) -> ApiResult<axum::body::Body> {
    let id = &pkg.id;
    st.package_store().open(&pkg.path).await.map_err(|err| match err {
        crate::packages::PackageError::NotFound => {
            tracing::error!(package = %id, "evidence package file missing");
            ApiError::conflict(Msg::new("package_missing").with("id", id))
        }
        other => {
            tracing::error!(package = %id, error = %other, "evidence package cannot be read");
            ApiError::unavailable(
                Msg::new("package_unreadable").with("id", id).with("error", other),
            )
        }
    })
}

/// `GET /api/v1/extractions/{id}/packages`: the extraction's packages, for its extractor.
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    super::Id(id): super::Id,
) -> ApiResult<Json<ExtractionPackages>> {
    let e = extraction_or_404(&st, id).await?;
    if e.operator_id != p.account.id {
        return Err(ApiError::forbidden(
            &st.profile.workflow.rule,
            Msg::new("packages_extractor_only"),
        ));
    }
    let pkgs = st.db.evidence_packages_of(id).await?;
    let number = case_number(&st, &e).await?;
    let packages = pkgs.iter().map(|p| PackageView::of(p, number.as_deref())).collect();
    Ok(Json(ExtractionPackages { extraction: id, packages }))
}

/// An extraction's packages.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ExtractionPackages {
    /// The extraction.
    pub extraction: i64,
    /// One per camera.
    pub packages: Vec<PackageView>,
}

/// `GET /api/v1/packages/{id}/record`: what the city's records say about a package (issue 17
/// item 2) — the extraction that made it, the request or emergency order it was made for, its
/// recipient, its manifest hash, whether its use is already in the usage ledger. `mimamori
/// verify --against` compares a package with this answer, so a package replayed for another
/// request, or a manifest that is not the recorded one, is named. For holders of the ledger
/// or the decision on requests, within the organisations they govern; audited.
pub async fn record(
    State(st): State<Arc<AppState>>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<PackageRecord>> {
    if !valid_id(&id) {
        return Err(ApiError::invalid("id", Msg::new("package_id_format")));
    }
    let unknown = || ApiError::not_found(Msg::new("package_unrecorded").with("id", &id));
    let pkg = st.db.evidence_package(&id).await?.ok_or_else(unknown)?;
    let e = st.db.extraction(pkg.extraction_id).await?.ok_or_else(unknown)?;
    let (made_for, owner) = match (e.request_id, e.emergency_order_id) {
        (Some(rid), _) => {
            let r = st.db.request(rid).await?.ok_or_else(unknown)?;
            (
                json!({ "request": r.id, "request_number": r.number, "approval_certificate": r.certificate_number,
                        "instruction": e.instruction_id, "recipient": r.recipient, "state": r.state }),
                r.owner_org_id,
            )
        }
        (None, Some(oid)) => {
            let o = st.db.order(oid).await?.ok_or_else(unknown)?;
            let recipient = st.db.organisation(o.organisation_id).await?.map(|x| x.name);
            (
                json!({ "emergency_order": o.id, "emergency_order_number": o.number, "recipient": recipient, "state": o.state }),
                o.owner_org_id,
            )
        }
        _ => return Err(unknown()),
    };
    // Another organisation's provision answers as if it did not exist (issue 15).
    if !p.governs(owner) {
        return Err(unknown());
    }
    let ledger = st.db.ledger_of_extraction(e.id).await?;
    let mut ev = p.event("package.record", format!("package:{id}"), Outcome::Ok);
    ev.detail = json!({ "extraction": e.id });
    st.audit(ev).await?;
    Ok(Json(PackageRecord {
        package_id: pkg.id,
        camera: pkg.camera,
        manifest_sha256: pkg.manifest_sha256,
        delivered_from: super::types::jst(pkg.delivered_from),
        delivered_to: super::types::jst(pkg.delivered_to),
        extraction: RecordExtraction {
            id: e.id,
            at: super::types::jst(e.extracted_at),
            operator_id: e.operator_id,
        },
        made_for,
        downloads: pkg.downloads,
        erased_at: pkg.erased_at.map(super::types::jst),
        ledger: ledger.map(|l| RecordLedger {
            id: l.id,
            written_at: super::types::jst(l.written_at),
            recipient: l.recipient,
            handover_date: l.handover_date,
            purpose: l.purpose,
        }),
    }))
}

/// What the city's records say about a package (`mimamori verify --against` reads it).
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PackageRecord {
    /// The package.
    pub package_id: String,
    /// Its camera.
    pub camera: String,
    /// Its manifest's SHA-256, as recorded when it was made.
    pub manifest_sha256: String,
    /// The footage it holds: from (JST).
    pub delivered_from: String,
    /// To.
    pub delivered_to: String,
    /// The extraction that made it.
    pub extraction: RecordExtraction,
    /// The request (`request`, `request_number`, `approval_certificate`, `instruction`,
    /// `recipient`, `state`) or emergency order (`emergency_order`, `emergency_order_number`,
    /// `recipient`, `state`) it was made for.
    #[schema(value_type = Object)]
    pub made_for: Value,
    /// Times downloaded.
    pub downloads: i64,
    /// When it was erased from the server (JST).
    pub erased_at: Option<String>,
    /// Its usage-ledger entry, once written.
    pub ledger: Option<RecordLedger>,
}

/// The extraction named in a package's record.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RecordExtraction {
    /// Id.
    pub id: i64,
    /// When (JST).
    pub at: String,
    /// Who extracted.
    pub operator_id: i64,
}

/// The usage-ledger entry named in a package's record.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RecordLedger {
    /// Id.
    pub id: i64,
    /// Written (JST).
    pub written_at: String,
    /// Who received the footage.
    pub recipient: String,
    /// When it was handed over.
    pub handover_date: Option<String>,
    /// For what.
    pub purpose: String,
}

/// The number of the request or emergency order an extraction was made for.
async fn case_number(st: &AppState, e: &store::workflow::Extraction) -> ApiResult<Option<String>> {
    Ok(match (e.request_id, e.emergency_order_id) {
        (Some(r), _) => st.db.request(r).await?.map(|r| r.number),
        (None, Some(o)) => st.db.order(o).await?.map(|o| o.number),
        _ => None,
    })
}

/// The file name a package is saved under (issue 19, item 6): what it is for, which camera and
/// when — `ASA-2026-0010_cam1_20261202-2156.zip` (`.zip.age` when encrypted to the recipient),
/// the range's start in JST. The package's id stays inside it (manifest) and on record. Request
/// numbers and camera codes are ASCII by construction (PROD-IDENT-1); anything else is left
/// out rather than put in a header.
fn file_name(number: Option<&str>, pkg: &store::evidence::EvidencePackage) -> String {
    let safe = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
    let start = policy::jst::civil(
        jiff::Timestamp::from_millisecond(pkg.delivered_from.ms()).unwrap_or_default(),
    );
    let stem = match number.filter(|n| !n.is_empty() && safe(n)) {
        Some(n) if safe(&pkg.camera) => format!(
            "{n}_{}_{:04}{:02}{:02}-{:02}{:02}",
            pkg.camera,
            start.year(),
            start.month(),
            start.day(),
            start.hour(),
            start.minute()
        ),
        _ => pkg.id.clone(),
    };
    if *pkg.encrypted { format!("{stem}.zip.age") } else { format!("{stem}.zip") }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    // Issue 19, item 6: a clerk's download says which request, camera and time it holds.
    #[test]
    fn packages_are_named_for_their_request_camera_and_time() {
        let mut pkg = store::evidence::EvidencePackage {
            id: "EV-0123456789abcdef0123456789abcdef".into(),
            extraction_id: 1,
            camera: "cam1".into(),
            path: String::new(),
            manifest_sha256: String::new(),
            bytes: 0,
            frames: 0,
            // 2026-12-02T21:56:30+09:00
            delivered_from: store::At::saturating(1_796_216_190_000),
            delivered_to: store::At::saturating(0),
            encrypted: store::Flag(false),
            created_at: store::At::saturating(0),
            downloads: 0,
            erased_at: None,
        };
        assert_eq!(file_name(Some("ASA-2026-0010"), &pkg), "ASA-2026-0010_cam1_20261202-2156.zip");
        pkg.encrypted = store::Flag(true);
        assert_eq!(
            file_name(Some("ASA-2026-0010"), &pkg),
            "ASA-2026-0010_cam1_20261202-2156.zip.age"
        );
        assert_eq!(file_name(None, &pkg), "EV-0123456789abcdef0123456789abcdef.zip.age");
        assert_eq!(file_name(Some("申請\"x"), &pkg), "EV-0123456789abcdef0123456789abcdef.zip.age");
    }
}
