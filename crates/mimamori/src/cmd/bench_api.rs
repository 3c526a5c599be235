//! `mimamori bench api`: the governance server under a city's working day, over real HTTP.
//!
//! A `mimamori serve` process (SQLite, and PostgreSQL when a server is given) is filled with a
//! history of requests, then driven by 10, 50 and 200 simulated users at once, each doing what
//! clerks and police do: 40 % a page of the request list, 40 % a request page (both audited
//! reads), 10 % a new filing, 10 % a decision. Printed per level: p50/p99 per kind, throughput,
//! errors, the server's CPU (share of one core) and RSS; at the end the server's RSS after the
//! load has settled, and a check that every change has its audit entry.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Options of `mimamori bench api`.
#[derive(Debug, clap::Args)]
pub struct ApiBench {
    /// Requests of history filed before measuring.
    #[arg(long, default_value_t = 2000)]
    pub history: usize,
    /// Concurrent users per level, comma-separated.
    #[arg(long, default_value = "10,50,200")]
    pub users: String,
    /// Each user's mean pause between actions, in ms (0: none — every user asks again at
    /// once, which saturates the server; a person reading a page pauses seconds).
    #[arg(long, default_value_t = 0)]
    pub think_ms: u64,
    /// Measured seconds per level (after a warm-up of a fifth of it).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Also run on PostgreSQL: a server URL whose user may CREATE DATABASE (a fresh database is
    /// made there), e.g. the test cluster's `$MIMAMORI_TEST_PG`.
    #[arg(long)]
    pub postgres: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub(super) const PASSWORD: &str = "bench-password-2026-x";
const KINDS: [&str; 4] = ["list", "read", "file", "decide"];

pub(super) struct Server {
    pub(super) child: Child,
    pub(super) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn me() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("the running binary")
}

/// `/proc/PID/status` field in bytes (`VmRSS`, `VmHWM`).
pub(super) fn status_bytes(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with(field)).context("no such field")?;
    let kb: u64 = line.split_whitespace().nth(1).context(field.to_owned())?.parse()?;
    Ok(kb * 1024)
}

pub(super) fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').context("malformed /proc stat")?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    Ok((f[11].parse::<f64>()? + f[12].parse::<f64>()?) / 100.0)
}

pub(super) fn start_server(dir: &Path, db: &str) -> anyhow::Result<Server> {
    let ok = Command::new(me()?)
        .args(["admin", "bootstrap", "--db", db, "--profile", "asahikawa"])
        .args(["--org", "交通防犯課", "--login", "kanri", "--name", "管理 太郎"])
        .env("MIMAMORI_INITIAL_PASSWORD", "initial-password-0")
        .stdout(Stdio::null())
        .status()?;
    if !ok.success() {
        bail!("admin bootstrap failed on {db}");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let child = Command::new(me()?)
        .args(["serve", "--profile", "asahikawa", "--db", db, "--insecure-cookies"])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--key")
        .arg(dir.join("node.key"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t.elapsed() > Duration::from_secs(60) {
            bail!("the server did not start");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(server)
}

pub(super) struct Http {
    c: reqwest::Client,
    base: String,
}

impl Http {
    pub(super) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut rb = self.c.request(method.parse()?, format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path}: {status} {v}");
        }
        Ok(v)
    }

    pub(super) async fn login(&self, login: &str, password: &str) -> anyhow::Result<String> {
        let v = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(json!({ "login": login, "password": password, "session": "bearer" })),
            )
            .await?;
        Ok(v["token"].as_str().context("token")?.to_owned())
    }

    async fn onboard(&self, login: &str) -> anyhow::Result<String> {
        let t = self.login(login, "initial-password-0").await?;
        self.call("POST", "/api/v1/me/acknowledge", Some(&t), Some(json!({}))).await?;
        self.call(
            "POST",
            "/api/v1/me/password",
            Some(&t),
            Some(json!({ "current_password": "initial-password-0", "new_password": PASSWORD })),
        )
        .await?;
        Ok(t)
    }

    /// `n` API tokens of the holder of `token` (one per simulated user's session).
    async fn tokens(&self, token: &str, n: usize) -> anyhow::Result<Vec<String>> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let v = self
                .call(
                    "POST",
                    "/api/v1/me/tokens",
                    Some(token),
                    Some(json!({ "name": format!("bench-{i}"), "days": 1, "password": PASSWORD })),
                )
                .await?;
            out.push(v["token"].as_str().context("token")?.to_owned());
        }
        Ok(out)
    }
}

/// A filing for an hour of footage two days back: always within every profile's retention,
/// whatever day the benchmark runs (a fixed date fell out of retention two weeks later).
fn filing(n: usize) -> Value {
    let from = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48);
    json!({ "basis": "legal_request", "purpose": "criminal_investigation", "recipient": "旭川中央警察署 刑事課",
            "case_summary": format!("窃盗事件の確認 第{n}号"),
            "documents": [{"form": "application", "reference": format!("申-{n}")}, {"form": "written_inquiry", "reference": format!("照-{n}")}],
            "cameras": ["cam1"], "from": policy::jst::rfc3339(from), "to": policy::jst::rfc3339(from + jiff::SignedDuration::from_hours(1)) })
}

/// Latencies in microseconds and error counts, per kind.
#[derive(Default)]
struct Samples {
    micros: BTreeMap<&'static str, Vec<u32>>,
    errors: BTreeMap<&'static str, u64>,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

pub(super) struct World {
    pub(super) http: Arc<Http>,
    managers: Vec<String>,
    applicants: Vec<String>,
    /// Submitted requests waiting for a decision.
    queue: Arc<Mutex<VecDeque<i64>>>,
    /// Request ids to read.
    ids: Arc<Mutex<Vec<i64>>>,
    filed: Arc<std::sync::atomic::AtomicUsize>,
}

pub(super) async fn prepare(base: &str, history: usize, max_users: usize) -> anyhow::Result<World> {
    let http = Arc::new(Http {
        c: reqwest::Client::builder().pool_max_idle_per_host(256).build()?,
        base: base.to_owned(),
    });
    let admin = http.onboard("kanri").await?;
    let org = http
        .call(
            "POST",
            "/api/v1/organisations",
            Some(&admin),
            Some(json!({ "kind": "police", "name": "旭川中央警察署" })),
        )
        .await?;
    // A second administrator makes the police account: the one who decides made none of the
    // requesters' accounts (PROD-SOD-5).
    let reg = http.call("POST", "/api/v1/accounts", Some(&admin), Some(json!({ "login": "touroku", "display_name": "登録 担当", "organisation_id": admin_org(&http, &admin).await?, "initial_password": "initial-password-0" }))).await?;
    http.call(
        "POST",
        "/api/v1/designations",
        Some(&admin),
        Some(json!({ "account_id": reg["id"], "role": "manager" })),
    )
    .await?;
    let registrar = http.onboard("touroku").await?;
    let police = http.call("POST", "/api/v1/accounts", Some(&registrar), Some(json!({ "login": "keisatsu", "display_name": "警察 一郎", "organisation_id": org["id"], "initial_password": "initial-password-0" }))).await?;
    // The administrator activates the account the registrar made (PROD-SOD-6).
    http.call(
        "POST",
        &format!("/api/v1/accounts/{}/activate", police["id"]),
        Some(&admin),
        Some(json!({})),
    )
    .await?;
    let accounts = http.call("GET", "/api/v1/accounts", Some(&admin), None).await?;
    let police = accounts
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["login"] == "keisatsu")
        .context("the police account")?;
    http.call(
        "POST",
        "/api/v1/designations",
        Some(&admin),
        Some(json!({ "account_id": police["id"], "role": "applicant" })),
    )
    .await?;
    let applicant = http.onboard("keisatsu").await?;
    let site = http.call("POST", "/api/v1/sites", Some(&admin), Some(json!({ "code": "S1", "name": "駅前通り", "address": "1条通7丁目", "system": "駅周辺地区", "reason": "警察署から提供された犯罪情報による", "signage_text": "防犯カメラ作動中" }))).await?;
    http.call("POST", "/api/v1/cameras", Some(&admin), Some(json!({ "code": "cam1", "site_id": site["id"], "name": "駅前 1", "install_date": "2026-04-01", "public_share_permille": 800, "consensus_note": "町内会で合意" }))).await?;
    // History: filings, half of them decided, from 16 clients at once.
    let ids = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = tokio::task::JoinSet::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for _ in 0..16 {
        let (http, ids, next, a, m) =
            (http.clone(), ids.clone(), next.clone(), applicant.clone(), admin.clone());
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= history {
                    return Ok::<_, anyhow::Error>(());
                }
                let r = http.call("POST", "/api/v1/requests", Some(&a), Some(filing(n))).await?;
                let id = r["id"].as_i64().context("id")?;
                if n % 2 == 0 {
                    http.call(
                        "POST",
                        &format!("/api/v1/requests/{id}/approve"),
                        Some(&m),
                        Some(json!({})),
                    )
                    .await?;
                } else if let Ok(mut v) = ids.lock() {
                    v.push(id);
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let pending: Vec<i64> = ids.lock().map(|v| v.clone()).unwrap_or_default();
    let managers = http.tokens(&admin, max_users).await?;
    let applicants = http.tokens(&applicant, max_users).await?;
    Ok(World {
        http,
        managers,
        applicants,
        queue: Arc::new(Mutex::new(pending.iter().copied().collect())),
        ids: Arc::new(Mutex::new(pending)),
        filed: Arc::new(std::sync::atomic::AtomicUsize::new(history)),
    })
}

/// One simulated user's loop until `until`; latencies recorded after `from`. Between two
/// actions the user waits `think_ms` on average (uniformly 0.5–1.5 times it; 0: none, every
/// user asks again at once — the server saturated).
async fn user(
    w: Arc<World>,
    i: usize,
    (from, until): (Instant, Instant),
    think_ms: u64,
    samples: Arc<Mutex<Samples>>,
) {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let (mgr, app) = (&w.managers[i], &w.applicants[i]);
    while Instant::now() < until {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let roll = x % 100;
        let t = Instant::now();
        let (kind, result) = if roll < 40 {
            ("list", w.http.call("GET", "/api/v1/requests?limit=50", Some(mgr), None).await)
        } else if roll < 80 {
            let id = w
                .ids
                .lock()
                .ok()
                .and_then(|v| v.get((x as usize / 100) % v.len().max(1)).copied())
                .unwrap_or(1);
            ("read", w.http.call("GET", &format!("/api/v1/requests/{id}"), Some(mgr), None).await)
        } else if roll < 90 {
            let n = w.filed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let r = w.http.call("POST", "/api/v1/requests", Some(app), Some(filing(n))).await;
            if let (Ok(v), Ok(mut q)) = (&r, w.queue.lock()) {
                q.extend(v["id"].as_i64());
            }
            ("file", r)
        } else {
            let id = w.queue.lock().ok().and_then(|mut q| q.pop_front());
            match id {
                Some(id) => (
                    "decide",
                    w.http
                        .call(
                            "POST",
                            &format!("/api/v1/requests/{id}/approve"),
                            Some(mgr),
                            Some(json!({})),
                        )
                        .await,
                ),
                None => continue,
            }
        };
        let took = t.elapsed();
        if think_ms > 0 {
            let wait = think_ms / 2 + (x >> 11) % think_ms.max(1);
            tokio::time::sleep(Duration::from_millis(wait)).await;
        }
        if t < from {
            continue;
        }
        if let Ok(mut s) = samples.lock() {
            match result {
                Ok(_) => s
                    .micros
                    .entry(kind)
                    .or_default()
                    .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX)),
                Err(_) => *s.errors.entry(kind).or_default() += 1,
            }
        }
    }
}

async fn run_backend(
    name: &str,
    db: &str,
    dir: &Path,
    args: &ApiBench,
    levels: &[usize],
) -> anyhow::Result<Value> {
    let server = start_server(dir, db)?;
    let pid = server.child.id();
    let max = levels.iter().copied().max().unwrap_or(10);
    let t = Instant::now();
    let w = Arc::new(prepare(&server.base, args.history, max).await?);
    let seeded = t.elapsed();
    let idle_rss = status_bytes(pid, "VmRSS:")?;
    let mut out = Vec::new();
    for &n in levels {
        out.push(measure_level(pid, &w, n, args.seconds, args.think_ms).await?);
    }
    // Memory once the load is over (issue 26, item 6: back under 1.5 × idle).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let settled = status_bytes(pid, "VmRSS:")?;
    let peak = status_bytes(pid, "VmHWM:")?;
    // Every change has its audit entry: filings and approvals against the log.
    let verify = w.http.call("GET", "/api/v1/audit/verify", Some(&w.managers[0]), None).await?;
    drop(server);
    let store = store::Db::connect(db).await?;
    let audit = store::audit_store::DbAuditStore::open(store.clone(), 0).await?;
    let requests = store.requests().await?;
    let created = audit
        .search(None, Some("request.create"), None, i64::MAX)
        .await?
        .iter()
        .filter(|e| e.outcome == audit::Outcome::Ok)
        .count();
    let approved_entries = audit
        .search(None, Some("request.approve"), None, i64::MAX)
        .await?
        .iter()
        .filter(|e| e.outcome == audit::Outcome::Ok)
        .count();
    let approved =
        requests.iter().filter(|r| r.state == policy::workflow::RequestState::Approved).count();
    store.close().await;
    Ok(json!({
        "backend": name, "history": args.history, "seed_seconds": seeded.as_secs_f64(), "levels": out,
        "idle_rss_mib": idle_rss as f64 / 1048576.0, "settled_rss_mib": settled as f64 / 1048576.0, "peak_rss_mib": peak as f64 / 1048576.0,
        "chain_verifies": verify["ok"], "requests": requests.len(), "request_create_entries": created,
        "approved": approved, "request_approve_entries": approved_entries,
        "unaudited_changes": requests.len().abs_diff(created) + approved.abs_diff(approved_entries),
    }))
}

/// `n` simulated users against the server `pid` for `seconds` (after a warm-up of a fifth),
/// each waiting `think_ms` on average between actions (0: none): p50/p99 per kind, throughput,
/// errors, the server's CPU share and RSS.
pub(super) async fn measure_level(
    pid: u32,
    w: &Arc<World>,
    n: usize,
    seconds: u64,
    think_ms: u64,
) -> anyhow::Result<Value> {
    let warm = Duration::from_secs((seconds / 5).max(2));
    let from = Instant::now() + warm;
    let until = from + Duration::from_secs(seconds);
    let samples = Arc::new(Mutex::new(Samples::default()));
    let mut users = tokio::task::JoinSet::new();
    for i in 0..n {
        users.spawn(user(w.clone(), i, (from, until), think_ms, samples.clone()));
    }
    tokio::time::sleep_until(tokio::time::Instant::from_std(from)).await;
    let cpu0 = cpu_secs(pid)?;
    tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
    let cpu1 = cpu_secs(pid)?;
    let rss = status_bytes(pid, "VmRSS:")?;
    while users.join_next().await.is_some() {}
    let mut s = samples.lock().map_err(|_| anyhow::anyhow!("samples"))?;
    let mut kinds = serde_json::Map::new();
    let mut total = 0;
    for k in KINDS {
        let v = s.micros.entry(k).or_default();
        v.sort_unstable();
        total += v.len();
        kinds.insert(k.into(), json!({ "n": v.len(), "p50_ms": percentile(v, 0.5), "p99_ms": percentile(v, 0.99), "errors": s.errors.get(k).copied().unwrap_or(0) }));
    }
    let mut all: Vec<u32> = s.micros.values().flatten().copied().collect();
    all.sort_unstable();
    Ok(json!({
        "users": n, "think_ms": think_ms, "ops_per_s": total as f64 / seconds as f64,
        "p50_ms": percentile(&all, 0.5), "p99_ms": percentile(&all, 0.99),
        "errors": s.errors.values().sum::<u64>(), "kinds": kinds,
        "server_cpu_core_share": (cpu1 - cpu0) / seconds as f64,
        "server_rss_mib": rss as f64 / 1048576.0,
    }))
}

fn render(r: &Value) {
    println!(
        "\n== {} ({} requests of history, seeded in {:.1} s) ==",
        r["backend"].as_str().unwrap_or(""),
        r["history"],
        r["seed_seconds"].as_f64().unwrap_or(0.0)
    );
    println!(
        "{:>6} {:>9} {:>8} {:>8} {:>7} {:>9} {:>8}   per kind p50/p99 ms",
        "users", "ops/s", "p50 ms", "p99 ms", "errors", "CPU core", "RSS MiB"
    );
    for l in r["levels"].as_array().into_iter().flatten() {
        let kinds: Vec<String> = KINDS
            .iter()
            .map(|k| {
                format!(
                    "{k} {:.1}/{:.1}",
                    l["kinds"][k]["p50_ms"].as_f64().unwrap_or(0.0),
                    l["kinds"][k]["p99_ms"].as_f64().unwrap_or(0.0)
                )
            })
            .collect();
        println!(
            "{:>6} {:>9.1} {:>8.1} {:>8.1} {:>7} {:>9.2} {:>8.1}   {}",
            l["users"],
            l["ops_per_s"].as_f64().unwrap_or(0.0),
            l["p50_ms"].as_f64().unwrap_or(0.0),
            l["p99_ms"].as_f64().unwrap_or(0.0),
            l["errors"],
            l["server_cpu_core_share"].as_f64().unwrap_or(0.0),
            l["server_rss_mib"].as_f64().unwrap_or(0.0),
            kinds.join("  ")
        );
    }
    println!(
        "RSS idle {:.1} MiB, after the load {:.1} MiB (peak {:.1}); chain verifies: {}; unaudited changes: {}",
        r["idle_rss_mib"].as_f64().unwrap_or(0.0),
        r["settled_rss_mib"].as_f64().unwrap_or(0.0),
        r["peak_rss_mib"].as_f64().unwrap_or(0.0),
        r["chain_verifies"],
        r["unaudited_changes"]
    );
}

impl ApiBench {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let levels: Vec<usize> = self
            .users
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()
            .context("--users: numbers separated by commas")?;
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let dir = tempfile_dir()?;
        let mut results = Vec::new();
        rt.block_on(async {
            let db = dir.join("bench.db").display().to_string();
            results.push(run_backend("SQLite", &db, &dir.join("sqlite"), &self, &levels).await?);
            if let Some(pg) = &self.postgres {
                let name = format!("mimamori_bench_{}", std::process::id());
                let url = store::create_pg_database(pg, &name).await?;
                results
                    .push(run_backend("PostgreSQL", &url, &dir.join("pg"), &self, &levels).await?);
            }
            Ok::<_, anyhow::Error>(())
        })?;
        let _ = std::fs::remove_dir_all(&dir);
        if self.json {
            println!("{}", serde_json::to_string_pretty(&results)?);
        } else {
            for r in &results {
                render(r);
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("mimamori-bench-api-{}", std::process::id()));
    for d in ["sqlite", "pg"] {
        std::fs::create_dir_all(dir.join(d))?;
    }
    Ok(dir)
}

/// The administrator's own organisation.
async fn admin_org(http: &Http, admin: &str) -> anyhow::Result<i64> {
    let me = http.call("GET", "/api/v1/me", Some(admin), None).await?;
    me["organisation"]["id"].as_i64().context("the administrator's organisation")
}
