//! `mimamori demo`: everything in one process on 127.0.0.1 — the governance server with the web
//! application, a recorder recording simulated cameras, and one account per role of the chosen
//! profile, made through the API the way an administrator would. The README's first command.

use anyhow::{Context, bail};
use axum::http::{HeaderMap, HeaderValue, Method};
use clap::Args;
use serde_json::{Value, json};
use server::clock::Clock;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use webui::client::Api;

/// Options of `mimamori demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Regulation profile: a seed name or a .toml path.
    #[arg(long, default_value = "asahikawa")]
    pub profile: String,
    /// Where the demo keeps its database, keys and recordings (kept between runs).
    #[arg(long, default_value = "demo-data")]
    pub data: PathBuf,
    /// Address to listen on; loopback only.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Simulated cameras.
    #[arg(long, default_value_t = 4)]
    pub cameras: usize,
    /// Segment length in seconds (short, so fresh footage can be extracted soon in the demo).
    #[arg(long, default_value_t = 10)]
    pub segment_secs: u32,
    /// Run the demo's clock from this JST instant (e.g. `2026-11-28T02:00:00+09:00`, a Saturday
    /// night, to show the police emergency path in office hours). Recorder and server share it.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Demo only: let viewings show footage recorded this many minutes ago instead of the
    /// profile's delay (at least 1: never live, ALL-REC-2), so a fresh demo can be viewed without
    /// waiting. `serve` always takes the profile's.
    #[arg(long, value_name = "MINUTES", value_parser = clap::value_parser!(u32).range(1..))]
    pub viewing_delay_minutes: Option<u32>,
    /// Demo only: the last simulated camera drops its connection this many seconds after each
    /// start, so the recording has gaps (recorded with their cause) to see in a viewing.
    #[arg(long, value_name = "SECONDS")]
    pub fault_drop_after: Option<u64>,
    /// The masked camera (cam1) is masked by the recorder burning its masks in, as a camera
    /// without ONVIF masks would be. By default it masks at the source: the recorder sets its
    /// masks over ONVIF and checks them in its pictures (issue 24; docs/masking.md).
    #[arg(long)]
    pub masks_at_recorder: bool,
    /// Also run this many recorder node processes (issue 21): each registered at the demo's
    /// centre, enrolled, recording one more simulated camera the registry assigns it, reached
    /// over mutual TLS (`/nodes` shows them).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=8))]
    pub nodes: u16,
    /// The city's emblem (市章) for the pages' header: a PNG, JPEG or SVG file. The demo ships
    /// none (no city's emblem is mimamori's to give); the slot stays empty without one.
    #[arg(long, value_name = "FILE")]
    pub emblem: Option<PathBuf>,
    /// Start over: delete the data directory first.
    #[arg(long)]
    pub fresh: bool,
}

/// The password every demo account gets (printed; the demo binds to loopback only).
pub(crate) const DEMO_PASSWORD: &str = "mimamori-demo-2026";
const INITIAL: &str = "initial-password-0";

/// Calls the API in process with a bearer token, as the demo's people.
pub(crate) struct Caller {
    api: Api,
}

impl Caller {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        self.call_on(method, path, token, None, body).await
    }

    /// A call from a dedicated PC (its device token), when `workstation` is given.
    async fn call_on(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        workstation: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut h = HeaderMap::new();
        if let Some(t) = token {
            h.insert("authorization", HeaderValue::from_str(&format!("Bearer {t}"))?);
        }
        if let Some(w) = workstation {
            h.insert("x-mimamori-workstation", HeaderValue::from_str(w)?);
        }
        let a = self.api.call(method.clone(), path, &h, None, body).await;
        if !a.ok() {
            bail!("{method} {path}: {} {}", a.status, a.json);
        }
        Ok(a.json)
    }
    /// POST as the holder of `token`.
    pub(crate) async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    /// POST from the dedicated PC whose device token is `workstation`.
    pub(crate) async fn post_on(
        &self,
        path: &str,
        token: &str,
        workstation: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        self.call_on(Method::POST, path, Some(token), Some(workstation), Some(body)).await
    }
    /// POST without a session (the public endpoints).
    pub(crate) async fn post_public(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, None, Some(body)).await
    }
    /// GET as the holder of `token`.
    pub(crate) async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        self.call(Method::GET, path, Some(token), None).await
    }
    /// A bearer session of `login`.
    pub(crate) async fn login(&self, login: &str, password: &str) -> anyhow::Result<String> {
        let v = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({ "login": login, "password": password, "session": "bearer" })),
            )
            .await?;
        let session: server::api::session::LoggedIn = serde_json::from_value(v)?;
        session.token.context("no token")
    }
}

pub(crate) use server::seed::kind_str;

/// One demo login, as printed.
struct Login {
    login: String,
    role: String,
    org_kind: String,
}

/// What seeding made: the printed logins, and what the history needs.
struct Seed {
    logins: Vec<Login>,
    /// Organisation kind → device token of its PC.
    enrol: HashMap<String, String>,
    /// Organisation kind → workstation id.
    workstations: HashMap<String, i64>,
    /// Organisation kind → organisation id.
    orgs: HashMap<String, i64>,
    /// Role id → login (designated roles only).
    role_logins: HashMap<String, String>,
    /// Time-boxed designations to make when the demo starts: (account, role, designator role).
    late: Vec<(i64, String, String)>,
}

/// What commissioning a demo camera records: where the camera holds the footage (NIS-2), its
/// overwrite cycle, set to the profile's period.
pub(crate) fn commission_body(profile: &policy::Profile) -> Value {
    match profile.camera_footage_band() {
        Some((floor, ceiling)) => {
            let days = profile.retention.default.days.unwrap_or(ceiling).clamp(floor, ceiling);
            json!({ "overwrite_cycle_days": days })
        }
        None => json!({}),
    }
}

impl server::seed::Client for Caller {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Result<Value, String> {
        self.call(Method::POST, path, token, Some(body)).await.map_err(|e| e.to_string())
    }
}

/// Creates the organisations, accounts, registry and workstations: the seed the tests make too
/// (`server::seed`), with the demo's names, two sites near the city's centre and its simulated
/// cameras.
async fn seed(
    c: &Caller,
    app: &server::App,
    profile: &policy::Profile,
    cams: &[(String, String)],
) -> anyhow::Result<Seed> {
    let now = app.state.clock.now();
    let org_name = |kind: &str| {
        match kind {
            "police" => "中央警察署",
            "contractor" => "保守委託会社",
            "agency" => "関係機関",
            "facility" => "施設管理者",
            _ => "市役所",
        }
        .to_owned()
    };
    let document_ref = |_: &str, id: i64| format!("届出第{id}号");
    // Near each city's centre, for the public camera map.
    let here = match profile.profile.id.as_str() {
        "kitakyushu" => (33.8834, 130.8752),
        "kawaguchi" => (35.8077, 139.7241),
        "nishiyodogawa" => (34.7100, 135.4525),
        "saku" => (36.2489, 138.4769),
        _ => (43.7706, 142.3650),
    };
    let sites = vec![
        json!({ "code": "S1", "name": "駅前通り", "address": "1条通7丁目", "latitude": here.0, "longitude": here.1, "system": "駅周辺地区", "reason": "警察署から提供された犯罪情報による", "signage_text": format!("防犯カメラ作動中（{}）", profile.profile.name_ja) }),
        json!({ "code": "S2", "name": "買物公園", "address": "平和通", "latitude": here.0 + 0.002, "longitude": here.1 + 0.001, "system": "駅周辺地区", "reason": "警察署から提供された犯罪情報による", "signage_text": format!("防犯カメラ作動中　設置者 {}", profile.profile.name_ja) }),
    ];
    let site_names = ["駅前通り", "買物公園"];
    let cameras = cams
        .iter()
        .enumerate()
        .map(|(i, (code, url))| {
            // cam1 looks at a house's entrance: masked by the recorder (ASA-2.1), and its
            // public share measured from the public-space polygon after the mask (KAW-2.1.3).
            let (masks, area, in_rec) = if i == 0 {
                (
                    json!([[[0.62, 0.15], [0.95, 0.15], [0.95, 0.7], [0.62, 0.7]]]),
                    json!([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]),
                    true,
                )
            } else {
                (json!([]), Value::Null, false)
            };
            server::seed::CameraPlan {
                site: i % 2,
                body: json!({ "code": code, "name": format!("{} {}", site_names[i % 2], i + 1),
                    "masks": masks, "public_area": area, "mask_in_recorder": in_rec, "coverage_exemption": if in_rec { Some("住宅の玄関をマスクしたため") } else { None },
                    "install_date": "2026-04-01", "public_share_permille": 850, "consensus_note": "町内会で合意（2026年3月）", "rtsp_url": url }),
                // Every camera but cam1 is in operation; cam1's masks are still being checked,
                // so its still can be seen (ALL-REC-2: before commissioning only).
                commission: (i > 0).then(|| commission_body(profile)),
            }
        })
        .collect();
    let plan = server::seed::Plan {
        profile,
        initial_password: INITIAL,
        password: DEMO_PASSWORD,
        registrar_name: "アカウント登録担当",
        org_name: &org_name,
        contract_valid: (
            policy::jst::rfc3339(now - jiff::SignedDuration::from_hours(24)),
            policy::jst::rfc3339(now + jiff::SignedDuration::from_hours(24 * 365)),
        ),
        document_ref: &document_ref,
        // A time-boxed role is designated when the demo starts (after the history), so that
        // its term runs from the demo's now.
        time_boxed: server::seed::TimeBoxed::Later,
        now,
        sites,
        cameras,
    };
    let seeded = server::seed::seed(c, &app.state.db, &plan).await?;
    let admin_role = &seeded.admin.role;
    let admin_name = profile.role(admin_role).map(|r| r.name_ja.clone()).unwrap_or_default();
    let mut logins = vec![
        Login {
            login: "admin".into(),
            role: admin_name.clone(),
            org_kind: seeded.admin.org_kind.clone(),
        },
        Login {
            login: "registrar".into(),
            role: format!("{admin_name}（アカウント登録）"),
            org_kind: seeded.registrar.org_kind.clone(),
        },
    ];
    let mut role_logins: HashMap<String, String> = HashMap::new();
    role_logins.insert(admin_role.clone(), "admin".into());
    let deferred: Vec<&String> = seeded.late.iter().map(|(_, role, _)| role).collect();
    for p in &seeded.people {
        let role = profile.role(&p.role).map(|r| r.name_ja.clone()).unwrap_or_default();
        logins.push(Login { login: p.login.clone(), role, org_kind: p.org_kind.clone() });
        if !deferred.contains(&&p.role) {
            role_logins.insert(p.role.clone(), p.login.clone());
        }
    }
    let enrol = seeded.workstations.iter().map(|(k, (_, d))| (k.clone(), d.clone())).collect();
    let workstations = seeded.workstations.iter().map(|(k, (id, _))| (k.clone(), *id)).collect();
    Ok(Seed { logins, enrol, workstations, orgs: seeded.orgs, role_logins, late: seeded.late })
}

impl DemoArgs {
    /// Runs the demo until Ctrl-C.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        if !self.listen.ip().is_loopback() {
            bail!(
                "the demo listens on a loopback address only (127.0.0.1 or ::1), not {}",
                self.listen
            );
        }
        super::serve::init_tracing();
        let mut profile = super::load_profile(&self.profile)?;
        if let Some(m) = self.viewing_delay_minutes {
            profile.viewing.delay_minutes = m;
        }
        if self.nodes > 0 && self.at.is_some() {
            bail!(
                "--nodes runs recorder processes on this machine's clock: it cannot be combined with --at"
            );
        }
        if self.fresh && self.data.exists() {
            std::fs::remove_dir_all(&self.data)
                .with_context(|| format!("cannot delete {}", self.data.display()))?;
        }
        std::fs::create_dir_all(&self.data)?;
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        rt.block_on(self.run_async(profile))?;
        Ok(ExitCode::SUCCESS)
    }

    async fn run_async(mut self, profile: policy::Profile) -> anyhow::Result<()> {
        // The web address is taken first, before any simulated camera takes a port, and what was
        // bound is what the nodes and the printed links use: `--listen 127.0.0.1:0` lets the
        // system choose, so demos started side by side never race for a port.
        let web = tokio::net::TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("cannot listen on {}", self.listen))?;
        self.listen = web.local_addr()?;
        println!(
            "mimamori demo: preparing ({} simulated cameras, profile {})…",
            self.cameras, profile.profile.id
        );
        let clip =
            tokio::task::spawn_blocking(|| camsim::synthesize(640, 360, 25, 600_000, 4)).await??;
        let faults = camsim::Faults {
            drop_after: self.fault_drop_after.map(std::time::Duration::from_secs),
            cameras: vec![format!("cam{}", self.cameras)],
            ..camsim::Faults::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let cam_port = listener.local_addr()?.port();
        let nodes = usize::from(self.nodes);
        let sim = camsim::CamSim::new(clip, self.cameras + nodes, faults);
        tokio::spawn(sim.clone().serve(listener));
        // Each simulated camera is also an ONVIF device that masks at the source: the demo's
        // masked camera (cam1) gets its masks set there and checked in its pictures (issue 24).
        let onvif = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let onvif_port = onvif.local_addr()?.port();
        tokio::spawn(sim.serve_onvif(onvif));
        let cams: Vec<(String, String)> = (1..=self.cameras)
            .map(|i| (format!("cam{i}"), format!("rtsp://127.0.0.1:{cam_port}/cam{i}")))
            .collect();
        // The recorder nodes' cameras: the simulator's mounts after the demo's own.
        let node_urls: Vec<String> = (1..=nodes)
            .map(|i| format!("rtsp://127.0.0.1:{cam_port}/cam{}", self.cameras + i))
            .collect();

        let t0 = match &self.at {
            Some(at) => {
                policy::jst::parse_rfc3339(at).map_err(|e| anyhow::anyhow!("--at {at}: {e}"))?
            }
            None => jiff::Timestamp::now(),
        };
        let started = jiff::Timestamp::now();
        let clock = Clock::offset(t0);
        let emblem = match &self.emblem {
            Some(f) => Some(server::emblem::Emblem::from_file(f).context("--emblem")?),
            None => None,
        };
        let db = self.data.join("mimamori.db");
        let fresh = !db.exists();
        if fresh {
            // The demo's history starts six weeks or more back (last month's emergency
            // extractions and their reconciliation, a month-old complaint); the clock is set
            // before its first event and walks forward to now.
            clock.set(super::demo_history::start(t0)?);
        }
        let app = server::build(server::Config {
            db: db.to_string_lossy().into_owned(),
            profile: profile.clone(),
            key_path: self.data.join("node.key"),
            clock: clock.clone(),
            // Loopback only: the browser reaches it over plain HTTP.
            secure_cookies: false,
        })
        .await?;
        app.state.set_emblem(emblem);
        let caller = Caller { api: Api::new(app.router.clone()) };
        let logins_file = self.data.join("demo-logins.txt");
        if fresh {
            println!("  履歴を作成中 / writing a few weeks of history…");
            let seeded = seed(&caller, &app, &profile, &cams).await?;
            let codes: Vec<String> = cams.iter().map(|(c, _)| c.clone()).collect();
            let h = super::demo_history::Seeded {
                logins: seeded.role_logins.clone(),
                enrol: &seeded.enrol,
                workstations: seeded.workstations.clone(),
                orgs: seeded.orgs.clone(),
                cameras: codes,
            };
            super::demo_history::write(&caller, &clock, &profile, &h, t0, started).await?;
            for (account, role, designator) in &seeded.late {
                let login = seeded.role_logins.get(designator).map_or("admin", String::as_str);
                let tok = caller.login(login, DEMO_PASSWORD).await?;
                let mut body = json!({ "account_id": account, "role": role });
                if let Some(days) = profile.role(role).and_then(|r| r.max_term_days) {
                    let until =
                        clock.now() + jiff::SignedDuration::from_hours(i64::from(days) * 24 - 1);
                    body["valid_until"] = json!(policy::jst::rfc3339(until));
                }
                caller.post("/api/v1/designations", &tok, body).await?;
            }
            if nodes > 0 {
                let reg_login = profile
                    .roles
                    .iter()
                    .filter(|r| r.permissions.contains(&policy::Permission::RegistryManage))
                    .find_map(|r| seeded.role_logins.get(&r.id))
                    .context("nobody manages the registry")?;
                let tok = caller.login(reg_login, DEMO_PASSWORD).await?;
                super::demo_nodes::register(
                    &caller,
                    &tok,
                    &self.data,
                    self.listen,
                    &node_urls,
                    &profile,
                )
                .await?;
            }
            // The links printed for people: one-time codes, valid 24 hours from now (after the
            // history), each redeemed on the PC that opens it (issue 16, L8).
            let wsm_login = profile
                .roles
                .iter()
                .filter(|r| r.permissions.contains(&policy::Permission::WorkstationManage))
                .find_map(|r| seeded.role_logins.get(&r.id))
                .context("nobody manages workstations")?;
            let tok = caller.login(wsm_login, DEMO_PASSWORD).await?;
            let mut links = HashMap::new();
            for (kind, id) in &seeded.workstations {
                let link = caller
                    .post(&format!("/api/v1/workstations/{id}/enrol-link"), &tok, json!({}))
                    .await?;
                links.insert(kind.clone(), link["href"].as_str().unwrap_or("").to_owned());
            }
            let Seed { logins, .. } = seeded;
            let mut text = String::new();
            text.push_str(&format!(
                "パスワード（全員） / password (everyone): {DEMO_PASSWORD}\n\n"
            ));
            text.push_str("ログイン / logins:\n");
            for l in &logins {
                text.push_str(&format!("  {:<28} {} [{}]\n", l.login, l.role, l.org_kind));
            }
            text.push_str("\n専用端末（組織ごと、その端末で一度だけ開く・24時間有効） / dedicated PCs (open once on that PC, within 24 h):\n");
            let mut kinds: Vec<_> = links.keys().collect();
            kinds.sort();
            for k in kinds {
                text.push_str(&format!("  {k}: http://{}{}\n", self.listen, links[k]));
            }
            std::fs::write(&logins_file, &text)?;
        } else {
            // Cameras of an earlier run get this run's simulator address.
            for (code, url) in &cams {
                app.state.db.set_camera_url(code, url).await.ok();
            }
            for (i, url) in node_urls.iter().enumerate() {
                let (_, code, _) = super::demo_nodes::node(i + 1, self.listen);
                app.state.db.set_camera_url(&code, url).await.ok();
            }
        }
        // cam1 masks at the source (issue 24) unless --masks-at-recorder: registered so at the
        // first run; on later runs the address moves to this run's simulator, and a camera its
        // manager switched to burn-in on the cameras page stays so.
        if let Some(c) = app.state.db.camera_by_code("cam1").await? {
            let service = format!("http://127.0.0.1:{onvif_port}/onvif/cam1/device_service");
            let at_camera = !self.masks_at_recorder && (fresh || c.onvif_url.is_some());
            app.state.db.set_camera_onvif(c.id, at_camera.then_some(service.as_str())).await?;
        }
        let mut cfg =
            recorder::config::RecorderConfig::new("demo-node", self.data.join("recorder"));
        cfg.key_path = self.data.join("node.key");
        cfg.segment_ms = i64::from(self.segment_secs.max(2)) * 1000;
        for (code, url) in &cams {
            let mut cc = super::serve::parse_camera(&format!("{code}={url}"))?;
            (cc.mask_version, cc.masks) =
                server::nodes::recorder_masks(&app.state.db, code).await?;
            cc.onvif = server::nodes::masks_source(&app.state.db, code).await?;
            cfg.cameras.push(cc);
        }
        let rec = recorder::Recorder::start(cfg, profile.clone(), clock).await?;
        super::serve::attach_recorder(&app.state, &rec, self.data.join("recorder/exports"));
        let node_procs = super::demo_nodes::start(
            nodes,
            &self.data,
            self.listen,
            &self.profile,
            self.segment_secs.max(2),
        )?;
        let fleet = server::fleet::spawn(app.state.clone());
        let watch = server::audit_watch::Watch::beside(&self.data.join("node.key"));
        let check = server::start_audit_watch(&app.state, watch, None).await?;
        if let Some(first) = check.open.first() {
            println!("監査ログの検証に失敗 / AUDIT LOG FAILED VERIFICATION: {first}");
        }
        for f in &check.node {
            println!("録画装置の監査ログ / RECORDER AUDIT LOG: {f}");
        }
        let app = server::App {
            router: webui::router(app.router.clone()).merge(app.router),
            state: app.state,
        };
        let listener = web;
        // The history keeps every duty in time; a lapse here is a fault of the demo, said aloud.
        let lapsed = server::duties::sweep(&app.state)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.0.detail))?;
        if lapsed > 0 {
            println!("定期業務の期限切れ / recurring duties lapsed: {lapsed} (/reconciliation)");
        }
        println!();
        println!("mimamori demo — {} ({})", profile.profile.name_ja, profile.profile.id);
        println!("  ブラウザで開く / open: http://{}/", self.listen);
        println!(
            "  録画中 / recording: {} simulated cameras (no live view, by design)",
            self.cameras
        );
        println!("  データ / data: {}", self.data.display());
        if nodes > 0 {
            println!(
                "  録画装置 / recorder nodes: {nodes} processes (node-1…node-{nodes}), shown at http://{}/nodes",
                self.listen
            );
        }
        println!();
        print!("{}", std::fs::read_to_string(&logins_file).unwrap_or_default());
        println!("\nCtrl-C で終了 / Ctrl-C to stop");
        // Lapsed duties become incidents: at start, then hourly (issue 18 item 1).
        let sweeper = server::duties::spawn_sweeper(app.state.clone());
        // The clocks every record's time rests on (PROD-TIME-1).
        let clocks = server::clockwatch::spawn_watch(app.state.clone());
        let served = server::serve_on(app, listener, super::serve::shutdown_signal()).await;
        sweeper.abort();
        clocks.abort();
        fleet.abort();
        drop(node_procs);
        rec.stop().await;
        served
    }
}
