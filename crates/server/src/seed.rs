//! Seeding a city through its own API: the administrator, a second account administrator, one
//! organisation per kind a role needs, one designated account per role, the contract a
//! contractor works under, sites, cameras and a dedicated PC per organisation that extracts.
//!
//! One path for the demo and for the tests (issue 23, item 8): the demo calls the API in
//! process, the tests over HTTP, both through [`Client`]; what differs between them (names,
//! passwords, dates, cameras) is the [`Plan`]. Every step is an API call a person could make —
//! the designations follow the profile's designating roles (PROD-SOD-5/6) — so a seed never
//! holds a state the API could not have produced.

use crate::bootstrap;
use jiff::Timestamp;
use policy::profile::{OrgKind, RoleDef};
use policy::{Permission, Profile};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use store::Db;

/// What went wrong while seeding.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// An API call was refused or failed: the call and the answer.
    #[error("{0}")]
    Call(String),
    /// The profile cannot be seeded as planned.
    #[error("{0}")]
    Plan(String),
    /// The administrator could not be created.
    #[error("creating the administrator: {0}")]
    Bootstrap(String),
}

/// The API as a seeding caller reaches it.
pub trait Client {
    /// POSTs `body` to `path` with bearer `token` (none: no session); the JSON answer, or a
    /// description of the failed call (method, path, status, answer).
    fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> impl Future<Output = Result<Value, String>>;
}

/// A camera to register: its API body without `site_id`, the index of its site in
/// [`Plan::sites`], and the commissioning body when it goes into operation at once.
pub struct CameraPlan {
    /// Index into [`Plan::sites`].
    pub site: usize,
    /// `POST /api/v1/cameras` body; `site_id` is filled in.
    pub body: Value,
    /// `POST /api/v1/cameras/{id}/commission` body, when commissioned.
    pub commission: Option<Value>,
}

/// When a role with a maximum term (PROD-TERM-1) is designated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBoxed {
    /// Now, for the longest term the role allows.
    Now,
    /// Later, by the caller (the demo designates them after its history, so the term runs from
    /// the demo's now): listed in [`Seeded::late`], and their account designates nobody.
    Later,
}

/// What differs between seeds.
pub struct Plan<'a> {
    /// The regulation profile.
    pub profile: &'a Profile,
    /// Every account's initial password.
    pub initial_password: &'a str,
    /// The password each account sets at its first login.
    pub password: &'a str,
    /// The display name of the second account administrator.
    pub registrar_name: &'a str,
    /// The name of the organisation of a kind (`police`, `contractor`, …).
    pub org_name: &'a dyn Fn(&str) -> String,
    /// The contract's validity (RFC 3339), when a contractor role exists.
    pub contract_valid: (String, String),
    /// The reference of a designation document (NIS-10.3) for a login and account id.
    pub document_ref: &'a dyn Fn(&str, i64) -> String,
    /// When time-boxed roles are designated.
    pub time_boxed: TimeBoxed,
    /// The clock's now (terms of time-boxed roles designated now).
    pub now: Timestamp,
    /// `POST /api/v1/sites` bodies; `owner_org_id` is filled in with the organisation of the
    /// profile's first kind of camera owner.
    pub sites: Vec<Value>,
    /// The cameras.
    pub cameras: Vec<CameraPlan>,
}

/// An account the seed made, logged in.
#[derive(Debug, Clone)]
pub struct Person {
    /// Login name.
    pub login: String,
    /// Account id.
    pub account_id: i64,
    /// A bearer session.
    pub token: String,
    /// Organisation id.
    pub org_id: i64,
    /// Role id (for a deferred time-boxed role: the role it will be designated).
    pub role: String,
    /// Organisation kind, as the profile spells it.
    pub org_kind: String,
}

/// What a seed made.
#[derive(Debug)]
pub struct Seeded {
    /// The administrator.
    pub admin: Person,
    /// The second account administrator (same role as the administrator).
    pub registrar: Person,
    /// One account per role, in the order they were made (deferred ones included).
    pub people: Vec<Person>,
    /// Organisation kind → id.
    pub orgs: HashMap<String, i64>,
    /// Organisation kind → (workstation id, device token).
    pub workstations: HashMap<String, (i64, String)>,
    /// Site answers, in plan order.
    pub sites: Vec<Value>,
    /// Camera answers, in plan order.
    pub cameras: Vec<Value>,
    /// Time-boxed designations left to the caller: (account id, role, designator role).
    pub late: Vec<(i64, String, String)>,
}

impl Seeded {
    /// The designated person holding `role`.
    pub fn holding(&self, role: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.role == role)
    }
}

/// The profile's spelling of an organisation kind.
pub fn kind_str(k: &OrgKind) -> String {
    k.as_str().to_owned()
}

fn id_of(v: &Value, what: &str) -> Result<i64, SeedError> {
    v["id"].as_i64().ok_or_else(|| SeedError::Call(format!("{what}: no id in {v}")))
}

async fn post<C: Client>(c: &C, path: &str, token: &str, body: Value) -> Result<Value, SeedError> {
    c.post(path, Some(token), body).await.map_err(SeedError::Call)
}

/// First login: the duty acknowledged and the initial password replaced; the session's token
/// and account id.
async fn onboard<C: Client>(
    c: &C,
    plan: &Plan<'_>,
    login: &str,
) -> Result<(String, i64), SeedError> {
    let v = c
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "login": login, "password": plan.initial_password, "session": "bearer" }),
        )
        .await
        .map_err(SeedError::Call)?;
    let token = v["token"]
        .as_str()
        .ok_or_else(|| SeedError::Call(format!("login {login}: no token in {v}")))?
        .to_owned();
    let id = v["account_id"]
        .as_i64()
        .ok_or_else(|| SeedError::Call(format!("login {login}: no account id in {v}")))?;
    post(c, "/api/v1/me/acknowledge", &token, json!({})).await?;
    post(
        c,
        "/api/v1/me/password",
        &token,
        json!({ "current_password": plan.initial_password, "new_password": plan.password }),
    )
    .await?;
    Ok((token, id))
}

/// Seeds a city by `plan` on an empty database.
pub async fn seed<C: Client>(c: &C, db: &Db, plan: &Plan<'_>) -> Result<Seeded, SeedError> {
    let profile = plan.profile;
    let admin_role = bootstrap::admin_role(profile)
        .ok_or_else(|| SeedError::Plan("the profile has no administrator role".into()))?
        .clone();
    let admin_kind =
        admin_role.organisations.first().map(kind_str).ok_or_else(|| {
            SeedError::Plan("the administrator role names no organisation".into())
        })?;
    let a = bootstrap::create_admin(
        db,
        profile,
        "管理部署",
        "admin",
        "管理者",
        plan.initial_password,
        plan.now.as_millisecond(),
    )
    .await
    .map_err(|e| SeedError::Bootstrap(e.to_string()))?;
    let (token, id) = onboard(c, plan, "admin").await?;
    let admin = Person {
        login: "admin".into(),
        account_id: id,
        token,
        org_id: a.organisation_id,
        role: admin_role.id.clone(),
        org_kind: admin_kind.clone(),
    };
    // A second account administrator makes the other accounts, so that the administrator —
    // who decides requests in some profiles — made none of the requesters' (PROD-SOD-5).
    let reg = post(c, "/api/v1/accounts", &admin.token, json!({ "login": "registrar", "display_name": plan.registrar_name, "organisation_id": a.organisation_id, "initial_password": plan.initial_password })).await?;
    let reg_id = id_of(&reg, "registrar account")?;
    post(
        c,
        "/api/v1/designations",
        &admin.token,
        json!({ "account_id": reg_id, "role": admin_role.id }),
    )
    .await?;
    let (token, _) = onboard(c, plan, "registrar").await?;
    let registrar = Person {
        login: "registrar".into(),
        account_id: reg_id,
        token,
        org_id: a.organisation_id,
        role: admin_role.id.clone(),
        org_kind: admin_kind.clone(),
    };

    // One organisation for every kind a role needs.
    let mut orgs: HashMap<String, i64> = HashMap::new();
    orgs.insert(admin_kind, a.organisation_id);
    for r in &profile.roles {
        let Some(kind) = r.organisations.first().map(kind_str) else { continue };
        if let std::collections::hash_map::Entry::Vacant(slot) = orgs.entry(kind) {
            let body = json!({ "kind": slot.key(), "name": (plan.org_name)(slot.key()) });
            let v = post(c, "/api/v1/organisations", &admin.token, body).await?;
            slot.insert(id_of(&v, "organisation")?);
        }
    }

    // One account per role, designated by whoever the profile says designates it.
    let mut tokens: HashMap<String, String> = HashMap::new();
    tokens.insert(admin_role.id.clone(), admin.token.clone());
    let holder = |perm: Permission, tokens: &HashMap<String, String>| {
        profile
            .roles
            .iter()
            .filter(|r| r.permissions.contains(&perm))
            .find_map(|r| tokens.get(&r.id).cloned())
    };
    let mut pending: Vec<RoleDef> =
        profile.roles.iter().filter(|r| r.id != admin_role.id).cloned().collect();
    let mut people = Vec::new();
    let mut late = Vec::new();
    let mut contract_done = false;
    while !pending.is_empty() {
        let before = pending.len();
        let mut next = Vec::new();
        for role in pending {
            let designator = if role.designated_by.is_empty() {
                Some(admin.token.clone())
            } else {
                role.designated_by.iter().find_map(|d| tokens.get(d).cloned())
            };
            let Some(designator) = designator else {
                next.push(role);
                continue;
            };
            let kind = role.organisations.first().map(kind_str).unwrap_or_default();
            let org = *orgs
                .get(&kind)
                .ok_or_else(|| SeedError::Plan(format!("no organisation for role {}", role.id)))?;
            // Contractors log in only under a signed-off contract (ASA-3.7).
            if role.organisations.first() == Some(&OrgKind::Contractor) && !contract_done {
                let Some(mgr) = holder(Permission::ContractManage, &tokens) else {
                    next.push(role);
                    continue;
                };
                let clauses: Vec<Value> =
                    (1..=7).map(|n| json!({ "clause": n, "included": true })).collect();
                let ct = post(c, "/api/v1/contracts", &mgr, json!({ "organisation_id": org, "title": "録画装置保守委託", "scope": "録画装置の保守点検", "clauses": clauses, "valid_from": plan.contract_valid.0, "valid_until": plan.contract_valid.1 })).await?;
                let ct = id_of(&ct, "contract")?;
                post(c, &format!("/api/v1/contracts/{ct}/sign-off"), &mgr, json!({})).await?;
                contract_done = true;
            }
            let login = format!("u_{}", role.id);
            let acc = post(c, "/api/v1/accounts", &registrar.token, json!({ "login": login, "display_name": role.name_ja, "organisation_id": org, "initial_password": plan.initial_password })).await?;
            let account_id = id_of(&acc, "account")?;
            if acc["pending_activation"] == true {
                // An outsider's account the city made: a second administrator activates it
                // (PROD-SOD-6).
                post(
                    c,
                    &format!("/api/v1/accounts/{account_id}/activate"),
                    &admin.token,
                    json!({}),
                )
                .await?;
            }
            let deferred = role.max_term_days.is_some() && plan.time_boxed == TimeBoxed::Later;
            if deferred {
                let by = role
                    .designated_by
                    .iter()
                    .find(|d| tokens.contains_key(*d))
                    .cloned()
                    .unwrap_or_else(|| admin_role.id.clone());
                late.push((account_id, role.id.clone(), by));
            } else {
                let mut body = json!({ "account_id": account_id, "role": role.id });
                if role.designation_document.is_some() {
                    // NIS-10.3: the head's notification of the staff, as received.
                    body["document_ref"] = json!((plan.document_ref)(&login, account_id));
                }
                if let Some(days) = role.max_term_days {
                    let until =
                        plan.now + jiff::SignedDuration::from_hours(i64::from(days) * 24 - 1);
                    body["valid_until"] = json!(policy::jst::rfc3339(until));
                }
                post(c, "/api/v1/designations", &designator, body).await?;
            }
            let (token, _) = onboard(c, plan, &login).await?;
            if !deferred {
                tokens.insert(role.id.clone(), token.clone());
            }
            people.push(Person {
                login,
                account_id,
                token,
                org_id: org,
                role: role.id.clone(),
                org_kind: kind,
            });
        }
        if next.len() == before {
            return Err(SeedError::Plan(format!(
                "cannot designate roles {:?}",
                next.iter().map(|r| &r.id).collect::<Vec<_>>()
            )));
        }
        pending = next;
    }

    // Registry: sites owned by the profile's first kind of camera owner (the city; Saku: a
    // facility), and their cameras.
    let reg = holder(Permission::RegistryManage, &tokens)
        .ok_or_else(|| SeedError::Plan("nobody manages the registry".into()))?;
    let owner = profile.ownership.owners.first().map(kind_str).and_then(|k| orgs.get(&k).copied());
    let mut sites = Vec::new();
    for body in &plan.sites {
        let mut body = body.clone();
        if let Some(o) = owner {
            body["owner_org_id"] = json!(o);
        }
        sites.push(post(c, "/api/v1/sites", &reg, body).await?);
    }
    let mut cameras = Vec::new();
    for cam in &plan.cameras {
        let site = sites
            .get(cam.site)
            .ok_or_else(|| SeedError::Plan(format!("camera plan names site {}", cam.site)))?;
        let mut body = cam.body.clone();
        body["site_id"] = site["id"].clone();
        let v = post(c, "/api/v1/cameras", &reg, body).await?;
        if let Some(commission) = &cam.commission {
            let id = id_of(&v, "camera")?;
            post(c, &format!("/api/v1/cameras/{id}/commission"), &reg, commission.clone()).await?;
        }
        cameras.push(v);
    }

    // A dedicated workstation for every organisation whose kind the profile gives a PC.
    let wsm = holder(Permission::WorkstationManage, &tokens)
        .ok_or_else(|| SeedError::Plan("nobody manages workstations".into()))?;
    let mut workstations = HashMap::new();
    let mut kinds: Vec<(&String, &i64)> = orgs.iter().collect();
    kinds.sort();
    for (kind, org) in kinds {
        let Some(k) = OrgKind::parse(kind) else { continue };
        let Some(placement) = profile.workstations.placements.iter().find(|p| p.kinds.contains(&k))
        else {
            continue;
        };
        let ws = post(c, "/api/v1/workstations", &wsm, json!({ "code": format!("PC-{kind}"), "name": format!("専用パソコン（{kind}）"), "placement": placement.id, "organisation_id": org, "storage": "施錠できる保管庫" })).await?;
        let ws_id = id_of(&ws, "workstation")?;
        let e = post(c, &format!("/api/v1/workstations/{ws_id}/enrol"), &wsm, json!({})).await?;
        let device = serde_json::from_value::<crate::api::admin::DeviceToken>(e)
            .map_err(|err| SeedError::Call(format!("enrolment: {err}")))?
            .device_token;
        workstations.insert(kind.clone(), (ws_id, device));
    }
    Ok(Seeded { admin, registrar, people, orgs, workstations, sites, cameras, late })
}
