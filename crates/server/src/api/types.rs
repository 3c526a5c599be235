//! Request bodies (unknown fields refused) and response shapes. Instants go in as RFC 3339 with
//! an offset and come out in JST (`+09:00`).

use crate::error::{ApiError, ApiResult, Check, Msg};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Formats an instant (a row's [`store::At`], or a `jiff::Timestamp`) as RFC 3339 in JST.
pub fn jst(at: impl Into<Timestamp>) -> String {
    policy::jst::rfc3339(at.into())
}

/// Formats an optional instant.
pub fn jst_opt<T: Into<Timestamp>>(at: Option<T>) -> Option<String> {
    at.map(jst)
}

/// Formats UTC milliseconds that did not come from a row (a node's report, a computed bound) as
/// RFC 3339 in JST.
pub fn jst_ms(ms: i64) -> String {
    policy::jst::rfc3339(store::ts(ms))
}

/// Parses an RFC 3339 field, naming it on error.
pub fn instant(field: &str, s: &str) -> ApiResult<Timestamp> {
    if s.trim().is_empty() {
        return Err(ApiError::invalid(field, Msg::new("required")));
    }
    policy::jst::parse_rfc3339(s)
        .map_err(|_| ApiError::invalid(field, Msg::new("instant").with("value", format!("{s:?}"))))
}

/// Parses a `[from, to)` range: both RFC 3339, `to` after `from`; both ends' faults at once.
pub fn range(from: &str, to: &str) -> ApiResult<(store::At, store::At)> {
    let mut check = Check::new();
    let f = check.take(instant("from", from))?;
    let t = check.take(instant("to", to))?;
    check.finish()?;
    match (f, t) {
        (Some(f), Some(t)) if t > f => Ok((f.into(), t.into())),
        _ => Err(ApiError::invalid("to", Msg::new("range_order"))),
    }
}

/// Rejects an empty text field (or one over 4000 bytes).
pub fn required(field: &str, value: &str) -> ApiResult<()> {
    if value.trim().is_empty() {
        return Err(ApiError::invalid(field, Msg::new("required")));
    }
    max_len(field, value, 4000)
}

/// Rejects a text over `max` bytes.
pub fn max_len(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.len() > max {
        return Err(ApiError::invalid(field, Msg::new("too_long").with("max", max)));
    }
    Ok(())
}

/// A message naming a retention period: the days key or the months key, with `n`.
pub fn period_msg(keys: (&'static str, &'static str), period: policy::retention::Period) -> Msg {
    use policy::retention::Period;
    match period {
        Period::Days(n) => Msg::new(keys.0).with("n", n),
        Period::Months(n) => Msg::new(keys.1).with("n", n),
    }
}

/// Rejects a value outside `choices` (an empty one is asked to be chosen).
pub fn one_of(field: &str, value: &str, choices: &[&str]) -> ApiResult<()> {
    if value.trim().is_empty() {
        return Err(ApiError::invalid(field, Msg::new("choose")));
    }
    if !choices.contains(&value) {
        return Err(ApiError::invalid(
            field,
            Msg::new("one_of").with("choices", choices.join(", ")),
        ));
    }
    Ok(())
}

/// `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
    /// TOTP code (or one of the recovery codes, which it spends), when enrolled.
    #[serde(default)]
    pub totp: Option<String>,
    /// `cookie` (default, for browsers) or `bearer` (returns a token for API clients).
    #[serde(default)]
    pub session: Option<String>,
}

/// `POST /me/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// Current password.
    pub current_password: String,
    /// New password (12 characters at least).
    pub new_password: String,
    /// The current TOTP code (or one of the recovery codes), when TOTP is on.
    #[serde(default)]
    pub totp: Option<String>,
}

/// Re-authentication for a change to one's own sign-in (`POST /me/totp`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthBody {
    /// The current password.
    pub password: String,
    /// The current TOTP code, when TOTP is on.
    #[serde(default)]
    pub totp: Option<String>,
}

/// A TOTP code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    /// Six digits.
    pub code: String,
}

/// `POST /me/tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// Label.
    pub name: String,
    /// Lifetime in days (1–90).
    pub days: u32,
    /// The current password (a token is a credential: minting one re-authenticates).
    pub password: String,
    /// The current TOTP code, when TOTP is on.
    #[serde(default)]
    pub totp: Option<String>,
}

/// `POST /organisations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationBody {
    /// `city`, `contractor`, `police`, `agency`, `community`, `facility`.
    pub kind: String,
    /// Name.
    pub name: String,
}

/// `POST /accounts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountBody {
    /// Login name.
    pub login: String,
    /// Name.
    pub display_name: String,
    /// Organisation id.
    pub organisation_id: i64,
    /// Initial password, to be changed at first login.
    pub initial_password: String,
}

/// `POST /designations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DesignationBody {
    /// Account id.
    pub account_id: i64,
    /// Role id of the active profile.
    pub role: String,
    /// End of a time-boxed designation (RFC 3339).
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
    /// The reference of the document the designation rests on, where the profile names one for
    /// the role (NIS-10.3: the agency head's 届出 of the staff's names and affiliations).
    #[serde(default)]
    pub document_ref: Option<String>,
}

/// `POST /sites`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Latitude.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Longitude.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// System (KIT-1).
    #[serde(default)]
    pub system: Option<String>,
    /// `public_facility` (the default) or `street` (issue 18).
    #[serde(default)]
    pub placement: Option<String>,
    /// A street site's review before installation (SAK-M): its day, `YYYY-MM-DD`.
    #[serde(default)]
    pub council_review_date: Option<String>,
    /// The review's minutes (reference or summary).
    #[serde(default)]
    pub council_review_minutes: Option<String>,
    /// Reason (NIS-4.1).
    #[serde(default)]
    pub reason: Option<String>,
    /// Sign text.
    pub signage_text: String,
    /// The owning organisation (issue 15): one's own by default; a registry office that owns
    /// no camera (Saku's city) names the facility.
    #[serde(default)]
    pub owner_org_id: Option<i64>,
}

/// `POST /cameras`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraBody {
    /// Code.
    pub code: String,
    /// Site id.
    pub site_id: i64,
    /// Name.
    pub name: String,
    /// YYYY-MM-DD.
    pub install_date: String,
    /// Recorder node.
    #[serde(default)]
    pub recorder: Option<String>,
    /// Stream URL (without credentials).
    #[serde(default)]
    pub rtsp_url: Option<String>,
    /// The camera's ONVIF Media2 service, when it masks at the source: its recorder node sets the
    /// masks there and checks them in its pictures (issue 24, item 2).
    #[serde(default)]
    pub onvif_url: Option<String>,
    /// Public share of the picture in per mille (KAW-2.1.3).
    #[serde(default)]
    pub public_share_permille: Option<i64>,
    /// Exemption reason when under 2/3.
    #[serde(default)]
    pub coverage_exemption: Option<String>,
    /// Local consensus record.
    #[serde(default)]
    pub consensus_note: Option<String>,
    /// Owner permission record.
    #[serde(default)]
    pub owner_permission: Option<String>,
    /// Anti-removal mounting (ASA-3.2d).
    #[serde(default)]
    pub anti_removal: bool,
    /// Masks natively.
    #[serde(default)]
    pub masks_native: bool,
    /// Retention in days (profile default when absent).
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// Retention in months.
    #[serde(default)]
    pub retention_months: Option<u32>,
    /// The public-space polygon of the picture, `[[x, y], …]` normalised: the public share is
    /// then computed (after masks) instead of declared (KAW-2.1.3).
    #[serde(default)]
    pub public_area: Option<Vec<Vec<f64>>>,
    /// Privacy-mask polygons, `[[[x, y], …], …]` normalised (ASA-2.1).
    #[serde(default)]
    pub masks: Option<Vec<Vec<Vec<f64>>>>,
    /// The recorder burns the masks in (the camera cannot mask by itself).
    #[serde(default)]
    pub mask_in_recorder: bool,
}

/// `POST /organisations/{id}/retention`: an organisation's own retention period (SAK-9). Neither
/// `days` nor `months`: back to the profile's default.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionBody {
    /// The period in days.
    #[serde(default)]
    pub days: Option<u32>,
    /// The period in months (Civil Code art. 143).
    #[serde(default)]
    pub months: Option<u32>,
    /// Why the period changes (kept in the audit trail).
    pub reason: String,
}

/// `POST /cameras/{id}/masks`: a new version of a camera's privacy masks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MasksBody {
    /// Mask polygons, `[[[x, y], …], …]` normalised.
    pub polygons: Vec<Vec<Vec<f64>>>,
    /// The public-space polygon, to recompute the public share after the masks.
    #[serde(default)]
    pub public_area: Option<Vec<Vec<f64>>>,
    /// Burnt in by the recorder (else the camera masks natively and the commissioning still is
    /// the check).
    #[serde(default)]
    pub in_recorder: bool,
    /// Why the masks change.
    pub reason: String,
    /// Exemption reason when the public share falls under 2/3 (KAW-2.1.3).
    #[serde(default)]
    pub coverage_exemption: Option<String>,
}

/// `POST /workstations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkstationBody {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// `section`, `police`, `agency`, `central_room`, `facility`.
    pub placement: String,
    /// Keeping organisation.
    pub organisation_id: i64,
    /// Storage (lockable cabinet…).
    pub storage: String,
}

/// A workstation's one-time enrolment code, from its link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolCodeBody {
    /// The code of the link `/enrol/{code}`.
    pub code: String,
}

/// The answer of an act that has nothing else to say: it was done (and audited).
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize, ToSchema)]
pub struct Done {
    /// Always `true`: a refusal is a problem document, never `ok: false`.
    pub ok: bool,
}

impl Done {
    /// Done.
    pub const OK: Done = Done { ok: true };
}

/// `POST /cameras/{id}/stream-credentials`: what the camera asks for when its recorder
/// connects (issue 21). Both empty: the stored credentials are removed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamCredentialsBody {
    /// User name.
    pub username: String,
    /// Password (sealed at once to the recorder node; never stored or shown in clear).
    pub password: String,
}

impl std::fmt::Debug for StreamCredentialsBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamCredentialsBody")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `POST /cameras/{id}/onvif`: the camera's ONVIF service changed (issue 24) — a camera
/// replaced by one that masks at the source, a new address, or masks back at the recorder.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameraOnvifBody {
    /// The device service (`…/onvif/device_service`) or Media2 service address, http(s) on the
    /// camera networks, without credentials; empty: the recorder burns the masks in.
    #[serde(default)]
    pub onvif_url: String,
    /// Why (kept in the audit trail).
    pub reason: String,
}

/// A recorder node to register (issue 21).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeBody {
    /// Its name: lower-case letters, digits and hyphens (it names the node's certificate).
    pub name: String,
    /// The site it stands at.
    pub site: String,
    /// `host:port` its node API listens on (`serve --role recorder --node-listen`).
    pub address: String,
    /// The organisation that keeps it (default: the caller's).
    #[serde(default)]
    pub organisation_id: Option<i64>,
    /// The kind of its site, where the profile sets site conditions (KIT-5.1: `network`,
    /// `standalone`).
    #[serde(default)]
    pub site_kind: Option<String>,
    /// The site conditions confirmed (the profile's ids), every one of the kind's.
    #[serde(default)]
    pub site_conditions: Vec<String>,
}

/// A node's enrolment: its one-time token and certificate signing request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeEnrolBody {
    /// The token issued at registration.
    pub token: String,
    /// The node's certificate signing request, PEM.
    pub csr: String,
}

/// `POST /room-entries`: an entry to the central room (KIT-5.5).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomEntryBody {
    /// Why the room is entered.
    pub purpose: String,
    /// The person entering (default: oneself; another person's entry, recorded by the
    /// manager, is the manager's approval).
    #[serde(default)]
    pub account_id: Option<i64>,
    /// The person entering, by login name (instead of `account_id`).
    #[serde(default)]
    pub login: Option<String>,
}

/// A reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Why.
    pub reason: String,
}

/// A note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Note.
    pub note: String,
}

/// One clause of the ASA-3.7 checklist.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// 1–7 (① confidentiality … ⑦ cancellation and damages).
    pub clause: u8,
    /// Included in the contract.
    pub included: bool,
    /// The manager's reason for leaving it out.
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /contracts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractBody {
    /// Contractor organisation id.
    pub organisation_id: i64,
    /// Title.
    pub title: String,
    /// Scope of work.
    pub scope: String,
    /// All seven clauses.
    pub clauses: Vec<Clause>,
    /// From (RFC 3339).
    pub valid_from: String,
    /// Until (RFC 3339).
    pub valid_until: String,
}

/// A document supplied with a request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocRef {
    /// Form id of the profile.
    pub form: String,
    /// Its reference (number, date).
    pub reference: String,
}

/// `POST /requests`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// Legal basis id.
    pub basis: String,
    /// Purpose id.
    pub purpose: String,
    /// Who receives the footage.
    pub recipient: String,
    /// The case.
    pub case_summary: String,
    /// Documents supplied.
    #[serde(default)]
    pub documents: Vec<DocRef>,
    /// Camera codes.
    pub cameras: Vec<String>,
    /// From (RFC 3339).
    pub from: String,
    /// To (RFC 3339).
    pub to: String,
}

/// `POST /internal-uses` (NIS-9.1).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InternalUseBody {
    /// Purpose id.
    pub purpose: String,
    /// Camera codes.
    pub cameras: Vec<String>,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// First link of the chain.
    pub to_account: i64,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /instructions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstructionBody {
    /// Request id.
    pub request_id: i64,
    /// The next link of the chain.
    pub to_account: i64,
    /// Subset of the request's cameras (default: all).
    #[serde(default)]
    pub cameras: Option<Vec<String>>,
    /// Narrower start (default: the request's).
    #[serde(default)]
    pub from: Option<String>,
    /// Narrower end.
    #[serde(default)]
    pub to: Option<String>,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /instructions/{id}/relay`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelayBody {
    /// The extractor.
    pub to_account: i64,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// An extraction's evidence package, when the export ran.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractBody {
    /// Evidence package id, when the package was made on a recorder node elsewhere. When the
    /// cameras are recorded in this process the server makes the packages and this is refused.
    #[serde(default)]
    pub package_id: Option<String>,
    /// Manifest hash of that package.
    #[serde(default)]
    pub manifest_hash: Option<String>,
    /// Encrypt the packages to the recipient (PROD-EVIDENCE-1).
    #[serde(default)]
    pub encrypt: Option<EncryptBody>,
}

/// Encryption of evidence packages: exactly one of a passphrase (handed over separately, at
/// least 12 characters) or X25519 recipients (`age1…`).
#[derive(Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EncryptBody {
    /// Passphrase.
    #[serde(default)]
    pub passphrase: Option<String>,
    /// age recipients.
    #[serde(default)]
    pub recipients: Vec<String>,
}

impl std::fmt::Debug for EncryptBody {
    // The passphrase never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptBody")
            .field("passphrase", &self.passphrase.as_ref().map(|_| "…"))
            .field("recipients", &self.recipients)
            .finish()
    }
}

/// `POST /ledger` and `POST /emergency/orders/{id}/ledger`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerBody {
    /// Request id (for `POST /ledger`).
    #[serde(default)]
    pub request_id: Option<i64>,
    /// When the data were handed over (提供日時: LEDGER-1, KIT-6.3), RFC 3339. Required for a
    /// request's entry; an emergency extraction's defaults to its extraction (the agency made
    /// it on its own PC).
    #[serde(default, alias = "handover_date")]
    pub handed_over_at: Option<String>,
    /// Hashes of the data handed over.
    #[serde(default)]
    pub data_hashes: Vec<String>,
}

/// `POST /viewings`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewingBody {
    /// Cameras.
    pub cameras: Vec<String>,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Purpose id.
    pub purpose: String,
    /// Witnesses present (立会い, ASA-3.4a).
    #[serde(default)]
    pub witnesses: Vec<String>,
    /// Why others are present, where the profile has the manager judge it (ASA-3.4a 特に必要と
    /// 認める場合).
    #[serde(default)]
    pub witness_reason: String,
}

/// `POST /viewings/{id}/played`: a stretch the player played.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlayedBody {
    /// Camera code.
    pub camera: String,
    /// Played from (UTC ms of the recording).
    pub from_ms: i64,
    /// Played to.
    pub to_ms: i64,
}

/// `POST /viewings/{id}/prints`: a still printed from a viewing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintBody {
    /// Camera code.
    pub camera: String,
    /// When the printed frame was recorded (UTC ms).
    pub at_ms: i64,
}

/// `POST /delegations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegationBody {
    /// The agency's organisation id.
    pub organisation_id: i64,
    /// Reference of the written confirmation.
    pub document_ref: String,
}

/// `POST /emergency/orders`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// Who extracts.
    pub executor_account: i64,
    /// Cameras.
    pub cameras: Vec<String>,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Purpose id.
    pub purpose: String,
    /// Why it is urgent and especially necessary.
    pub urgency_reason: String,
    /// Outside the window: the written reason (NIS-11.1).
    #[serde(default)]
    pub outside_reason: Option<String>,
}

/// `POST /emergency/orders/{id}/file`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilingBody {
    /// Form id.
    pub form: String,
    /// Its reference.
    pub reference: String,
    /// Why it comes late, if it does.
    #[serde(default)]
    pub delay_reason: Option<String>,
}

/// One item of a submitted history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryItemBody {
    /// When (RFC 3339).
    pub extracted_at: String,
    /// Camera code.
    pub camera: String,
}

/// `POST /reconciliation/histories`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryBody {
    /// The lent PC.
    pub workstation_id: i64,
    /// `YYYY-MM`.
    pub month: String,
    /// Every extraction of the month.
    pub items: Vec<HistoryItemBody>,
}

/// `POST /reconciliation/run`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthBody {
    /// `YYYY-MM`.
    pub month: String,
}

/// `POST /holds`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// Camera code.
    pub camera: String,
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// Kept until.
    pub until: String,
    /// Reason.
    pub reason: String,
    /// Inquiry reference (KAW-2.2.6イ).
    #[serde(default)]
    pub inquiry_reference: Option<String>,
}

/// `POST /reports/annual/publish`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishReportBody {
    /// The fiscal year (by the year it starts in), ended.
    pub fiscal_year: i64,
    /// Where else it was published, or what a correction corrects.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /public/complaints` and `POST /complaints`: a complaint or inquiry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintBody {
    /// `privacy`, `signage`, `placement`, `footage`, `other`.
    pub category: String,
    /// The camera it concerns, if any.
    #[serde(default)]
    pub camera: Option<String>,
    /// What it is about.
    pub body: String,
    /// How to answer (optional; personal data, seen only by complaint handlers).
    #[serde(default)]
    pub contact: Option<String>,
    /// `phone`, `counter`, `mail` (staff recording one received otherwise; the public form is `web`).
    #[serde(default)]
    pub channel: Option<String>,
}

/// `POST /complaints/{id}/respond`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// The answer given.
    pub response: String,
}

/// `POST /disposals`: a recorder or medium to dispose of.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisposalBody {
    /// The recorder node id.
    pub device: String,
    /// Serial numbers of the disks and the unit.
    pub serials: Vec<String>,
    /// `overwrite_verified`, `shred`, `melt`, `degauss`.
    pub method: String,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// What is percent-encoded in a query value: everything but RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A page of a list (issue 23, item 4: the paged lists speak a type like every other answer):
/// the items as a JSON array — the same shape as an unpaged list of `T` — and, when there are
/// more, a `Link: <path?query>; rel="next"` header (RFC 8288) whose query carries the present
/// `next` pairs, values percent-encoded. Every paged list answers this way.
#[derive(Debug)]
pub struct Paged<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The next page's address, when there is one.
    pub next: Option<String>,
}

impl<T> Paged<T> {
    /// The page `items` of the list at `path`; `next` gives the query of the next page.
    pub fn new(items: Vec<T>, path: &str, next: Option<&[(&str, Option<String>)]>) -> Self {
        let next = next.map(|pairs| {
            let query = pairs
                .iter()
                .filter_map(|(k, v)| {
                    v.as_ref().map(|v| {
                        format!("{k}={}", percent_encoding::utf8_percent_encode(v, QUERY_VALUE))
                    })
                })
                .collect::<Vec<_>>()
                .join("&");
            format!("{path}?{query}")
        });
        Paged { items, next }
    }
}

impl<T: Serialize> axum::response::IntoResponse for Paged<T> {
    fn into_response(self) -> axum::response::Response {
        let body = axum::Json(self.items);
        match self.next {
            Some(next) => ([(axum::http::header::LINK, format!("<{next}>; rel=\"next\""))], body)
                .into_response(),
            None => body.into_response(),
        }
    }
}

/// A typed answer that sets the session cookie (`Set-Cookie`, when there is one): a login
/// with a cookie session, a logout clearing it.
#[derive(Debug)]
pub struct WithCookie<T> {
    /// The cookie, as the `Set-Cookie` header's value.
    pub cookie: Option<String>,
    /// The answer.
    pub body: T,
}

impl<T: Serialize> axum::response::IntoResponse for WithCookie<T> {
    fn into_response(self) -> axum::response::Response {
        let body = axum::Json(self.body);
        match self.cookie {
            Some(c) => (axum::response::AppendHeaders([(axum::http::header::SET_COOKIE, c)]), body)
                .into_response(),
            None => body.into_response(),
        }
    }
}

/// A typed answer that the caller may ask as CSV instead (`?format=csv`): the JSON body is `T`
/// (what the registry documents and checks), the CSV its rows as a spreadsheet opens them.
#[derive(Debug)]
pub enum OrCsv<T> {
    /// The typed answer.
    Json(T),
    /// UTF-8 CSV text (with its byte-order mark, for spreadsheets).
    Csv(String),
}

impl<T: Serialize> axum::response::IntoResponse for OrCsv<T> {
    fn into_response(self) -> axum::response::Response {
        match self {
            OrCsv::Json(v) => axum::Json(v).into_response(),
            OrCsv::Csv(text) => {
                ([(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")], text)
                    .into_response()
            }
        }
    }
}

/// A text as a spreadsheet cell must hold it: one a spreadsheet would run as a formula (`=`,
/// `+`, `-`, `@`, tab, carriage return first) is written as text with a leading `'` (issue 16,
/// L9). Every CSV the product writes goes through here.
pub fn spreadsheet_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

/// One CSV cell, quoted ([`spreadsheet_text`] inside).
pub fn csv_cell(s: &str) -> String {
    format!("\"{}\"", spreadsheet_text(s).replace('"', "\"\""))
}

/// A query parameter's value, trimmed; `None` when absent or blank.
pub fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Each registered camera's owner organisation, by code (issue 15: whose camera a hold, a
/// complaint or a status line concerns).
pub async fn camera_owners(
    st: &crate::state::AppState,
) -> ApiResult<std::collections::HashMap<String, Option<i64>>> {
    Ok(st.db.cameras().await?.into_iter().map(|c| (c.code, c.owner_org_id)).collect())
}

/// A retention setting as the API takes it — days or months, not both — checked against the
/// profile's bounds (the refusal names the bound's rule and the field); `None`: none given.
pub fn retention_setting(
    profile: &policy::Profile,
    days: (&str, Option<u32>),
    months: (&str, Option<u32>),
) -> ApiResult<Option<policy::retention::Period>> {
    use policy::retention::Period;
    let (field, period) = match (days.1, months.1) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(days.0, Msg::new("retention_one_unit")));
        }
        (Some(d), None) => (days.0, Period::Days(d)),
        (None, Some(m)) => (months.0, Period::Months(m)),
        (None, None) => return Ok(None),
    };
    profile.check_retention_setting(period).map_err(|e| {
        let msg = match &e {
            policy::retention::BoundError::BelowFloor { floor, .. } => {
                period_msg(("retention_floor_days", "retention_floor_months"), *floor)
            }
            policy::retention::BoundError::AboveCeiling { ceiling, .. } => {
                period_msg(("retention_ceiling_days", "retention_ceiling_months"), *ceiling)
            }
        };
        ApiError::refused(e.rule(), Some(field), msg)
    })?;
    Ok(Some(period))
}

/// A page size from `limit`: `default` when absent, refused outside `1..=max`.
pub fn page_limit(limit: Option<i64>, default: i64, max: i64) -> ApiResult<i64> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            Msg::new("between").with("min", 1).with("max", max),
        ));
    }
    Ok(limit)
}
