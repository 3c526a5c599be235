//! `mimamori bench fleet` (issue 21): a centre governing recorder nodes on other processes.
//!
//! One `mimamori serve --role central` process; N `serve --role recorder --node-listen`
//! processes, each registered, enrolled and assigned C simulated cameras through the registry
//! (the camera simulator runs in this process). Measured: the centre's CPU (share of one core)
//! and RSS at rest while it contacts the fleet, per camera and per node; then the API's p50/p99
//! under simulated users (the `bench api` workload) with the fleet attached.

use super::bench_api::{PASSWORD, cpu_secs, measure_level, prepare, start_server, status_bytes};
use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of `mimamori bench fleet`.
#[derive(Debug, clap::Args)]
pub struct FleetBench {
    /// Recorder node processes.
    #[arg(long, default_value_t = 10)]
    pub nodes: usize,
    /// Cameras per node.
    #[arg(long, default_value_t = 20)]
    pub cameras: usize,
    /// Measured seconds at rest and under load.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Concurrent simulated users under load.
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    /// Each user's mean pause between actions, in ms, for the working-day measure (the
    /// saturated measure, with no pause, is taken as well).
    #[arg(long, default_value_t = 1000)]
    pub think_ms: u64,
    /// The simulated cameras' picture: WIDTHxHEIGHT (small by default: the nodes share this
    /// machine with the centre, which is what is measured).
    #[arg(long, default_value = "320x240")]
    pub size: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

struct Nodes(Vec<Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

impl FleetBench {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let r = rt.block_on(self.go())?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            render(&r);
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn go(&self) -> anyhow::Result<Value> {
        let (w, h) = self.size.split_once('x').context("--size WIDTHxHEIGHT")?;
        let (w, h): (u32, u32) = (w.parse()?, h.parse()?);
        let total = self.nodes * self.cameras;
        let clip =
            tokio::task::spawn_blocking(move || camsim::synthesize(w, h, 10, 200_000, 2)).await??;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let rtsp = listener.local_addr()?.port();
        tokio::spawn(camsim::CamSim::new(clip, total, camsim::Faults::default()).serve(listener));

        let dir = super::bench::tempfile_dir()?;
        let r = self.measure(&dir, rtsp, total).await;
        let _ = std::fs::remove_dir_all(&dir);
        r
    }

    async fn measure(
        &self,
        dir: &std::path::Path,
        rtsp: u16,
        total: usize,
    ) -> anyhow::Result<Value> {
        let db = dir.join("centre.db").to_string_lossy().into_owned();
        let server = start_server(dir, &db)?;
        let pid = server.child.id();
        let world = Arc::new(prepare(&server.base, 200, self.users).await?);
        let admin = world.http.login("kanri", PASSWORD).await?;
        let http = &world.http;
        let site = http
            .call("POST", "/api/v1/sites", Some(&admin), Some(json!({ "code": "F1", "name": "各地区", "address": "市内", "system": "駅周辺地区", "reason": "警察署から提供された犯罪情報による", "signage_text": "防犯カメラ作動中" })))
            .await?;
        let exe = std::env::current_exe()?;
        let mut procs = Nodes(Vec::new());
        let t = Instant::now();
        for n in 1..=self.nodes {
            let name = format!("node-{n}");
            let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            for c in 1..=self.cameras {
                let mount = (n - 1) * self.cameras + c;
                let cam = http
                    .call("POST", "/api/v1/cameras", Some(&admin), Some(json!({ "code": format!("n{n}-c{c}"), "site_id": site["id"],
                        "name": format!("{name} {c}"), "install_date": "2026-04-01", "public_share_permille": 850, "consensus_note": "合意",
                        "rtsp_url": format!("rtsp://127.0.0.1:{rtsp}/cam{mount}"), "recorder": name })))
                    .await?;
                http.call(
                    "POST",
                    &format!("/api/v1/cameras/{}/commission", cam["id"]),
                    Some(&admin),
                    Some(json!({})),
                )
                .await?;
            }
            let r = http
                .call("POST", "/api/v1/nodes", Some(&admin), Some(json!({ "name": name, "site": "各地区", "address": format!("127.0.0.1:{port}") })))
                .await?;
            let token = r["enrolment_token"].as_str().context("token")?;
            let data = dir.join(&name);
            let ok = Command::new(&exe)
                .args(["node", "enrol", "--centre", &server.base, "--data"])
                .arg(&data)
                .env("MIMAMORI_ENROL_TOKEN", token)
                .stdout(Stdio::null())
                .status()?;
            if !ok.success() {
                bail!("{name} did not enrol");
            }
            procs.0.push(
                Command::new(&exe)
                    .args(["serve", "--role", "recorder", "--profile", "asahikawa"])
                    .arg("--data")
                    .arg(&data)
                    .arg("--key")
                    .arg(data.join("node.key"))
                    .arg("--node-listen")
                    .arg(format!("127.0.0.1:{port}"))
                    .env("RUST_LOG", "error")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?,
            );
        }
        // Every node in contact, recording the cameras the registry assigned it.
        let recording = loop {
            let v = http.call("GET", "/api/v1/nodes", Some(&admin), None).await?;
            let nodes = v["nodes"].as_array().cloned().unwrap_or_default();
            let cams: usize =
                nodes.iter().map(|n| n["cameras"].as_array().map_or(0, Vec::len)).sum();
            let ready = nodes.iter().filter(|n| n["state"] == "in_contact").count();
            if ready == self.nodes && cams == total {
                break cams;
            }
            if t.elapsed() > Duration::from_secs(180) {
                bail!(
                    "the fleet did not come up: {ready}/{} nodes, {cams}/{total} cameras",
                    self.nodes
                );
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        };
        let setup = t.elapsed();
        // At rest: the centre contacts every node every 10 s.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let cpu0 = cpu_secs(pid)?;
        tokio::time::sleep(Duration::from_secs(self.seconds)).await;
        let cpu1 = cpu_secs(pid)?;
        let rest_share = (cpu1 - cpu0) / self.seconds as f64;
        let rss = status_bytes(pid, "VmRSS:")? as f64 / 1048576.0;
        // Under load, with the fleet attached.
        let load = measure_level(pid, &world, self.users, self.seconds, self.think_ms).await?;
        let saturated = measure_level(pid, &world, self.users, self.seconds, 0).await?;
        drop(procs);
        drop(server);
        Ok(json!({
            "nodes": self.nodes, "cameras": recording, "size": self.size, "setup_s": setup.as_secs_f64(),
            "rest": {
                "centre_cpu_core_share": rest_share,
                "per_100_cameras": rest_share / recording as f64 * 100.0,
                "per_node": rest_share / self.nodes as f64,
                "centre_rss_mib": rss,
                "rss_per_camera_kib": rss * 1024.0 / recording as f64,
            },
            "load": load,
            "saturated": saturated,
        }))
    }
}

fn render(r: &Value) {
    let rest = &r["rest"];
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    println!(
        "fleet: {} nodes, {} cameras ({}), up in {:.0} s",
        r["nodes"],
        r["cameras"],
        r["size"].as_str().unwrap_or(""),
        f(&r["setup_s"])
    );
    println!(
        "centre at rest: {:.4} of a core ({:.4} per 100 cameras, target ≤ 0.01; {:.5} per node), RSS {:.1} MiB ({:.1} KiB per camera)",
        f(&rest["centre_cpu_core_share"]),
        f(&rest["per_100_cameras"]),
        f(&rest["per_node"]),
        f(&rest["centre_rss_mib"]),
        f(&rest["rss_per_camera_kib"])
    );
    for (l, what, target) in [
        (&r["load"], format!("pausing {} ms on average", r["load"]["think_ms"]), " (target < 50)"),
        (&r["saturated"], "with no pause (saturated)".to_owned(), ""),
    ] {
        println!(
            "under {} users {what}: p50 {:.1} ms, p99 {:.1} ms{target}, {:.0} ops/s, {} errors, centre {:.2} of a core",
            l["users"],
            f(&l["p50_ms"]),
            f(&l["p99_ms"]),
            f(&l["ops_per_s"]),
            l["errors"],
            f(&l["server_cpu_core_share"])
        );
    }
}
