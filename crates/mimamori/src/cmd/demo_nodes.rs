//! `demo --nodes N` (issue 21): the shape of a city on one machine — the demo's centre, and N
//! recorder node processes (`mimamori serve --role recorder --node-listen …`), each registered
//! at the centre, enrolled with its one-time token, recording the camera the registry assigns
//! it (configuration flows down), reached by the centre over mutual TLS only.

use super::demo::Caller;
use anyhow::Context;
use serde_json::json;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The node processes the demo runs; stopped (SIGTERM, so every segment is sealed) on drop.
pub struct Nodes(Vec<Child>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            if let Ok(pid) = i32::try_from(c.id()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

/// Node `i`'s name, camera code and node API address (fixed from the demo's port, so a second
/// run finds the nodes where the first registered them).
pub fn node(i: usize, listen: SocketAddr) -> (String, String, SocketAddr) {
    let port = listen.port().wrapping_add(10 + i as u16);
    (format!("node-{i}"), format!("node{i}-cam1"), SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Registers and enrols `count` nodes on a fresh demo: a site for them, one camera each (its
/// stream `urls[i - 1]`, recorded by node `i`), the node, its enrolment in process (the same
/// request `mimamori node enrol` sends).
pub async fn register(
    c: &Caller,
    registrar: &str,
    data: &Path,
    listen: SocketAddr,
    urls: &[String],
    profile: &policy::Profile,
) -> anyhow::Result<()> {
    let commission = super::demo::commission_body(profile);
    let site = c
        .post("/api/v1/sites", registrar, json!({ "code": "S3", "name": "地区の拠点施設", "address": "各地区", "system": "駅周辺地区", "reason": "警察署から提供された犯罪情報による", "signage_text": "防犯カメラ作動中" }))
        .await?;
    for (i, url) in urls.iter().enumerate() {
        let (name, camera, addr) = node(i + 1, listen);
        let cam = c
            .post("/api/v1/cameras", registrar, json!({ "code": camera, "site_id": site["id"], "name": format!("{name} のカメラ"),
                "install_date": "2026-04-01", "public_share_permille": 850, "consensus_note": "町内会で合意（2026年3月）",
                "rtsp_url": url, "recorder": name }))
            .await?;
        c.post(&format!("/api/v1/cameras/{}/commission", cam["id"]), registrar, commission.clone())
            .await?;
        let mut body =
            json!({ "name": name, "site": "地区の拠点施設", "address": addr.to_string() });
        // KIT-5.1: a network recorder in a facility that meets every condition.
        if let Some(kind) = profile.recorder_sites.as_ref().and_then(|r| r.kinds.first()) {
            body["site_kind"] = json!(kind.id);
            body["site_conditions"] =
                json!(kind.conditions.iter().map(|c| &c.id).collect::<Vec<_>>());
        }
        let r = c.post("/api/v1/nodes", registrar, body).await?;
        let token = r["enrolment_token"].as_str().context("no enrolment token")?;
        let id = nodelink::pki::NodeIdentity::in_data(&dir(data, &name));
        let csr = id.request()?;
        let e = c.post_public("/api/v1/nodes/enrol", json!({ "token": token, "csr": csr })).await?;
        let e: nodelink::enrol::Enrolled = serde_json::from_value(e)?;
        id.store(&e.node, &e.certificate, &e.ca)?;
    }
    Ok(())
}

fn dir(data: &Path, name: &str) -> PathBuf {
    data.join("nodes").join(name)
}

/// Starts the `count` node processes (their cameras come from the centre).
pub fn start(
    count: usize,
    data: &Path,
    listen: SocketAddr,
    profile: &str,
    segment_secs: u32,
) -> anyhow::Result<Nodes> {
    let exe = std::env::current_exe().context("the mimamori executable")?;
    let mut out = Nodes(Vec::new());
    for i in 1..=count {
        let (name, _, addr) = node(i, listen);
        let d = dir(data, &name);
        let child = Command::new(&exe)
            .args(["serve", "--role", "recorder", "--profile", profile])
            .arg("--data")
            .arg(&d)
            .arg("--key")
            .arg(d.join("node.key"))
            .arg("--node-listen")
            .arg(addr.to_string())
            .arg("--segment-secs")
            .arg(segment_secs.to_string())
            // The node stops when this pipe closes: when the demo ends, however it ends
            // (killed too), no recorder is left running.
            .arg("--until-stdin-closes")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting recorder node {name}"))?;
        out.0.push(child);
    }
    Ok(out)
}
