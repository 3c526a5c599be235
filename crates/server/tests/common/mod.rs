//! Test harness: a real server on a random loopback port, a manual clock, and a "world" with one
//! account per role of a profile, created through the API the way an administrator would.

#![allow(clippy::unwrap_used, dead_code, unused_imports)] // tests unwrap: a panic is the failure report

use jiff::Timestamp;
use policy::{Permission, Profile};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::clock::Clock;
use server::state::AppState;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use testkit::{BACKENDS, Backend};

/// A running server.
pub struct Server {
    pub base: String,
    pub clock: Clock,
    pub state: Arc<AppState>,
    pub db: String,
    pub key: PathBuf,
    pub profile_id: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn start(profile_id: &str, db: &str, key: &Path, clock: Clock) -> Server {
        let profile = policy::resolve_seed(profile_id).unwrap();
        let app = server::build(server::Config {
            db: db.into(),
            profile,
            key_path: key.into(),
            clock: clock.clone(),
            secure_cookies: true,
        })
        .await
        .unwrap();
        let state = app.state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server::serve_on(app, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Server {
            base,
            clock,
            state,
            db: db.into(),
            key: key.into(),
            profile_id: profile_id.into(),
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops and starts again on the same database and key: nothing may be lost.
    pub async fn restart(mut self) -> Server {
        self.shutdown().await;
        Server::start(&self.profile_id, &self.db, &self.key, self.clock.clone()).await
    }

    pub async fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }
}

/// An account with its bearer token and (when it has one) its workstation's device token.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub token: String,
    pub org: i64,
    pub role: String,
    pub ws: Option<String>,
}

/// HTTP calls.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api { http: reqwest::Client::new(), base: base.into() }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        user: Option<&User>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{}", self.base, path);
        let mut rb = self.http.request(method.parse().unwrap(), url);
        if let Some(u) = user {
            rb = rb.bearer_auth(&u.token);
            if let Some(ws) = &u.ws {
                rb = rb.header("x-mimamori-workstation", ws);
            }
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str, user: &User) -> (StatusCode, Value) {
        self.call("GET", path, Some(user), None).await
    }

    pub async fn post(&self, path: &str, user: &User, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, Some(user), Some(body)).await
    }

    /// POST that must succeed.
    pub async fn ok(&self, path: &str, user: &User, body: Value) -> Value {
        let (s, v) = self.post(path, user, body).await;
        assert_eq!(s, StatusCode::OK, "POST {path} as {} ({}): {v:#}", user.login, user.role);
        v
    }

    /// Logs in with a password; returns the bearer token.
    pub async fn login(&self, login: &str, password: &str) -> (StatusCode, Value) {
        self.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({ "login": login, "password": password, "session": "bearer" })),
        )
        .await
    }
}

pub const INITIAL: &str = "initial-password-0";
pub const PASSWORD: &str = "a-long-enough-password-1";

/// First login: acknowledge the duty and rotate the initial password.
pub async fn onboard(api: &Api, login: &str, role: &str, org: i64) -> User {
    let (s, v) = api.login(login, INITIAL).await;
    assert_eq!(s, StatusCode::OK, "login {login}: {v}");
    let mut u = User {
        id: v["account_id"].as_i64().unwrap(),
        login: login.into(),
        token: v["token"].as_str().unwrap().into(),
        org,
        role: role.into(),
        ws: None,
    };
    api.ok("/api/v1/me/acknowledge", &u, json!({})).await;
    api.ok(
        "/api/v1/me/password",
        &u,
        json!({ "current_password": INITIAL, "new_password": PASSWORD }),
    )
    .await;
    // The token survives the change (only other sessions end).
    u.token = u.token.clone();
    u
}

/// Everything a test needs: a server and one user per role.
pub struct World {
    pub srv: Server,
    pub api: Api,
    pub profile: Profile,
    pub admin: User,
    /// A second account administrator, who makes the other accounts: the administrator, who
    /// decides requests in some profiles, made none of them (PROD-SOD-5).
    pub registrar: User,
    pub users: HashMap<String, User>,
    pub orgs: HashMap<String, i64>,
    pub cameras: Vec<String>,
    pub dir: tempfile::TempDir,
}

pub fn t(s: &str) -> Timestamp {
    policy::jst::parse_rfc3339(s).unwrap()
}

use server::seed::kind_str;

impl server::seed::Client for Api {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Result<Value, String> {
        let user = token.map(|t| User {
            id: 0,
            login: String::new(),
            token: t.to_owned(),
            org: 0,
            role: String::new(),
            ws: None,
        });
        let (s, v) = self.call("POST", path, user.as_ref(), Some(body)).await;
        if s == StatusCode::OK { Ok(v) } else { Err(format!("POST {path}: {s} {v:#}")) }
    }
}

impl World {
    /// Builds a world for `profile_id` on `backend` with the clock at `now`: the seed the demo
    /// makes too (`server::seed`), with the tests' names and one site with two cameras, not
    /// yet commissioned.
    pub async fn new(profile_id: &str, backend: Backend, now: &str) -> World {
        let dir = tempfile::tempdir().unwrap();
        let db = testkit::database_url(backend, dir.path()).await;
        let clock = Clock::manual(t(now));
        let srv = Server::start(profile_id, &db, &dir.path().join("node.key"), clock).await;
        let api = Api::new(&srv.base);
        let profile = policy::resolve_seed(profile_id).unwrap();
        let org_name = |kind: &str| format!("{kind} 組織");
        let document_ref = |login: &str, _: i64| format!("届出-{login}");
        let cameras = ["cam1", "cam2"]
            .iter()
            .map(|code| server::seed::CameraPlan {
                site: 0,
                body: json!({ "code": code, "name": format!("{code} 交差点"), "install_date": "2026-04-01", "public_share_permille": 800, "consensus_note": "町内会で合意" }),
                commission: None,
            })
            .collect();
        let plan = server::seed::Plan {
            profile: &profile,
            initial_password: INITIAL,
            password: PASSWORD,
            registrar_name: "登録担当",
            org_name: &org_name,
            contract_valid: (
                "2026-04-01T00:00:00+09:00".into(),
                "2027-04-01T00:00:00+09:00".into(),
            ),
            document_ref: &document_ref,
            time_boxed: server::seed::TimeBoxed::Now,
            now: srv.clock.now(),
            sites: vec![
                json!({ "code": "S1", "name": "駅前通り", "address": "1条通7丁目", "system": "駅周辺地区", "reason": "警察署から提供された犯罪情報による", "signage_text": "防犯カメラ作動中" }),
            ],
            cameras,
        };
        let seeded = server::seed::seed(&api, &srv.state.db, &plan).await.unwrap();
        let user = |p: &server::seed::Person| {
            // Its organisation's dedicated PC, where it has one.
            let ws = seeded.workstations.get(&p.org_kind).map(|(_, d)| d.clone());
            User {
                id: p.account_id,
                login: p.login.clone(),
                token: p.token.clone(),
                org: p.org_id,
                role: p.role.clone(),
                ws,
            }
        };
        let admin = user(&seeded.admin);
        // The registrar works from no PC (as before this seed was shared).
        let registrar = User { ws: None, ..user(&seeded.registrar) };
        let mut users: HashMap<String, User> =
            seeded.people.iter().map(|p| (p.role.clone(), user(p))).collect();
        users.insert(admin.role.clone(), admin.clone());
        World {
            srv,
            api,
            profile,
            admin,
            registrar,
            users,
            orgs: seeded.orgs.clone(),
            cameras: vec!["cam1".into(), "cam2".into()],
            dir,
        }
    }

    /// The user holding `role`.
    pub fn user(&self, role: &str) -> User {
        self.users.get(role).unwrap_or_else(|| panic!("no user for role {role}")).clone()
    }

    /// Some user whose role holds `perm`.
    pub fn holder(&self, perm: Permission) -> &User {
        self.profile
            .roles
            .iter()
            .filter(|r| r.permissions.contains(&perm))
            .find_map(|r| self.users.get(&r.id))
            .unwrap_or_else(|| panic!("nobody holds {}", perm.key()))
    }

    /// A fresh login for a role's user (sessions expire when the clock jumps weeks ahead).
    pub async fn relogin(&mut self, role: &str) -> User {
        let mut u = self.user(role);
        let (s, v) = self.api.login(&u.login, PASSWORD).await;
        assert_eq!(s, 200, "{v}");
        u.token = v["token"].as_str().unwrap().into();
        self.users.insert(role.into(), u.clone());
        u
    }

    /// A dedicated PC written straight into the store (as an earlier version, or another
    /// section, would have it) and enrolled with a device token; returns the token.
    pub async fn stored_workstation(
        &self,
        code: &str,
        placement: &str,
        org: i64,
        token_byte: &str,
    ) -> String {
        let now = self.srv.clock.now_ms();
        let db = &self.srv.state.db;
        let ws = db
            .create_workstation(code, code, placement, org, "保管庫", self.admin.id, now)
            .await
            .unwrap();
        let token = token_byte.repeat(32);
        db.enrol_workstation(ws.id, &server::auth::token_hash(&token), now).await.unwrap();
        token
    }

    /// Sets the clock.
    pub fn set_now(&self, at: &str) {
        self.srv.clock.set(t(at));
    }

    /// Restarts the server on the same database.
    pub async fn restart(self) -> World {
        self.restart_after(std::time::Duration::ZERO).await
    }

    /// Stops the server, waits `down`, and starts it again on the same database.
    pub async fn restart_after(mut self, down: std::time::Duration) -> World {
        self.srv.shutdown().await;
        tokio::time::sleep(down).await;
        let srv = Server::start(
            &self.srv.profile_id,
            &self.srv.db,
            &self.srv.key,
            self.srv.clock.clone(),
        )
        .await;
        self.api = Api::new(&srv.base);
        self.srv = srv;
        self
    }
}

/// Documents the basis needs, as the requester would attach them.
pub fn documents(w: &World, basis: &policy::profile::LegalBasis) -> Vec<Value> {
    let mut forms: Vec<String> = basis.documents.clone();
    if let Some(first) = basis.documents_any_of.first() {
        forms.push(first.clone());
    }
    if let Some(f) = &w.profile.workflow.request_form
        && !forms.contains(f)
    {
        forms.push(f.clone());
    }
    forms.iter().map(|f| json!({ "form": f, "reference": format!("{f}-2026-17") })).collect()
}

/// A new organisation of `kind`.
pub async fn org(w: &World, kind: &str, name: &str) -> i64 {
    w.api.ok("/api/v1/organisations", &w.admin, json!({ "kind": kind, "name": name })).await["id"]
        .as_i64()
        .unwrap()
}

/// A second account administrator activates an outsider's account the city made (PROD-SOD-6).
pub async fn activate_if_pending(api: &Api, account: &Value, second: &User) {
    if account["pending_activation"] == true {
        let v = api
            .ok(&format!("/api/v1/accounts/{}/activate", account["id"]), second, json!({}))
            .await;
        assert_eq!(v["pending_activation"], false, "{v}");
    }
}

/// An account in `org`, designated `role` by `by`, onboarded.
pub async fn member(w: &World, login: &str, org: i64, role: &str, by: &User) -> User {
    let acc = w.api.ok("/api/v1/accounts", &w.registrar, json!({ "login": login, "display_name": login, "organisation_id": org, "initial_password": INITIAL })).await;
    activate_if_pending(&w.api, &acc, &w.admin).await;
    let (_, list) = w.api.get("/api/v1/accounts", &w.registrar).await;
    let id = list.as_array().unwrap().iter().find(|a| a["login"] == login).unwrap()["id"]
        .as_i64()
        .unwrap();
    w.api.ok("/api/v1/designations", by, json!({ "account_id": id, "role": role })).await;
    let mut u = onboard(&w.api, login, role, org).await;
    u.id = id;
    u
}

/// A site and camera `code` registered by `reg` for `owner`.
pub async fn camera(w: &World, reg: &User, owner: i64, site: &str, code: &str) -> i64 {
    let s = w.api.ok("/api/v1/sites", reg, json!({ "code": site, "name": format!("{site} 通り"), "address": "本町1丁目", "system": "駅周辺地区", "reason": "警察署から提供された犯罪情報による", "signage_text": "防犯カメラ作動中", "owner_org_id": owner })).await;
    let c = w.api.ok("/api/v1/cameras", reg, json!({ "code": code, "site_id": s["id"], "name": code, "install_date": "2026-04-01", "public_share_permille": 800, "consensus_note": "町内会で合意" })).await;
    c["id"].as_i64().unwrap()
}
