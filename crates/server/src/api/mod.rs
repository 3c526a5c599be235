//! The HTTP API under `/api/v1`: one registry of endpoints drives the router, the authorization
//! layer of every route, the OpenAPI document and the authorization-matrix test.

pub mod admin;
pub mod duties;
pub mod emergency;
pub mod extraction;
pub use extraction::{KEEP_DAYS as PACKAGE_KEEP_DAYS, erase_expired as erase_expired_packages};
pub mod fleet;
pub mod footage;
pub mod holds;
pub mod lifecycle;
pub mod room;
pub use footage::camera_period;
pub use lifecycle::escalate_overdue;
pub mod session;
pub mod tasks;
pub mod types;
pub mod viewing;

use crate::auth::{Access, Guard, authorize};
use crate::error::{ApiError, Msg};
use crate::state::AppState;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use policy::Permission as P;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// A request body's schema, for the OpenAPI document.
#[derive(Clone, Copy)]
pub struct BodySchema {
    /// Component name.
    pub name: fn() -> std::borrow::Cow<'static, str>,
    /// Its schema.
    pub schema: fn() -> RefOr<Schema>,
    /// Schemas it refers to.
    pub deps: fn(&mut Vec<(String, RefOr<Schema>)>),
}

/// Reads a JSON answer as an endpoint's response type; the error names what does not fit.
pub type ReadsBack = fn(&serde_json::Value) -> Result<(), String>;

/// One endpoint of the API.
#[derive(Clone, Copy)]
pub struct Endpoint {
    /// `GET`, `POST`, `DELETE`.
    pub method: &'static str,
    /// Path with `{param}` segments.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Audit action name.
    pub action: &'static str,
    /// Group in the document.
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Request body, if any.
    pub body: Option<BodySchema>,
    /// The `200` answer's schema, where the handler returns a typed body (issue 23, item 4):
    /// checked at compile time against the handler's return type ([`Returns`]).
    pub response: Option<BodySchema>,
    /// Reads a `200` answer back as the response type (what the web app's `get_as` does), naming
    /// what does not fit: the answer a client gets must be the type it is documented as.
    pub reads_back: Option<ReadsBack>,
}

/// Implemented by a handler whose answer is `ApiResult<Json<T>>` or, for a paged list of `U`,
/// `ApiResult<Paged<U>>` with `T = Vec<U>`, whatever its extractors (`Args`): the registry's
/// `: T` annotation must name what the handler really returns, or the crate does not compile.
pub trait Returns<T, Args> {}

/// An answer with a typed JSON body: the body's type as a client reads it.
pub trait TypedAnswer {
    /// What the body deserialises as.
    type Body;
}

impl<T> TypedAnswer for axum::Json<T> {
    type Body = T;
}

impl<T> TypedAnswer for types::Paged<T> {
    type Body = Vec<T>;
}

impl<T> TypedAnswer for types::OrCsv<T> {
    type Body = T;
}

impl<T> TypedAnswer for types::WithCookie<T> {
    type Body = T;
}

macro_rules! impl_returns {
    ($($a:ident),*) => {
        impl<T, R, F, Fut, $($a,)*> Returns<T, ($($a,)*)> for F
        where
            F: Fn($($a),*) -> Fut,
            Fut: std::future::Future<Output = crate::error::ApiResult<R>>,
            R: TypedAnswer<Body = T>,
        {
        }
    };
}
impl_returns!();
impl_returns!(A);
impl_returns!(A, B);
impl_returns!(A, B, C);
impl_returns!(A, B, C, D);
impl_returns!(A, B, C, D, E);
impl_returns!(A, B, C, D, E, G);
impl_returns!(A, B, C, D, E, G, H);

/// Compiles only when `handler` answers `ApiResult<Json<T>>` (or a [`types::Paged`] list).
fn returns<T, Args, F: Returns<T, Args>>(_handler: &F) {}

macro_rules! body_schema {
    () => {
        None
    };
    ($t:ty) => {
        Some(BodySchema {
            name: <$t as utoipa::ToSchema>::name,
            schema: <$t as utoipa::PartialSchema>::schema,
            deps: <$t as utoipa::ToSchema>::schemas,
        })
    };
}

macro_rules! reads_back {
    () => {
        None
    };
    ($t:ty) => {
        Some(|v: &serde_json::Value| {
            <$t as serde::Deserialize>::deserialize(v).map(|_| ()).map_err(|e| e.to_string())
        })
    };
}

macro_rules! api {
    ($( $method:ident $path:literal => $handler:path $(: $resp:ty)?, $access:expr, $action:literal, $tag:literal, $summary:literal $(, $body:ty)? ; )*) => {
        /// Every endpoint, in registration order.
        pub fn endpoints() -> Vec<Endpoint> {
            vec![$( Endpoint {
                method: method_name(stringify!($method)),
                path: $path,
                access: $access,
                action: $action,
                tag: $tag,
                summary: $summary,
                body: body_schema!($($body)?),
                response: body_schema!($($resp)?),
                reads_back: reads_back!($($resp)?),
            }, )*]
        }

        /// The API router; every route behind its own authorization guard.
        pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
            let mut r = Router::new();
            $( $( returns::<$resp, _, _>(&$handler); )? )*
            $(
                let guard = Guard { state: state.clone(), access: $access, action: $action };
                r = r.route(
                    $path,
                    axum::routing::$method($handler)
                        .route_layer(axum::middleware::from_fn_with_state(guard, authorize)),
                );
            )*
            r
        }
    };
}

fn method_name(m: &'static str) -> &'static str {
    match m {
        "get" => "GET",
        "post" => "POST",
        "delete" => "DELETE",
        "put" => "PUT",
        "patch" => "PATCH",
        other => other,
    }
}

use duties::DutyDoneBody;
use types::*;

const READ_REQUESTS: &[P] = &[
    P::RequestSubmit,
    P::RequestRelay,
    P::RequestReview,
    P::InstructionIssue,
    P::InstructionRelay,
    P::FootageExtract,
    P::LedgerRead,
];
const EXTRACTORS: &[P] = &[P::FootageExtract, P::EmergencyExtract];
const INSTRUCTIONS: &[P] = &[P::InstructionIssue, P::InstructionRelay, P::FootageExtract];
const DESIGNATE: &[P] = &[P::RolesDesignate, P::AccountsAdminister];
const ORDERS: &[P] = &[
    P::EmergencyOrder,
    P::EmergencyExtract,
    P::EmergencyFile,
    P::ReconciliationReview,
    P::LedgerWrite,
];
const DELAY: &[P] = &[P::EmergencyFile, P::ReconciliationReview];

api! {
    post "/api/v1/auth/login" => session::login: session::LoggedIn, Access::Public, "login", "session", "Log in (cookie session or bearer token)", LoginBody;
    post "/api/v1/auth/logout" => session::logout: Done, Access::SelfService, "logout", "session", "Log out";
    get "/api/v1/me" => session::me: session::MeView, Access::SelfService, "me.read", "session", "Who am I: account, roles, pending duties";
    get "/api/v1/me/dashboard" => tasks::dashboard: tasks::Dashboard, Access::Authenticated, "me.dashboard", "session", "The home page in one answer: my tasks and the cameras' recording state";
    get "/api/v1/me/tasks" => tasks::my_tasks: tasks::Tasks, Access::SelfService, "me.tasks", "session", "What I must do now, and by when";
    post "/api/v1/me/password" => session::change_password: session::PasswordChanged, Access::SelfService, "me.password", "session", "Change my password", PasswordBody;
    post "/api/v1/me/acknowledge" => session::acknowledge: session::Acknowledged, Access::SelfService, "me.acknowledge", "session", "Acknowledge the confidentiality duty";
    post "/api/v1/me/totp" => session::totp_enrol: session::TotpEnrolment, Access::SelfService, "me.totp.enrol", "session", "Start TOTP enrolment (re-authenticates)", ReauthBody;
    post "/api/v1/me/totp/confirm" => session::totp_confirm: session::TotpConfirmed, Access::SelfService, "me.totp.confirm", "session", "Confirm TOTP with a code", CodeBody;
    post "/api/v1/me/recovery-codes" => session::renew_recovery: session::RecoveryCodes, Access::SelfService, "me.recovery_codes", "session", "A new set of recovery codes (re-authenticates; the old set stops working)", ReauthBody;
    post "/api/v1/me/tokens" => session::create_token: session::ApiToken, Access::Authenticated, "me.token", "session", "Create an API token", TokenBody;
    get "/api/v1/profile" => session::profile: session::ProfileView, Access::Authenticated, "profile.read", "session", "The active regulation profile";

    get "/api/v1/organisations" => admin::list_organisations: Vec<admin::OrganisationView>, Access::Perm(P::AccountsAdminister), "organisation.list", "accounts", "List organisations";
    post "/api/v1/organisations" => admin::create_organisation: admin::OrganisationView, Access::Perm(P::AccountsAdminister), "organisation.create", "accounts", "Create an organisation", OrganisationBody;
    get "/api/v1/organisations/{id}/retention" => admin::organisation_retention: admin::RetentionView, Access::Perm(P::RetentionSet), "retention.read", "retention", "One's own organisation's retention period, the profile's bounds and each camera's period (SAK-9)";
    post "/api/v1/organisations/{id}/retention" => admin::set_organisation_retention: admin::RetentionView, Access::Perm(P::RetentionSet), "retention.set", "retention", "Set one's own organisation's retention period within the profile's bounds (SAK-9)", RetentionBody;
    get "/api/v1/accounts" => admin::list_accounts: Vec<admin::AccountView>, Access::Perm(P::AccountsAdminister), "account.list", "accounts", "List accounts";
    post "/api/v1/accounts" => admin::create_account: admin::AccountView, Access::Perm(P::AccountsAdminister), "account.create", "accounts", "Create an account", AccountBody;
    post "/api/v1/accounts/{id}/activate" => admin::activate_account: admin::AccountView, Access::Perm(P::AccountsAdminister), "account.activate", "accounts", "Activate an outsider's account made by another administrator (PROD-SOD-6)";
    post "/api/v1/accounts/{id}/unlock" => admin::unlock_account: Done, Access::Perm(P::AccountsAdminister), "account.unlock", "accounts", "Unlock an account";
    post "/api/v1/accounts/{id}/disable" => admin::disable_account: Done, Access::Perm(P::AccountsAdminister), "account.disable", "accounts", "Disable an account and end its sessions";
    get "/api/v1/designations" => admin::list_designations: Vec<admin::DesignationView>, Access::AnyOf(DESIGNATE), "designation.list", "accounts", "List role designations";
    post "/api/v1/designations" => admin::designate: admin::DesignationView, Access::AnyOf(DESIGNATE), "designation.create", "accounts", "Designate an account to a role", DesignationBody;
    post "/api/v1/designations/{id}/revoke" => admin::revoke_designation: Done, Access::AnyOf(DESIGNATE), "designation.revoke", "accounts", "Revoke a designation";

    get "/api/v1/sites" => admin::list_sites: Vec<admin::SiteView>, Access::Authenticated, "site.list", "registry", "List sites";
    post "/api/v1/sites" => admin::create_site: admin::SiteView, Access::Perm(P::RegistryManage), "site.create", "registry", "Register a site", SiteBody;
    post "/api/v1/sites/{id}/signage-check" => admin::check_signage: Done, Access::Perm(P::RegistryManage), "site.signage_check", "registry", "Record a signage check";
    get "/api/v1/registry" => admin::registry: admin::Registry, Access::Authenticated, "registry.read", "registry", "The registry page in one answer: sites, cameras, their recording state and (for their keepers) the recorder nodes";
    get "/api/v1/cameras" => admin::list_cameras: Vec<admin::CameraView>, Access::Authenticated, "camera.list", "registry", "List cameras";
    post "/api/v1/cameras" => admin::create_camera: admin::CameraView, Access::Perm(P::RegistryManage), "camera.create", "registry", "Register a camera", CameraBody;
    get "/api/v1/cameras/{id}/masks" => admin::list_masks: Vec<admin::MasksView>, Access::AnyOf(&[P::MaskManage, P::RegistryManage]), "mask.list", "registry", "Every version of a camera's privacy masks";
    post "/api/v1/cameras/{id}/masks" => admin::set_masks: admin::MasksView, Access::Perm(P::MaskManage), "mask.change", "registry", "A new version of a camera's privacy masks, with a reason", MasksBody;
    post "/api/v1/cameras/{id}/onvif" => admin::set_camera_onvif: admin::CameraOnvif, Access::Perm(P::RegistryManage), "camera.onvif", "registry", "Change the camera's ONVIF service address, where its recorder sets its masks at the source (issue 24); empty: the recorder burns them in", CameraOnvifBody;
    post "/api/v1/cameras/{id}/stream-credentials" => admin::set_stream_credentials: admin::StreamCredentials, Access::Perm(P::RegistryManage), "camera.credentials", "registry", "Seal the user and password a camera asks for to the recorder node that records it (issue 21; the centre cannot read them back); both empty removes them", StreamCredentialsBody;
    get "/api/v1/workstations" => admin::list_workstations: Vec<admin::WorkstationView>, Access::Perm(P::WorkstationManage), "workstation.list", "registry", "List dedicated workstations";
    post "/api/v1/workstations" => admin::create_workstation: admin::WorkstationView, Access::Perm(P::WorkstationManage), "workstation.create", "registry", "Register a dedicated workstation", WorkstationBody;
    post "/api/v1/workstations/{id}/enrol-link" => admin::enrol_link: admin::EnrolLink, Access::Perm(P::WorkstationManage), "workstation.enrol_link", "registry", "A one-time link that enrols the PC which opens it (24 h)";
    get "/api/v1/room-entries" => room::list: room::RoomEntries, Access::Authenticated, "room.list", "registry", "Entries to the central room (KIT-5.5): all for the manager and auditors, one's own otherwise";
    post "/api/v1/room-entries" => room::enter: room::RoomEntryView, Access::Authenticated, "room.enter", "registry", "Record an entry to the central room now: one's own, or (by the manager) an approved person's (KIT-5.5)", RoomEntryBody;
    post "/api/v1/room-entries/{id}/leave" => room::leave: room::RoomEntryView, Access::Authenticated, "room.leave", "registry", "Record leaving the central room";
    get "/api/v1/nodes" => fleet::list: fleet::Nodes, Access::AnyOf(&[P::RegistryManage, P::RecorderOperate]), "node.list", "recorder", "The recorder nodes: state, cameras, last contact, storage (issue 21)";
    post "/api/v1/nodes" => fleet::register: fleet::RegisteredNode, Access::Perm(P::RegistryManage), "node.register", "recorder", "Register a recorder node and issue its one-time enrolment token (24 h)", NodeBody;
    post "/api/v1/nodes/enrol" => fleet::enrol: nodelink::enrol::Enrolled, Access::Public, "node.enrol", "recorder", "A node redeems its enrolment token with its certificate signing request", NodeEnrolBody;
    post "/api/v1/nodes/{id}/revoke" => fleet::revoke: fleet::NodeView, Access::Perm(P::RegistryManage), "node.revoke", "recorder", "Revoke a recorder node: it is never asked again", ReasonBody;
    post "/api/v1/workstations/enrol" => admin::redeem_enrolment: admin::Enrolled, Access::Public, "workstation.enrol", "registry", "Redeem an enrolment link's code on the PC that opened it (sets the device cookie)", EnrolCodeBody;
    post "/api/v1/workstations/{id}/enrol" => admin::enrol_workstation: admin::DeviceToken, Access::Perm(P::WorkstationManage), "workstation.enrol", "registry", "Issue the device token of a workstation";
    post "/api/v1/workstations/{id}/custody-check" => admin::custody_check: Done, Access::Perm(P::WorkstationManage), "workstation.custody_check", "registry", "Record a custody check";
    post "/api/v1/workstations/{id}/revoke" => admin::revoke_workstation: Done, Access::Perm(P::WorkstationManage), "workstation.revoke", "registry", "Revoke a lost or stolen workstation", ReasonBody;
    get "/api/v1/contracts" => admin::list_contracts: Vec<admin::ContractView>, Access::Perm(P::ContractManage), "contract.list", "registry", "List contracts";
    post "/api/v1/contracts" => admin::create_contract: admin::ContractView, Access::Perm(P::ContractManage), "contract.create", "registry", "Record a contract and its clause checklist", ContractBody;
    post "/api/v1/contracts/{id}/sign-off" => admin::sign_off_contract: Done, Access::Perm(P::ContractManage), "contract.sign_off", "registry", "Sign off a contract's clause checklist";

    get "/api/v1/requests" => footage::list_requests: Vec<footage::RequestView>, Access::AnyOf(READ_REQUESTS), "request.list", "footage", "List requests visible to me";
    post "/api/v1/requests" => footage::create_request: footage::RequestView, Access::Perm(P::RequestSubmit), "request.create", "footage", "File a request", RequestBody;
    get "/api/v1/requests/{id}" => footage::get_request: footage::RequestDetail, Access::AnyOf(READ_REQUESTS), "request.read", "footage", "Read a request with its instructions and extractions";
    post "/api/v1/requests/{id}/relay" => footage::relay_request: footage::RequestView, Access::Perm(P::RequestRelay), "request.relay", "footage", "Relay a request to the deciding manager";
    post "/api/v1/requests/{id}/approve" => footage::approve_request: footage::RequestView, Access::Perm(P::RequestReview), "request.approve", "footage", "Approve a request";
    post "/api/v1/requests/{id}/refuse" => footage::refuse_request: footage::RequestView, Access::Perm(P::RequestReview), "request.refuse", "footage", "Refuse a request with a reason", ReasonBody;
    post "/api/v1/requests/{id}/withdraw" => footage::withdraw_request: footage::RequestView, Access::Perm(P::RequestSubmit), "request.withdraw", "footage", "Withdraw my request";
    get "/api/v1/requests/{id}/certificate" => footage::certificate: footage::Certificate, Access::AnyOf(&[P::RequestReview, P::RequestSubmit]), "request.certificate", "footage", "The approval certificate of a request";
    post "/api/v1/internal-uses" => footage::create_internal_use: footage::InternalUse, Access::Perm(P::InstructionIssue), "request.internal", "footage", "Start an internal use on the manager's own judgement", InternalUseBody;
    get "/api/v1/instructions" => footage::list_instructions: Vec<footage::InstructionView>, Access::AnyOf(INSTRUCTIONS), "instruction.list", "footage", "Instructions issued by or to me";
    get "/api/v1/instructions/recipients" => footage::instruction_recipients: Vec<footage::Recipient>, Access::AnyOf(&[P::InstructionIssue, P::InstructionRelay]), "instruction.recipients", "footage", "Who may receive an instruction at a step of the chain";
    post "/api/v1/instructions" => footage::create_instruction: footage::InstructionView, Access::Perm(P::InstructionIssue), "instruction.create", "footage", "Issue an extraction instruction", InstructionBody;
    post "/api/v1/instructions/{id}/relay" => footage::relay_instruction: footage::InstructionView, Access::Perm(P::InstructionRelay), "instruction.relay", "footage", "Pass an instruction on to the extractor", RelayBody;
    post "/api/v1/instructions/{id}/extract" => footage::extract: footage::Extracted, Access::Perm(P::FootageExtract), "footage.extract", "footage", "Extract footage under an instruction addressed to me", ExtractBody;
    get "/api/v1/extractions/{id}/packages" => extraction::list: extraction::ExtractionPackages, Access::AnyOf(EXTRACTORS), "package.list", "footage", "The evidence packages of my extraction";
    get "/api/v1/extractions/{id}/packages.zip" => extraction::download_all, Access::AnyOf(EXTRACTORS), "footage.download_all", "footage", "Download every evidence package of my extraction still on the server as one zip, on the workstation it was made on (each package audited as downloaded)";
    get "/api/v1/packages/{id}/record" => extraction::record: extraction::PackageRecord, Access::AnyOf(&[P::LedgerRead, P::RequestReview]), "package.record", "footage", "What the records say about an evidence package: made for which request or order, recipient, manifest hash, ledger entry";
    get "/api/v1/packages/{id}" => extraction::download, Access::AnyOf(EXTRACTORS), "footage.download", "footage", "Download an evidence package I extracted, on the workstation it was made on";
    post "/api/v1/extractions/{id}/report" => footage::report_extraction: footage::ExtractionView, Access::Perm(P::FootageExtract), "extraction.report", "footage", "Report an extraction to the operations chief";
    get "/api/v1/ledger" => footage::list_ledger: Vec<footage::LedgerView>, Access::Perm(P::LedgerRead), "ledger.list", "footage", "The usage ledger";
    post "/api/v1/ledger" => footage::write_ledger: footage::LedgerView, Access::Perm(P::LedgerWrite), "ledger.write", "footage", "Write the ledger entry of a request", LedgerBody;
    get "/api/v1/viewings" => viewing::list_viewings: Vec<viewing::ViewingView>, Access::Perm(P::FootageView), "viewing.list", "footage", "Viewings of recorded footage";
    post "/api/v1/viewings" => viewing::create_viewing: viewing::ViewingView, Access::Perm(P::FootageView), "footage.view", "footage", "Record a viewing (cameras, a range ending the profile's delay before now, purpose, witnesses) on a dedicated PC; opens its playback session", ViewingBody;
    get "/api/v1/viewings/{id}" => viewing::get_viewing: viewing::ViewingDetail, Access::Perm(P::FootageView), "viewing.read", "footage", "A viewing: its record, its session, each camera's recorded spans";
    get "/api/v1/viewings/{id}/media" => viewing::media, Access::Perm(P::FootageView), "footage.play", "footage", "Recorded footage of a viewing as fragmented MP4 (?camera=&from=ms): the viewer's own session, on its PC, inside its cameras and range, never near the live edge; audited";
    post "/api/v1/viewings/{id}/played" => viewing::played: viewing::Played, Access::Perm(P::FootageView), "viewing.played", "footage", "Report a stretch the player played (summed per camera, audited at closing)", PlayedBody;
    post "/api/v1/viewings/{id}/judge-witnesses" => viewing::judge_witnesses: viewing::ViewingView, Access::Perm(P::FootageView), "viewing.witnesses_judged", "footage", "The manager finds the others named as present especially necessary (ASA-3.4a): the viewing's session opens";
    post "/api/v1/viewings/{id}/close" => viewing::close: viewing::ViewingView, Access::Perm(P::FootageView), "viewing.close", "footage", "Close my viewing: its record keeps what was seen";
    post "/api/v1/viewings/{id}/prints" => viewing::print: viewing::StillPrinted, Access::Perm(P::FootageView), "footage.print", "footage", "Print a still from my viewing where the profile allows it (ASA-3.4a), audited", PrintBody;

    get "/api/v1/delegations" => emergency::list_delegations: Vec<emergency::DelegationView>, Access::Perm(P::DelegationManage), "delegation.list", "emergency", "Written delegations to agencies";
    post "/api/v1/delegations" => emergency::create_delegation: emergency::DelegationView, Access::Perm(P::DelegationManage), "delegation.create", "emergency", "Record a written delegation", DelegationBody;
    post "/api/v1/delegations/{id}/revoke" => emergency::revoke_delegation: Done, Access::Perm(P::DelegationManage), "delegation.revoke", "emergency", "Revoke a delegation";
    get "/api/v1/emergency" => emergency::desk: emergency::EmergencyDesk, Access::AnyOf(ORDERS), "emergency.desk", "emergency", "The emergency page in one answer: orders, who may carry one out, the cameras, my packages";
    get "/api/v1/emergency/orders" => emergency::list_orders: Vec<emergency::OrderView>, Access::AnyOf(ORDERS), "emergency.list", "emergency", "Emergency orders, with follow-ups due";
    get "/api/v1/emergency/executors" => emergency::executors: Vec<emergency::Executor>, Access::Perm(P::EmergencyOrder), "emergency.executors", "emergency", "Who in my organisation may carry out an emergency extraction";
    post "/api/v1/emergency/orders" => emergency::create_order: emergency::OrderView, Access::Perm(P::EmergencyOrder), "emergency.order", "emergency", "Order an emergency extraction", OrderBody;
    post "/api/v1/emergency/orders/{id}/extract" => emergency::extract_order: emergency::OrderAnswer, Access::Perm(P::EmergencyExtract), "emergency.extract", "emergency", "Carry out an emergency extraction", ExtractBody;
    post "/api/v1/emergency/orders/{id}/file" => emergency::file_order: emergency::OrderAnswer, Access::Perm(P::EmergencyFile), "emergency.file", "emergency", "File the post-hoc request", FilingBody;
    post "/api/v1/emergency/orders/{id}/delay-reason" => emergency::delay_reason: Done, Access::AnyOf(DELAY), "emergency.delay_reason", "emergency", "Record why a filing came late", ReasonBody;
    post "/api/v1/emergency/orders/{id}/ledger" => emergency::ledger_order: emergency::OrderAnswer, Access::Perm(P::LedgerWrite), "emergency.ledger", "emergency", "Write the ledger entry on receipt of the filing", LedgerBody;
    post "/api/v1/emergency/orders/{id}/report" => emergency::report_order: emergency::OrderView, Access::Perm(P::LedgerWrite), "emergency.report", "emergency", "Report the ledger entry to the operations chief (NIS-11.2), which closes the order";
    post "/api/v1/emergency/orders/{id}/review-flag" => emergency::review_flag: emergency::OrderView, Access::Perm(P::ReconciliationReview), "emergency.flag_review", "emergency", "Record the review of an order given outside the window (PROD-EMERG-1)", NoteBody;
    post "/api/v1/reconciliation/histories" => emergency::submit_history: emergency::HistorySubmitted, Access::Perm(P::ReconciliationSubmit), "reconciliation.submit", "emergency", "Submit a month's extraction history", HistoryBody;
    post "/api/v1/reconciliation/run" => emergency::run_reconciliation: emergency::Reconciled, Access::Perm(P::ReconciliationReview), "reconciliation.run", "emergency", "Reconcile a month", MonthBody;
    get "/api/v1/reconciliation/incidents" => emergency::list_incidents: Vec<emergency::IncidentView>, Access::Perm(P::ReconciliationReview), "reconciliation.list", "emergency", "Reconciliation incidents";
    post "/api/v1/reconciliation/incidents/{id}/close" => emergency::close_incident: Done, Access::Perm(P::ReconciliationReview), "reconciliation.close", "emergency", "Close an incident with a note", NoteBody;

    get "/api/v1/duties" => duties::list_duties: Vec<duties::DutyView>, Access::Authenticated, "duty.list", "duties", "The recurring duties I do or oversee: what is owed, by when, what was done";
    post "/api/v1/duties/{duty}/done" => duties::record_done: duties::DutyDone, Access::Authenticated, "duty.done", "duties", "Record a duty done by a person (an access review, a device password changed, the report published)", DutyDoneBody;

    get "/api/v1/holds" => holds::list_holds: Vec<holds::HoldView>, Access::Perm(P::HoldManage), "hold.list", "retention", "Retention holds";
    post "/api/v1/holds" => holds::create_hold: holds::HoldView, Access::Perm(P::HoldManage), "hold.create", "retention", "Place a retention hold", HoldBody;
    post "/api/v1/holds/{id}/release" => holds::release_hold: Done, Access::Perm(P::HoldManage), "hold.release", "retention", "Release a hold";
    get "/api/v1/recorder/status" => holds::recorder_status: holds::RecorderStatus, Access::Authenticated, "recorder.status", "recorder", "Recording state of each camera (no live view)";
    get "/api/v1/audit" => holds::search_audit: Vec<holds::AuditEntryView>, Access::Perm(P::AuditRead), "audit.search", "audit", "Search the audit log";
    get "/api/v1/audit/verify" => holds::verify_audit: holds::AuditVerified, Access::Perm(P::AuditRead), "audit.verify", "audit", "Verify the audit chain";

    post "/api/v1/public/complaints" => lifecycle::public_complaint: lifecycle::ComplaintReceipt, Access::Public, "complaint.receive", "transparency", "Send a complaint or inquiry (public form, no login)", ComplaintBody;
    get "/api/v1/public/audit" => holds::public_audit: holds::PublicAudit, Access::Public, "audit.public", "transparency", "The audit log's public key, its newest signed checkpoints (keep copies: they make a cut tail detectable) and whether it is halted";
    get "/api/v1/public/city" => lifecycle::public_city: lifecycle::PublicCity, Access::Public, "city.public", "transparency", "The city whose system this is (for the public pages)";
    get "/api/v1/public/emblem" => lifecycle::public_emblem, Access::Public, "city.emblem", "transparency", "The city's emblem for the pages' header, when the city configured one (404 otherwise)";
    get "/api/v1/public/cameras" => lifecycle::public_cameras: lifecycle::PublicCameras, Access::Public, "camera.public", "transparency", "Where the cameras are and what their signs say (open data; ?format=csv)";
    get "/api/v1/complaints" => lifecycle::list_complaints: Vec<lifecycle::ComplaintView>, Access::Perm(P::ComplaintHandle), "complaint.list", "transparency", "The complaints register (overdue ones escalated)";
    post "/api/v1/complaints" => lifecycle::create_complaint: lifecycle::ComplaintView, Access::Perm(P::ComplaintHandle), "complaint.create", "transparency", "Record a complaint received by phone, counter or mail", ComplaintBody;
    post "/api/v1/complaints/{id}/respond" => lifecycle::respond_complaint: lifecycle::ComplaintView, Access::Perm(P::ComplaintHandle), "complaint.respond", "transparency", "Record the answer to a complaint", ResponseBody;
    post "/api/v1/complaints/{id}/close" => lifecycle::close_complaint: lifecycle::ComplaintView, Access::Perm(P::ComplaintHandle), "complaint.close", "transparency", "Close an answered complaint";
    get "/api/v1/public/rules-doc" => lifecycle::rules_doc: lifecycle::RulesDocView, Access::Public, "rules_doc.read", "transparency", "The installer's rules document (KAW-2.2.7), from the live configuration: public, it names no person";
    get "/api/v1/reports/annual" => lifecycle::annual_report: lifecycle::AnnualReportView, Access::Perm(P::ReportPublish), "report.annual", "transparency", "The yearly public report of a fiscal year as it stands now (?fiscal_year=2026), before publication";
    post "/api/v1/reports/annual/publish" => lifecycle::publish_report: lifecycle::PublishedReportView, Access::Perm(P::ReportPublish), "report.publish", "transparency", "Publish an ended fiscal year's report (KIT-8): frozen as published, a correction is a new version", PublishReportBody;
    get "/api/v1/public/reports" => lifecycle::public_reports: lifecycle::PublicReports, Access::Public, "report.public_list", "transparency", "The published yearly reports (newest version of each year)";
    get "/api/v1/public/reports/{fy}" => lifecycle::public_report: lifecycle::PublicReport, Access::Public, "report.public", "transparency", "A fiscal year's report as published (newest version), with its version and date";
    post "/api/v1/cameras/{id}/commission" => lifecycle::commission_camera: lifecycle::Commissioned, Access::Perm(P::RegistryManage), "camera.commission", "registry", "Commission a camera: its aim and masks checked; where the camera holds the footage, its overwrite cycle (NIS-2, NIS-6)", lifecycle::CommissionBody;
    post "/api/v1/cameras/{id}/footage-checks" => lifecycle::record_footage_check: lifecycle::FootageCheckRecorded, Access::Perm(P::RegistryManage), "camera.footage_check", "registry", "Record the day of the oldest footage a camera holds itself; its age against the retention band, an incident on drift (NIS-2, NIS-6, PROD-DUTY-6)", lifecycle::FootageCheckBody;
    get "/api/v1/cameras/{id}/footage-checks" => lifecycle::list_footage_checks: lifecycle::FootageChecks, Access::Perm(P::RegistryManage), "camera.footage_checks", "registry", "The checks of the footage a camera holds itself";
    get "/api/v1/cameras/{id}/still" => lifecycle::camera_still, Access::AnyOf(&[P::MaskManage, P::RegistryManage, P::FootageExtract]), "camera.still", "registry", "The still for checking aim and masks: before commissioning, or under an instructed extraction (?extraction=id) before its ledger entry (ALL-REC-2)";
    post "/api/v1/cameras/{id}/decommission" => lifecycle::decommission_camera: lifecycle::Decommissioned, Access::Perm(P::RegistryManage), "camera.decommission", "registry", "Decommission a camera, with a reason", ReasonBody;
    get "/api/v1/disposals" => lifecycle::list_disposals: Vec<lifecycle::DisposalView>, Access::Perm(P::DisposalConfirm), "disposal.list", "registry", "Disposals of recorders";
    post "/api/v1/disposals" => lifecycle::create_disposal: lifecycle::DisposalView, Access::Perm(P::DisposalConfirm), "disposal.create", "registry", "Record the disposal of a recorder whose footage keys are all destroyed", DisposalBody;
    post "/api/v1/disposals/{id}/confirm" => lifecycle::confirm_disposal: lifecycle::DisposalView, Access::Perm(P::DisposalConfirm), "disposal.confirm", "registry", "Confirm a disposal (several people, the manager among them)";
    get "/api/v1/disposals/{id}/certificate" => lifecycle::disposal_certificate: lifecycle::DisposalView, Access::Perm(P::DisposalConfirm), "disposal.certificate", "registry", "The certificate of a completed disposal";
}

/// A JSON body whose rejections (malformed JSON, unknown fields, wrong types, too large) are
/// problem documents.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(json_error(&e)
                .map_or_else(|| ApiError::invalid("body", Msg::new("json_shape")), json_problem)),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(json_error(&e)
                .map_or_else(|| ApiError::malformed(Msg::new("malformed_json")), json_problem)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::malformed(Msg::new("json_content_type")))
            }
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                let mut err = ApiError::malformed(Msg::new("body_too_large"));
                err.0.status = 413;
                err.0.title = "Payload Too Large".into();
                Err(err)
            }
            Err(e) => Err(ApiError::bad_request(e.body_text())),
        }
    }
}

/// The JSON error under an axum rejection, with the path to the value at fault (axum reads
/// bodies through `serde_path_to_error`).
fn json_error(e: &dyn std::error::Error) -> Option<&serde_path_to_error::Error<serde_json::Error>> {
    let mut next = e.source();
    while let Some(err) = next {
        if let Some(found) = err.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>() {
            return Some(found);
        }
        next = err.source();
    }
    None
}

/// JSON that breaks off or goes wrong: where, by line and character.
fn broken_json(e: &serde_json::Error) -> ApiError {
    ApiError::malformed(
        Msg::new("malformed_json_at").with("line", e.line()).with("column", e.column()),
    )
}

/// A body that is not JSON, or JSON but not the shape asked for, said in the catalogue's
/// words: where the JSON breaks off, or the field at fault and whether it is missing, unknown,
/// of the wrong type or not one of its values (issue 19, item 3 — serde's own English is kept
/// only as a parameter of the last resort).
fn json_problem(err: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    if err.inner().classify() != serde_json::error::Category::Data {
        return broken_json(err.inner());
    }
    let path = err.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let inner = err.inner().to_string();
    // serde_json appends the position; the words before it are serde's message.
    let message = inner.rsplit_once(" at line ").map_or(inner.as_str(), |(m, _)| m);
    let quoted = |m: &str| m.split('`').nth(1).map(str::to_owned);
    let join =
        |field: &str| if path.is_empty() { field.to_owned() } else { format!("{path}.{field}") };
    let field_or_body = if path.is_empty() { "body".to_owned() } else { path.clone() };
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = quoted(rest).unwrap_or_default();
        return ApiError::invalid(&join(&field), Msg::new("required"));
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        // The path already ends at the unknown field.
        let field = if path.is_empty() { quoted(rest).unwrap_or_default() } else { path };
        return ApiError::invalid(&field, Msg::new("json_unknown_field"));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let value = quoted(rest).unwrap_or_default();
        let choices: Vec<&str> = rest
            .split_once("expected ")
            .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let msg = Msg::new("one_of").with("choices", choices.join(", ")).with("value", value);
        return ApiError::invalid(&field_or_body, msg);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let expected = rest.split_once(", expected ").map_or("", |(_, x)| x);
        let msg = Msg::new("json_wrong_type").with("expected", expected);
        return ApiError::invalid(&field_or_body, msg);
    }
    ApiError::invalid(&field_or_body, Msg::new("json_bad_value").with("error", message))
}

/// An optional JSON body: empty means `T::default()`; otherwise parsed like [`Body`].
pub struct MaybeBody<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for MaybeBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::malformed(Msg::new("body_unreadable")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(MaybeBody(T::default()));
        }
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut json).map_err(|e| json_problem(&e))?;
        json.end().map_err(|e| broken_json(&e))?;
        Ok(MaybeBody(value))
    }
}

/// An `{id}` path segment that must be a positive integer.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::malformed(Msg::new("not_record_id").with("value", "")))?;
        raw.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Id)
            .ok_or_else(|| ApiError::invalid("id", Msg::new("not_record_id").with("value", raw)))
    }
}

/// The OpenAPI document of every registered endpoint.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{
        HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
    };
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    };
    use utoipa::openapi::{
        ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, PathsBuilder, Ref,
        ResponseBuilder,
    };

    let mut components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    let mut schemas: Vec<(String, RefOr<Schema>)> = Vec::new();
    schemas.push(("Problem".into(), <crate::error::Problem as utoipa::PartialSchema>::schema()));
    <crate::error::Problem as utoipa::ToSchema>::schemas(&mut schemas);
    let mut paths = PathsBuilder::new();
    for ep in endpoints() {
        let method = match ep.method {
            "GET" => HttpMethod::Get,
            "DELETE" => HttpMethod::Delete,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            _ => HttpMethod::Post,
        };
        let perms: Vec<_> = ep.access.permissions().iter().map(|p| p.key()).collect();
        let who = match ep.access {
            Access::Public => "Public.".to_owned(),
            Access::SelfService => "Any logged-in user.".to_owned(),
            Access::Authenticated => "Any logged-in user who has acknowledged the confidentiality duty and rotated an expired password.".to_owned(),
            _ => format!("Requires the permission {} (granted by the active profile's roles).", perms.join(" or ")),
        };
        let problem = || {
            ResponseBuilder::new()
                .description("Problem details (RFC 9457), with the rule ID when a rule refused it")
                .content(
                    "application/problem+json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build()
        };
        let mut op = OperationBuilder::new()
            .summary(Some(ep.summary))
            .description(Some(who))
            .operation_id(Some(format!("{} {}", ep.method, ep.path)))
            .tag(ep.tag)
            .response(
                "200",
                match ep.response {
                    Some(b) => {
                        (b.deps)(&mut schemas);
                        ResponseBuilder::new()
                            .description("OK")
                            .content(
                                "application/json",
                                ContentBuilder::new().schema(Some((b.schema)())).build(),
                            )
                            .build()
                    }
                    None => ResponseBuilder::new().description("OK (JSON)").build(),
                },
            )
            .response("400", problem())
            .response("422", problem());
        if ep.access != Access::Public {
            op = op
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .security(SecurityRequirement::new("cookie", Vec::<String>::new()))
                .response("401", problem())
                .response("403", problem());
        }
        if ep.path.contains("{id}") {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(utoipa::openapi::Required::True)
                    .schema(Some(<i64 as utoipa::PartialSchema>::schema()))
                    .build(),
            );
        }
        if ep.path.contains("{duty}") {
            op = op.parameter(
                ParameterBuilder::new()
                    .name("duty")
                    .parameter_in(ParameterIn::Path)
                    .required(utoipa::openapi::Required::True)
                    .schema(Some(<String as utoipa::PartialSchema>::schema()))
                    .build(),
            );
        }
        if let Some(b) = ep.body {
            let name = (b.name)().to_string();
            schemas.push((name.clone(), (b.schema)()));
            (b.deps)(&mut schemas);
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(utoipa::openapi::Required::True))
                    .content(
                        "application/json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name(name))).build(),
                    )
                    .build(),
            ));
        }
        paths = paths.path(ep.path, PathItem::new(method, op.build()));
    }
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("mimamori governance API")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components.build()))
        .build()
}
