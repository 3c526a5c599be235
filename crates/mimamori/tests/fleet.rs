//! Recorder nodes on other machines (issue 21): a centre on PostgreSQL and three `mimamori serve
//! --role recorder` processes, each recording its own camera from the camera simulator. The
//! nodes are registered and enrol with one-time tokens over the API; the centre reaches them
//! over mutual TLS only; an extraction of footage held by node 2 is made through the centre and
//! verifies offline with node 2's key; a mask change reaches the node recording the camera;
//! a wrong certificate, a client without the centre's certificate, a revoked node and a killed
//! node are each refused with a clear message.

#![allow(clippy::unwrap_used, dead_code)] // tests unwrap: a panic is the failure report

#[path = "../../server/tests/common/mod.rs"]
mod world;

mod common;

use common::{Proc, free_port, wait_for_port};
use policy::Permission;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use world::{Backend, User, World, documents};

/// Kitakyushu: footage on network recorders on a closed line (KIT-5.3/5.4), erased by the
/// recorder itself (KIT-5.7), holds placed by the city.
const PROFILE: &str = "kitakyushu";

fn jst(ms: i64) -> String {
    policy::jst::rfc3339(jiff::Timestamp::from_millisecond(ms).unwrap())
}

fn mimamori() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mimamori"));
    c.env("RUST_LOG", "warn").stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// `mimamori node enrol` with `token` in the environment; (exit ok, stdout+stderr).
fn enrol(base: &str, data: &Path, token: &str) -> (bool, String) {
    let out = mimamori()
        .args(["node", "enrol", "--centre", base, "--data"])
        .arg(data)
        .env("MIMAMORI_ENROL_TOKEN", token)
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A recorder node process recording `camera` from the simulator's `mount`.
fn start_node(data: &Path, camera: &str, rtsp_port: u16, mount: &str, api_port: u16) -> Proc {
    start_node_at(data, camera, rtsp_port, mount, api_port, None)
}

/// [`start_node`], its clock set to read `clock` at start (`--clock-start`, tests only).
fn start_node_at(
    data: &Path,
    camera: &str,
    rtsp_port: u16,
    mount: &str,
    api_port: u16,
    clock: Option<jiff::Timestamp>,
) -> Proc {
    let mut c = mimamori();
    c.args(["serve", "--role", "recorder", "--profile", PROFILE, "--segment-secs", "2"]);
    if let Some(t) = clock {
        c.arg("--clock-start").arg(policy::jst::rfc3339(t));
    }
    let child = c
        .arg("--data")
        .arg(data)
        .arg("--key")
        .arg(data.join("node.key"))
        .arg("--camera")
        .arg(format!("{camera}=rtsp://127.0.0.1:{rtsp_port}/{mount}"))
        .arg("--node-listen")
        .arg(format!("127.0.0.1:{api_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(api_port, Duration::from_secs(30));
    Proc(child)
}

async fn nodes(w: &World, user: &User) -> Vec<Value> {
    let (s, v) = w.api.get("/api/v1/nodes", user).await;
    assert_eq!(s, 200, "{v}");
    v["nodes"].as_array().unwrap().clone()
}

fn by_name<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter().find(|n| n["name"] == name).unwrap_or_else(|| panic!("{name} in {list:#?}"))
}

/// Request → approval → instruction for `camera` over `[from, to)`; the open instruction and
/// the user who extracts (on the dedicated PC).
async fn instructed(w: &World, camera: &str, from: i64, to: i64) -> (Value, User) {
    let p = &w.profile;
    let basis = p.bases.iter().find(|b| b.review).unwrap_or(&p.bases[0]).clone();
    let r = w
        .api
        .ok("/api/v1/requests", &w.user(&p.workflow.requested_by[0]), json!({
            "basis": basis.id, "purpose": p.purposes.last().unwrap().id, "recipient": "中央警察署 刑事課",
            "case_summary": "窃盗事件", "documents": documents(w, &basis),
            "cameras": [camera], "from": jst(from), "to": jst(to)
        }))
        .await;
    let id = r["id"].as_i64().unwrap();
    let reviewer = w.user(&p.workflow.reviewed_by[0]);
    w.api.ok(&format!("/api/v1/requests/{id}/approve"), &reviewer, json!({})).await;
    let chain = &p.workflow.chain;
    let mut ins = w
        .api
        .ok(
            "/api/v1/instructions",
            &w.user(&chain[0].roles[0]),
            json!({ "request_id": id, "to_account": w.user(&chain[1].roles[0]).id }),
        )
        .await;
    for step in 1..chain.len() - 1 {
        ins = w
            .api
            .ok(
                &format!("/api/v1/instructions/{}/relay", ins["id"]),
                &w.user(&chain[step].roles[0]),
                json!({ "to_account": w.user(&chain[step + 1].roles[0]).id }),
            )
            .await;
    }
    let extractor = w.user(&chain[chain.len() - 1].roles[0]);
    // KIT-5.5: the extractor works at the central room's terminal, inside by a recorded entry
    // (409 when the entry is already open).
    let (s, v) =
        w.api.post("/api/v1/room-entries", &extractor, json!({ "purpose": "画像の抽出" })).await;
    assert!(s == 200 || s == 409, "{v}");
    (ins, extractor)
}

/// What a node process says of `camera` in its status file (null when not listed).
fn camera_status(data: &Path, camera: &str) -> Value {
    let out =
        mimamori().args(["recorder", "status", "--json", "--data"]).arg(data).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["cameras"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["camera"] == camera)
        .cloned()
        .unwrap_or_default()
}

/// Where a node process says `camera`'s masks are applied, once it says they are burned in
/// for `reason` (10 s at most; what it said last otherwise).
async fn burned_in_because(data: &Path, camera: &str, reason: &str) -> Value {
    let mut masks = Value::Null;
    for _ in 0..50 {
        masks = camera_status(data, camera)["masks"].clone();
        if masks["why"]["reason"] == reason {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    masks
}

/// Frames a node process says it recorded of `camera`.
fn frames_recorded(data: &Path, camera: &str) -> u64 {
    camera_status(data, camera)["frames"].as_u64().unwrap_or(0)
}

/// The state a node process says `camera` is in (empty when not listed).
fn camera_state(data: &Path, camera: &str) -> String {
    camera_status(data, camera)["state"].as_str().unwrap_or_default().to_owned()
}

/// The package's video decoded by ffmpeg to 32×24 grey frames.
fn grey_frames(package: &Path, dir: &Path) -> Vec<Vec<u8>> {
    let mut p = evidence::package::Package::open(package, None).unwrap();
    let (mut r, _) = p.reader("video.mp4").unwrap();
    let mp4 = dir.join(format!("{}.mp4", package.file_stem().unwrap().to_string_lossy()));
    std::io::copy(&mut r, &mut std::fs::File::create(&mp4).unwrap()).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&mp4)
        .args(["-vf", "scale=32:24:flags=neighbor,format=gray", "-f", "rawvideo", "-"])
        .output()
        .expect("ffmpeg (scripts/test-deps.sh installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks(32 * 24).map(<[u8]>::to_vec).collect()
}

/// Extracts `camera`'s `[from, to)` through the centre and downloads the package to `file`.
async fn extract_to(w: &World, camera: &str, from: i64, to: i64, file: &Path) -> Value {
    let (ins, extractor) = instructed(w, camera, from, to).await;
    let ex = w
        .api
        .ok(&format!("/api/v1/instructions/{}/extract", ins["id"]), &extractor, json!({}))
        .await;
    let pkg = ex["packages"][0].clone();
    assert_eq!(pkg["camera"], camera, "{ex:#}");
    let get = || {
        let mut rb = w.api.http.get(format!("{}{}", w.api.base, pkg["href"].as_str().unwrap()));
        rb = rb.bearer_auth(&extractor.token);
        if let Some(ws) = &extractor.ws {
            rb = rb.header("x-mimamori-workstation", ws);
        }
        rb
    };
    // rule: KIT-5.5 — the package leaves the central room's terminal only while the extractor
    // is inside: after leaving, refused; entered again, handed out.
    let (_, room) = w.api.get("/api/v1/room-entries", &extractor).await;
    let open = room["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["account_id"] == extractor.id && e["left_at"].is_null())
        .unwrap()["id"]
        .clone();
    w.api.ok(&format!("/api/v1/room-entries/{open}/leave"), &extractor, json!({})).await;
    let refused = get().send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let why: Value = refused.json().await.unwrap();
    assert_eq!(why["rule"], "KIT-5.5", "{why}");
    w.api.ok("/api/v1/room-entries", &extractor, json!({ "purpose": "画像の持ち出し" })).await;
    let resp = get().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, pkg["bytes"].as_u64().unwrap());
    std::fs::write(file, &bytes).unwrap();
    pkg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_centre_governs_recorder_nodes_on_other_machines() {
    let clip = camsim::synthesize(320, 240, 25, 300_000, 2).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rtsp = listener.local_addr().unwrap().port();
    tokio::spawn(camsim::CamSim::new(clip, 2, camsim::Faults::default()).serve(listener));

    let start = jiff::Timestamp::now();
    let mut w = World::new(PROFILE, Backend::Postgres, &policy::jst::rfc3339(start)).await;
    let st = w.srv.state.clone();
    let manager = w.holder(Permission::RegistryManage).clone();
    let base = w.api.base.clone();
    let dir = tempfile::tempdir().unwrap();

    // Registration: a manager of the registry only; a node name is a DNS label.
    let applicant = w.user(&w.profile.workflow.requested_by[0]);
    let (s, _) = w
        .api
        .post(
            "/api/v1/nodes",
            &applicant,
            json!({ "name": "node-9", "site": "x", "address": "127.0.0.1:1" }),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = w
        .api
        .post(
            "/api/v1/nodes",
            &manager,
            json!({ "name": "Node 1", "site": "x", "address": "127.0.0.1:1" }),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let mut ports = Vec::new();
    let mut tokens = Vec::new();
    let sites =
        [("node-1", "駅前交番前"), ("node-2", "市民会館"), ("node-3", "東口"), ("node-4", "北口")];
    for (name, site) in sites {
        let (port, r) = register(&w, &manager, name, site).await;
        assert_eq!(r["state"], "waiting_for_enrolment", "{r}");
        tokens.push(r["enrolment_token"].as_str().unwrap().to_owned());
        ports.push(port);
    }
    assert!(
        nodes(&w, &manager).await.iter().all(|n| n.get("enrolment_token").is_none()),
        "the token is shown once"
    );

    // Enrolment: once per token; a used or made-up token is refused and audited.
    let data: Vec<_> = (1..=4).map(|i| dir.path().join(format!("node{i}"))).collect();
    for (d, t) in data.iter().zip(&tokens) {
        let (ok, text) = enrol(&base, d, t);
        assert!(ok, "{text}");
    }
    let (ok, text) = enrol(&base, &dir.path().join("again"), &tokens[0]);
    assert!(!ok && text.contains("already used"), "{text}");
    let (ok, text) = enrol(&base, &dir.path().join("made-up"), &"ab".repeat(32));
    assert!(!ok && text.contains("refused"), "{text}");
    let (ok, text) = enrol("http://10.0.0.9:8080", &dir.path().join("clear"), &tokens[1]);
    assert!(!ok && text.contains("in clear"), "{text}");
    let key = data[0].join("node-tls/node.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o077, 0);
    }

    // Three nodes record, each its own camera; node-4 is enrolled but node-2 answers at its
    // address (a wrong certificate for the name and pin the centre expects).
    let _n1 = start_node(&data[0], "cam1", rtsp, "cam1", ports[0]);
    let mut n2 = start_node(&data[1], "cam2", rtsp, "cam2", ports[1]);
    let _n3 = start_node(&data[2], "cam7", rtsp, "cam1", ports[2]);
    let spoof = tokio::net::TcpListener::bind(("127.0.0.1", ports[3])).await.unwrap();
    let fwd = ports[1];
    tokio::spawn(async move {
        while let Ok((mut a, _)) = spoof.accept().await {
            tokio::spawn(async move {
                if let Ok(mut b) = tokio::net::TcpStream::connect(("127.0.0.1", fwd)).await {
                    let _ = tokio::io::copy_bidirectional(&mut a, &mut b).await;
                }
            });
        }
    });
    server::fleet::refresh(&st).await.unwrap();
    let list = nodes(&w, &manager).await;
    assert_eq!(by_name(&list, "node-1")["state"], "in_contact", "{list:#?}");
    assert_eq!(by_name(&list, "node-1")["cameras"], json!(["cam1"]));
    // No alert but, perhaps, clock drift (this test's centre runs on a manual clock) and, on a
    // machine whose disk really is nearly full (CI runners can be), `disk_low` exactly when the
    // free space the node reported is under the threshold.
    let alerts = by_name(&list, "node-1")["alerts"].as_array().unwrap().clone();
    let free = by_name(&list, "node-1")["health"]["disk_free_bytes"].as_u64().unwrap();
    assert!(free > 0);
    let low = free < server::fleet::DISK_LOW_BYTES;
    assert_eq!(alerts.iter().any(|a| a == "disk_low"), low, "{list:#?}");
    assert!(alerts.iter().all(|a| a == "clock_drift" || a == "disk_low"), "{list:#?}");
    assert_eq!(by_name(&list, "node-2")["cameras"], json!(["cam2"]));
    assert_eq!(by_name(&list, "node-3")["cameras"], json!(["cam7"]));
    assert_eq!(by_name(&list, "node-4")["state"], "stale", "the wrong certificate is refused");
    assert!(st.node_for("cam2").is_some_and(|n| n.id() == "node-2"));

    // Configuration flows down: a camera the registry assigns to node-2 starts recording there.
    let cam1 = w.srv.state.db.camera_by_code("cam1").await.unwrap().unwrap();
    let registrar = w.holder(Permission::RegistryManage).clone();
    w.api
        .ok("/api/v1/cameras", &registrar, json!({ "code": "cam3", "site_id": cam1.site_id, "name": "cam3 北口",
            "install_date": "2026-04-01", "public_share_permille": 800, "consensus_note": "町内会で合意",
            "recorder": "node-2", "rtsp_url": format!("rtsp://127.0.0.1:{rtsp}/cam1") }))
        .await;
    server::fleet::refresh(&st).await.unwrap();
    let list = nodes(&w, &manager).await;
    assert_eq!(by_name(&list, "node-2")["cameras"], json!(["cam2", "cam3"]), "{list:#?}");
    assert!(st.node_for("cam3").is_some_and(|n| n.id() == "node-2"));
    assert_eq!(by_name(&list, "node-3")["cameras"], json!(["cam7"]), "only the node it names");
    // The node keeps its assignment: restarted while the centre does not call, it records cam3.
    drop(n2);
    n2 = start_node(&data[1], "cam2", rtsp, "cam2", ports[1]);
    let t = std::time::Instant::now();
    while camera_state(&data[1], "cam3") != "recording" {
        assert!(t.elapsed() < Duration::from_secs(30), "cam3 not recorded after the restart");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Credentials flow down sealed to the node (issue 21, item 2): a camera that asks for a
    // user and password records once they are entered; the store, the audit trail and the
    // node's assignment file hold them only sealed to node-2's key.
    let locked = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rtsp_locked = locked.local_addr().unwrap().port();
    let clip2 = camsim::synthesize(320, 240, 25, 300_000, 2).unwrap();
    tokio::spawn(
        camsim::CamSim::with_auth(
            clip2,
            1,
            camsim::Faults::default(),
            Some("viewer:kamera-2026!".into()),
        )
        .serve(locked),
    );
    let c4 = w
        .api
        .ok("/api/v1/cameras", &registrar, json!({ "code": "cam4", "site_id": cam1.site_id, "name": "cam4 南口",
            "install_date": "2026-04-01", "public_share_permille": 800, "consensus_note": "町内会で合意",
            "recorder": "node-2", "rtsp_url": format!("rtsp://127.0.0.1:{rtsp_locked}/cam1") }))
        .await;
    let c4 = c4["id"].as_i64().unwrap();
    let creds = json!({ "username": "viewer", "password": "kamera-2026!" });
    let path = format!("/api/v1/cameras/{c4}/stream-credentials");
    let (s, _) = w.api.post(&path, &applicant, creds.clone()).await;
    assert_eq!(s, 403, "a registry keeper's act");
    let c5 = w
        .api
        .ok("/api/v1/cameras", &registrar, json!({ "code": "cam5", "site_id": cam1.site_id, "name": "cam5",
            "install_date": "2026-04-01", "public_share_permille": 800, "consensus_note": "町内会で合意",
            "recorder": "node-9", "rtsp_url": format!("rtsp://127.0.0.1:{rtsp_locked}/cam1") }))
        .await;
    let (s, v) = w
        .api
        .post(
            &format!("/api/v1/cameras/{}/stream-credentials", c5["id"]),
            &registrar,
            creds.clone(),
        )
        .await;
    assert_eq!(s, 409, "node-9 never enrolled: {v}");
    assert!(v["detail"].as_str().unwrap().contains("has not enrolled"), "{v}");
    server::fleet::refresh(&st).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_ne!(camera_state(&data[1], "cam4"), "recording", "refused without credentials");
    let v = w.api.ok(&path, &registrar, creds.clone()).await;
    assert_eq!(v["credentials_node"], "node-2", "{v}");
    server::fleet::refresh(&st).await.unwrap();
    let t = std::time::Instant::now();
    while camera_state(&data[1], "cam4") != "recording" {
        assert!(t.elapsed() < Duration::from_secs(30), "cam4 not recorded with its credentials");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let sealed = st.db.camera(c4).await.unwrap().unwrap().stream_credentials.unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &sealed).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("kamera"), "sealed in the store");
    let file = std::fs::read_to_string(data[1].join("assigned-cameras.json")).unwrap();
    assert!(file.contains(&sealed) && !file.contains("kamera"), "sealed on the node's disk");
    let auditor = w.holder(Permission::AuditRead).clone();
    let (_, trail) = w.api.get("/api/v1/audit?action=camera.credentials_set", &auditor).await;
    assert!(trail.to_string().contains("camera:cam4"), "{trail}");
    let (_, listed) = w.api.get("/api/v1/cameras", &registrar).await;
    for text in [trail.to_string(), listed.to_string()] {
        assert!(!text.contains("kamera") && !text.contains(&sealed), "never shown: {text}");
    }
    // Sealed to node-2: node-1's key does not open it.
    let k1 = recorder::local_node::sealing_key(&data[0]).unwrap();
    assert!(k1.open(&sealed).is_err());
    assert!(recorder::local_node::sealing_key(&data[1]).unwrap().open(&sealed).is_ok());

    // The node API admits only the centre: no client certificate, or one of another CA, fails
    // the handshake. rule: KIT-5.4
    let url = format!("https://node-1.nodes.mimamori:{}/node/v1/status", ports[0]);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", ports[0]).parse().unwrap();
    let ca_pem = std::fs::read_to_string(data[0].join("node-tls/ca.pem")).unwrap();
    let bare = reqwest::Client::builder()
        .use_preconfigured_tls(
            rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates({
                let mut r = rustls::RootCertStore::empty();
                r.add(nodelink::pki::first_cert(&ca_pem).unwrap()).unwrap();
                r
            })
            .with_no_client_auth(),
        )
        .resolve("node-1.nodes.mimamori", addr)
        .build()
        .unwrap();
    assert!(bare.get(&url).send().await.is_err(), "no client certificate: refused");
    let other = nodelink::pki::Ca::open_or_create(&dir.path().join("other-ca")).unwrap();
    let pin = nodelink::pki::fingerprint(
        &nodelink::pki::first_cert(
            &std::fs::read_to_string(data[0].join("node-tls/node.pem")).unwrap(),
        )
        .unwrap(),
    );
    // The other CA's client also refuses node-1 (not its CA): either way no answer.
    let foreign = reqwest::Client::builder()
        .use_preconfigured_tls((*other.client_config(&pin).unwrap()).clone())
        .resolve("node-1.nodes.mimamori", addr)
        .build()
        .unwrap();
    assert!(foreign.get(&url).send().await.is_err(), "another CA's client: refused");

    // Recording on both nodes; then the centre's clock catches up with it.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let now = jiff::Timestamp::now();
    w.set_now(&policy::jst::rfc3339(now));
    let now_ms = now.as_millisecond();
    let (from, to) = ((now_ms - 7_000) / 1000 * 1000, (now_ms - 3_000) / 1000 * 1000);

    // The recorder status merges every node's cameras.
    let (_, status) = w.api.get("/api/v1/recorder/status", &manager).await;
    let cams: Vec<&str> = status["cameras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["camera"].as_str().unwrap())
        .collect();
    assert!(cams.contains(&"cam1") && cams.contains(&"cam2"), "{status:#}");

    // A mask change reaches the node that records the camera.
    let cam2 = w.srv.state.db.camera_by_code("cam2").await.unwrap().unwrap();
    let masker = w.holder(Permission::MaskManage).clone();
    let m = w
        .api
        .ok(
            &format!("/api/v1/cameras/{}/masks", cam2.id),
            &masker,
            json!({ "polygons": [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5]]], "in_recorder": true, "reason": "住宅の窓" }),
        )
        .await;
    assert_eq!(m["sent_to_recorder"], true, "{m:#}");

    // Extraction through the centre of footage node 2 holds: downloads and verifies offline.
    let file = dir.path().join("cam2.zip");
    extract_to(&w, "cam2", from, to, &file).await;
    let node2_key = audit::key::load_existing(&data[1].join("node.key")).unwrap().verifying_key();
    let r = evidence::verify::verify(
        &file,
        &evidence::verify::Options {
            node_key: node2_key,
            city_cert: None,
            decryption: None,
            expect_request: None,
        },
    );
    assert!(r.ok(), "{}", r.render());
    assert!(r.frames_ok >= 80, "4 s at 25 fps: {}", r.frames_ok);
    // The mask reached the remote node: footage recorded after the change is black inside
    // it (from the next keyframe, every 2 s), footage before it is not.
    let masked_from = jiff::Timestamp::now().as_millisecond() + 2_500;
    tokio::time::sleep(Duration::from_secs(7)).await;
    w.set_now(&policy::jst::rfc3339(jiff::Timestamp::now()));
    let after = dir.path().join("cam2-masked.zip");
    extract_to(&w, "cam2", masked_from / 1000 * 1000, masked_from / 1000 * 1000 + 3_000, &after)
        .await;
    let inside = |f: &Vec<u8>| f[3 * 32 + 12]; // (0.375, 0.125): inside the triangle
    let before = grey_frames(&file, dir.path());
    let masked = grey_frames(&after, dir.path());
    assert!(!before.is_empty() && !masked.is_empty());
    assert!(masked.iter().all(|f| inside(f) < 24), "black inside the mask after the change");
    assert!(before.iter().any(|f| inside(f) >= 24), "not black before the change");
    // No copy stays on the node once the centre has the package.
    let left: Vec<_> = std::fs::read_dir(data[1].join("exports"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");

    // Where cam2's masks are applied changes through the centre, and node 2 switches while it
    // records (rule: PROD-MASK-1): given an ONVIF service that does not answer, it tries the
    // camera and keeps burning the masks in, saying why; cleared, it burns them in as
    // configured. No reconnect either time.
    let reconnects = camera_status(&data[1], "cam2")["reconnects"].as_u64();
    let onvif = format!("/api/v1/cameras/{}/onvif", cam2.id);
    let service = "http://127.0.0.1:9/onvif/media2_service";
    let a = w
        .api
        .ok(&onvif, &manager, json!({ "onvif_url": service, "reason": "ONVIF対応カメラに交換" }))
        .await;
    assert_eq!(
        (a["masks_at"].as_str(), a["sent_to_recorder"].as_bool()),
        (Some("camera"), Some(true)),
        "{a:#}"
    );
    let why = burned_in_because(&data[1], "cam2", "unreachable").await;
    assert_eq!(why["why"]["reason"], "unreachable", "{why:#}");
    let a = w
        .api
        .ok(&onvif, &manager, json!({ "onvif_url": "", "reason": "カメラ側マスクの故障" }))
        .await;
    assert_eq!(a["sent_to_recorder"], true, "{a:#}");
    let why = burned_in_because(&data[1], "cam2", "configured").await;
    assert_eq!(why["why"]["reason"], "configured", "{why:#}");
    assert_eq!(camera_status(&data[1], "cam2")["reconnects"].as_u64(), reconnects);
    // Both switches are in node 2's own audit log, without the address.
    let log = std::fs::read_to_string(data[1].join("audit.log")).unwrap();
    let switches: Vec<&str> = log.lines().filter(|l| l.contains("recorder.masks_source")).collect();
    assert_eq!(switches.len(), 2, "{switches:#?}");
    assert!(switches[0].contains(r#"\"at\":\"camera\""#), "{}", switches[0]);
    assert!(switches[1].contains(r#"\"at\":\"recorder\""#), "{}", switches[1]);
    assert!(!log.contains("127.0.0.1:9/onvif"), "the address stays out of the node's log");

    // Audit logs witness each other across the link: the centre's checkpoint in node-2's log,
    // node-2's in the centre's (issue 17's witnessing, now for remote nodes too).
    let watch = server::audit_watch::Watch::beside(&w.srv.key);
    // node-4's address answers with node-2's certificate: refused, saying why; the others
    // witness all the same.
    let e = server::audit_watch::checkpoint_and_witness(&st, &watch).await.unwrap_err();
    let e = e.to_string();
    assert!(e.contains("node-4") && e.contains("not valid for name"), "{e}");
    assert!(!e.contains("node-1:") && !e.contains("node-2:"), "{e}");
    let remote2 = st.node_for("cam2").unwrap();
    let centre_log = st.audit.store().id();
    assert!(
        !remote2.witnessed(centre_log).await.unwrap().is_empty(),
        "node-2 witnessed the centre"
    );
    let node_log = remote2.audit_log_id().await.unwrap();
    assert!(
        !st.audit.store().witnessed(&node_log).await.unwrap().is_empty(),
        "the centre witnessed node-2"
    );

    // Recorded spans, a playback chunk and a still cross the link as they do in one process
    // (the centre's viewing and commissioning routes ask `node_for` the same way).
    let spans = remote2.recorded("cam2", from, to).await.unwrap();
    assert!(!spans.is_empty(), "cam2 recorded in [{from}, {to})");
    let chunk = remote2
        .playback(node::PlaybackAsk {
            camera: "cam2",
            from_ms: from,
            length_ms: 3_000,
            range: (from, to),
            origin_ms: from,
        })
        .await
        .unwrap();
    assert!(chunk.frames > 0 && !chunk.init.is_empty() && !chunk.media.is_empty(), "{chunk:?}");
    assert!(chunk.codec.starts_with("avc1"), "{chunk:?}");
    assert!(chunk.start_ms >= from && chunk.end_ms <= to + 1_000, "{chunk:?}");
    let still = remote2.still("cam2", Some((from, to))).await.unwrap();
    assert_eq!(&still.png[..8], b"\x89PNG\r\n\x1a\n");
    assert!((from - 2_500..=to).contains(&still.recorded_ms), "{still:?}");
    let e = remote2.recorded("cam9", from, to).await.unwrap_err();
    assert_eq!(e, node::NodeError::NotRecorded("cam9".into()), "the error keeps its kind");

    // The centre down: the nodes keep recording; back, it finds them again. rule: KIT-5.7
    let before = frames_recorded(&data[1], "cam2");
    w = w.restart_after(Duration::from_secs(3)).await;
    let st = w.srv.state.clone();
    assert!(frames_recorded(&data[1], "cam2") > before, "recording went on without the centre");
    server::fleet::refresh(&st).await.unwrap();
    assert!(st.node_for("cam2").is_some_and(|n| n.id() == "node-2"));
    let row = by_name(&nodes(&w, &manager).await, "node-2").clone();
    assert_eq!(row["state"], "in_contact");
    // Its audit log was verified against its checkpoints witnessed here: nothing found.
    assert!(row["audit_checked_at"].is_string() && row["audit_findings"] == json!([]), "{row:#}");

    // A revoked node is never asked again: its camera cannot be extracted.
    let n1 = by_name(&nodes(&w, &manager).await, "node-1")["id"].as_i64().unwrap();
    let (s, v) = w
        .api
        .post(&format!("/api/v1/nodes/{n1}/revoke"), &manager, json!({ "reason": "盗難" }))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "revoked");
    server::fleet::refresh(&st).await.unwrap();
    assert!(st.node_for("cam1").is_none());
    let (ins, extractor) = instructed(&w, "cam1", from, to).await;
    let (s, v) = w
        .api
        .post(&format!("/api/v1/instructions/{}/extract", ins["id"]), &extractor, json!({}))
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("not recorded by any recorder node"), "{v}");

    // Holds reach the node that records the camera; one placed while it cannot be reached is
    // shown pending on it (issue 21, item 5).
    let holder = w.holder(Permission::HoldManage).clone();
    let hold = |reason: &str| {
        json!({ "camera": "cam2", "from": jst(from), "to": jst(to),
                "until": policy::jst::rfc3339(now + jiff::SignedDuration::from_hours(24 * 30)), "reason": reason })
    };
    w.api.ok("/api/v1/holds", &holder, hold("捜査機関からの保存依頼")).await;
    // (node-4's spoofed address refuses them; node-2 takes them.)
    let e = server::nodes::send_holds(&st).await.unwrap_err().to_string();
    assert!(e.contains("node-4") && !e.contains("node-2:"), "{e}");
    let pending = |v: &Value| -> Vec<Value> {
        v.as_array().unwrap().iter().map(|h| h["pending_on_node"].clone()).collect()
    };
    let (_, hs) = w.api.get("/api/v1/holds", &holder).await;
    assert_eq!(pending(&hs), [Value::Null], "{hs:#}");

    // A node killed: shown stale, and an extraction from it refused saying so.
    n2.0.kill().unwrap();
    n2.0.wait().unwrap();
    w.set_now(&policy::jst::rfc3339(now + jiff::SignedDuration::from_secs(60)));
    server::fleet::refresh(&st).await.unwrap();
    let n2row = by_name(&nodes(&w, &manager).await, "node-2").clone();
    assert_eq!(n2row["state"], "stale");
    assert_eq!(n2row["alerts"][0], "stale", "{n2row:#}");
    let (ins, extractor) = instructed(&w, "cam2", from, to).await;
    let (s, v) = w
        .api
        .post(&format!("/api/v1/instructions/{}/extract", ins["id"]), &extractor, json!({}))
        .await;
    assert_eq!(s, 503, "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("cannot be reached") && detail.contains("node-2"), "{detail}");
    w.api.ok("/api/v1/holds", &holder, hold("事件の続報")).await;
    assert!(server::nodes::send_holds(&st).await.is_err(), "node-2 cannot take it");
    let (_, hs) = w.api.get("/api/v1/holds", &holder).await;
    let mut p = pending(&hs);
    p.sort_by_key(|v| v.is_null());
    assert_eq!(p, [json!("node-2"), Value::Null], "{hs:#}");
    // Silent a minute: an alert only. Silent six: an incident for whoever reviews them, once,
    // kept by the node's organisation, audited.
    let incidents = |kind: &'static str| {
        let st = st.clone();
        async move {
            let all = st.db.incidents().await.unwrap();
            all.into_iter().filter(|i| i.kind == kind && i.ref_key == "node-2").collect::<Vec<_>>()
        }
    };
    assert!(incidents("node_stale").await.is_empty(), "not yet an incident");
    w.set_now(&policy::jst::rfc3339(now + jiff::SignedDuration::from_mins(6)));
    server::fleet::refresh(&st).await.unwrap();
    server::fleet::refresh(&st).await.unwrap();
    let stale = incidents("node_stale").await;
    assert_eq!(stale.len(), 1, "one incident however often found: {stale:?}");
    let org = by_name(&nodes(&w, &manager).await, "node-2")["organisation_id"].as_i64();
    assert_eq!(stale[0].owner_org_id, org);

    // node-2's audit log edited while it was down: started again, the centre's hourly check
    // finds it (against the checkpoints of it the centre witnessed), alerts and records it.
    let log = data[1].join("audit.log");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"recorder.start\""));
    std::fs::write(&log, text.replacen("\"recorder.start\"", "\"recorder.stort\"", 1)).unwrap();
    let _n2 = start_node(&data[1], "cam2", rtsp, "cam2", ports[1]);
    w.set_now(&policy::jst::rfc3339(now + jiff::SignedDuration::from_hours(2)));
    server::fleet::refresh(&st).await.unwrap();
    let row = by_name(&nodes(&w, &manager).await, "node-2").clone();
    assert!(row["alerts"].as_array().unwrap().contains(&json!("audit_log")), "{row:#}");
    assert!(row["audit_findings"][0].as_str().unwrap().contains("edited"), "{row:#}");
    assert_eq!(incidents("node_audit_log").await.len(), 1, "the failed log is an incident");

    // Every step is in the audit trail.
    let auditor = w.holder(Permission::AuditRead).clone();
    for action in
        ["node.register", "node.enrol", "node.revoke", "audit.node_log_failed", "node.alert"]
    {
        let (s, v) = w.api.get(&format!("/api/v1/audit?action={action}"), &auditor).await;
        assert_eq!(s, 200, "{v}");
        assert!(v.to_string().contains(action), "{action} audited: {v}");
    }
    let _ = &mut w;
}

/// Registers node `name` at `site`: the port its API is to listen on, and the answer (with
/// its one-time token).
async fn register(w: &World, manager: &User, name: &str, site: &str) -> (u16, Value) {
    let port = free_port();
    let r = w
        .api
        .ok(
            "/api/v1/nodes",
            manager,
            // KIT-5.1: a network recorder in a facility meeting every condition.
            json!({ "name": name, "site": site, "address": format!("127.0.0.1:{port}"),
                "site_kind": "network", "site_conditions": ["seismic", "ups", "air_conditioning", "strict_security"] }),
        )
        .await;
    (port, r)
}

/// Registers node `name` at the centre and enrols it into `data`; the port its API listens on.
async fn enrolled(w: &World, manager: &User, name: &str, data: &Path) -> u16 {
    let (port, r) = register(w, manager, name, "東口").await;
    let (ok, text) = enrol(&w.api.base, data, r["enrolment_token"].as_str().unwrap());
    assert!(ok, "{text}");
    port
}

/// The tests' "the centre killed for two minutes" (issue 21, items 3 and 5; KIT-5.7): a node
/// holding a day whose erase instant comes while the centre is down keeps recording and erases
/// that day on its own schedule; back, the centre receives the erasure the node kept for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_centre_down_two_minutes_a_node_records_and_erases_on_schedule() {
    let clip = camsim::synthesize(320, 240, 25, 300_000, 2).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rtsp = listener.local_addr().unwrap().port();
    tokio::spawn(camsim::CamSim::new(clip, 1, camsim::Faults::default()).serve(listener));
    let start = jiff::Timestamp::now();
    let mut w = World::new(PROFILE, Backend::Postgres, &policy::jst::rfc3339(start)).await;
    let manager = w.holder(Permission::RegistryManage).clone();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node-e");
    let port = enrolled(&w, &manager, "node-e", &data).await;

    // The day that will expire: 40 days back, a Sunday or not (the node counts in JST days,
    // from the profile's counting rule).
    let day = policy::jst::date(start) - jiff::Span::new().days(40);
    let period = w.profile.default_period();
    let erase_day =
        policy::retention::erase_day(day, period, w.profile.retention.counting).unwrap();
    let erase_at = policy::jst::midnight(erase_day).unwrap();
    let noon = policy::jst::midnight(day).unwrap() + jiff::SignedDuration::from_hours(12);

    // The node records camE that day (its clock set to noon of it), then stops cleanly.
    let first = start_node_at(&data, "camE", rtsp, "cam1", port, Some(noon));
    let t = std::time::Instant::now();
    while frames_recorded(&data, "camE") < 150 {
        assert!(t.elapsed() < Duration::from_secs(30), "camE not recorded");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let status = Command::new("kill").arg("-TERM").arg(first.0.id().to_string()).status().unwrap();
    assert!(status.success());
    drop(first);

    // Started again 40 s before that day's erase instant, it is in contact with the centre and
    // still holds the day.
    let _node = start_node_at(
        &data,
        "camE",
        rtsp,
        "cam1",
        port,
        Some(erase_at - jiff::SignedDuration::from_secs(40)),
    );
    let st = w.srv.state.clone();
    server::fleet::refresh(&st).await.unwrap();
    let row = by_name(&nodes(&w, &manager).await, "node-e").clone();
    assert_eq!(row["state"], "in_contact", "{row:#}");
    assert_eq!(row["cameras"], json!(["camE"]), "{row:#}");
    assert_eq!(row["erasures"], json!([]), "{row:#}");
    let remote = st.node_for("camE").unwrap();
    let keys = remote.live_keys().await.unwrap();
    assert!(keys.iter().any(|k| k.day == day.to_string()), "{keys:?}");

    // The centre down for two minutes: the node records on and erases the day at its instant.
    let before = frames_recorded(&data, "camE");
    w = w.restart_after(Duration::from_secs(120)).await;
    let st = w.srv.state.clone();
    assert!(
        frames_recorded(&data, "camE") > before + 1_000,
        "recording went on without the centre"
    );
    let log = std::fs::read_to_string(data.join("audit.log")).unwrap();
    assert!(log.contains("retention.erase"), "the node recorded its erasure (E3)");
    assert!(log.contains("clock_offset_ms"), "its log says its clock was set, not the system's");

    // Back, the centre receives the erasure the node kept, in the node's order, and shows it.
    w.set_now(&policy::jst::rfc3339(jiff::Timestamp::now()));
    server::fleet::refresh(&st).await.unwrap();
    let row = by_name(&nodes(&w, &manager).await, "node-e").clone();
    let erased = row["erasures"].as_array().unwrap();
    let e = erased
        .iter()
        .find(|e| e["camera"] == "camE" && e["day"] == day.to_string())
        .unwrap_or_else(|| panic!("the day's erasure reached the centre: {row:#}"));
    assert!(e["frames"].as_i64().unwrap() >= 150, "{e}");
    let at = policy::jst::parse_rfc3339(e["erased_at"].as_str().unwrap()).unwrap();
    assert!(at >= erase_at, "erased at its instant, not before: {at} < {erase_at}");
    assert!(at < erase_at + jiff::SignedDuration::from_secs(90), "on schedule: {at}");
    let seqs: Vec<i64> = erased.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|p| p[0] > p[1]), "newest first, none twice: {seqs:?}");
    let keys = st.node_for("camE").unwrap().live_keys().await.unwrap();
    assert!(!keys.iter().any(|k| k.day == day.to_string()), "the day's key is gone: {keys:?}");
    // Asked again, nothing arrives twice.
    server::fleet::refresh(&st).await.unwrap();
    let again = by_name(&nodes(&w, &manager).await, "node-e")["erasures"].clone();
    assert_eq!(again.as_array().unwrap().len(), erased.len());
}

/// An S3-compatible object store server process (s3s-fs, installed by scripts/test-deps.sh);
/// its port, bucket directory and the process.
fn s3_server(root: &Path, bucket: &str) -> (u16, std::path::PathBuf, Proc) {
    let bin = std::env::var("MIMAMORI_S3S_FS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/s3s-fs"));
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test-deps.sh (it installs the S3 test server s3s-fs)",
        bin.display()
    );
    std::fs::create_dir_all(root.join(bucket)).unwrap();
    let port = free_port();
    let child = Command::new(bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", "mimamori-test", "--secret-key", "mimamori-test-secret"])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, Duration::from_secs(30));
    (port, root.join(bucket), Proc(child))
}

/// Issue 21, item 4: two central processes behind a load balancer keep evidence packages in an
/// S3-compatible store (a real server process): the package made through one is downloaded
/// through the other and verifies; no copy stays on the disk of the process that made it; the
/// erasure after the keeping period, run by the other process, removes the object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_in_an_object_store_serve_every_central_process() {
    let dir = tempfile::tempdir().unwrap();
    let (s3_port, bucket_dir, _s3) = s3_server(&dir.path().join("s3"), "mimamori-packages");
    let settings = server::packages::S3Settings {
        endpoint: format!("http://127.0.0.1:{s3_port}"),
        bucket: "mimamori-packages".into(),
        region: "us-east-1".into(),
        access_key_id: "mimamori-test".into(),
        secret_access_key: "mimamori-test-secret".into(),
    };
    assert!(!format!("{settings:?}").contains("secret"), "the secret never reaches a log");

    let clip = camsim::synthesize(320, 240, 25, 300_000, 2).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rtsp = listener.local_addr().unwrap().port();
    tokio::spawn(camsim::CamSim::new(clip, 1, camsim::Faults::default()).serve(listener));
    let mut cfg = recorder::config::RecorderConfig::new("node-s3", dir.path().join("rec"));
    cfg.segment_ms = 2_000;
    cfg.cameras = vec![
        recorder::config::CameraConfig::from_url("cam1", &format!("rtsp://127.0.0.1:{rtsp}/cam1"))
            .unwrap(),
    ];
    let profile = policy::resolve_seed(PROFILE).unwrap();
    let rec = recorder::Recorder::start(cfg, profile, clock::Clock::System).await.unwrap();
    let node_key = rec.ctx.signing.verifying_key();

    let start = jiff::Timestamp::now();
    let w = World::new(PROFILE, Backend::Postgres, &policy::jst::rfc3339(start)).await;
    let exports = dir.path().join("rec/exports");
    w.srv.state.attach_node(std::sync::Arc::new(recorder::LocalNode::new(
        rec.ctx.clone(),
        exports.clone(),
    )));
    let mut b = world::Server::start(PROFILE, &w.srv.db, &w.srv.key, w.srv.clock.clone()).await;
    let store = server::packages::PackageStore::s3(&settings).unwrap();
    w.srv.state.set_package_store(store.clone());
    b.state.set_package_store(store);
    let api_b = world::Api::new(&b.base);

    tokio::time::sleep(Duration::from_secs(9)).await;
    let now = jiff::Timestamp::now();
    w.set_now(&policy::jst::rfc3339(now));
    let now_ms = now.as_millisecond();
    let (from, to) = ((now_ms - 6_000) / 1000 * 1000, (now_ms - 3_000) / 1000 * 1000);
    let (ins, extractor) = instructed(&w, "cam1", from, to).await;
    // Extracted through process A…
    let ex = w
        .api
        .ok(&format!("/api/v1/instructions/{}/extract", ins["id"]), &extractor, json!({}))
        .await;
    let pkg = ex["packages"][0].clone();
    let href = pkg["href"].as_str().unwrap().to_owned();
    // …kept in the store, not on A's disk…
    let left: Vec<_> = std::fs::read_dir(&exports)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
    let objects: Vec<_> = std::fs::read_dir(bucket_dir.join("packages"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    assert_eq!(objects.len(), 1, "{objects:?}");
    // …downloaded through process B, and it verifies.
    let get = |api: &world::Api| {
        let mut rb = api.http.get(format!("{}{href}", api.base)).bearer_auth(&extractor.token);
        if let Some(ws) = &extractor.ws {
            rb = rb.header("x-mimamori-workstation", ws);
        }
        rb.send()
    };
    let resp = get(&api_b).await.unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, pkg["bytes"].as_u64().unwrap());
    let file = dir.path().join("cam1.zip");
    std::fs::write(&file, &bytes).unwrap();
    let r = evidence::verify::verify(
        &file,
        &evidence::verify::Options {
            node_key,
            city_cert: None,
            decryption: None,
            expect_request: None,
        },
    );
    assert!(r.ok(), "{}", r.render());

    // After the keeping period the other process erases it: the object is gone, and the
    // download says so.
    w.set_now(&policy::jst::rfc3339(now + jiff::SignedDuration::from_hours(24 * 8)));
    let erased = server::api::erase_expired_packages(&b.state).await.unwrap();
    assert_eq!(erased, 1);
    assert!(!objects[0].exists(), "the object is erased");
    let resp = get(&w.api).await.unwrap();
    assert_eq!(resp.status(), 409);
    b.shutdown().await;
    rec.stop().await;
}
