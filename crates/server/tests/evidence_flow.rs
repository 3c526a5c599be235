//! The evidence package as the workflow makes it (issue 5): a recorder in the server's process
//! records the camera simulator; an approved instruction is carried out through the API, the
//! server exports one package per camera, the extraction records their ids and manifest hashes,
//! the extractor downloads them on the workstation, and each verifies offline. On SQLite
//! (packages encrypted to a passphrase) and PostgreSQL (plain).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use policy::Permission;
use serde_json::{Value, json};
use std::time::Duration;

async fn camsim() -> u16 {
    let clip = camsim::synthesize(320, 240, 25, 300_000, 4).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(camsim::CamSim::new(clip, 2, camsim::Faults::default()).serve(listener));
    port
}

fn jst_secs(ms: i64) -> String {
    policy::jst::rfc3339(jiff::Timestamp::from_second(ms.div_euclid(1000)).unwrap())
}

/// Request → decision → instruction chain, for `cameras` over `[from, to)`; returns the request
/// id, the open instruction and the user who extracts.
async fn instructed(w: &World, cameras: &[&str], from: i64, to: i64) -> (i64, Value, User) {
    let p = &w.profile;
    let basis = p.bases.iter().find(|b| b.review).unwrap_or(&p.bases[0]).clone();
    let requester = w.user(&p.workflow.requested_by[0]);
    let r = w
        .api
        .ok("/api/v1/requests", &requester, json!({
            "basis": basis.id, "purpose": p.purposes.last().unwrap().id, "recipient": "中央警察署 刑事課",
            "case_summary": "窃盗事件", "documents": documents(w, &basis),
            "cameras": cameras, "from": jst_secs(from), "to": jst_secs(to)
        }))
        .await;
    let id = r["id"].as_i64().unwrap();
    if let Some(relay) = p.workflow.relayed_by.first() {
        w.api.ok(&format!("/api/v1/requests/{id}/relay"), &w.user(relay), json!({})).await;
    }
    w.api
        .ok(
            &format!("/api/v1/requests/{id}/approve"),
            &w.user(&p.workflow.reviewed_by[0]),
            json!({}),
        )
        .await;
    let chain = &p.workflow.chain;
    let issuer = w.user(&chain[0].roles[0]);
    let mut ins = w
        .api
        .ok(
            "/api/v1/instructions",
            &issuer,
            json!({ "request_id": id, "to_account": w.user(&chain[1].roles[0]).id }),
        )
        .await;
    for step in 1..chain.len() - 1 {
        let holder = w.user(&chain[step].roles[0]);
        ins = w
            .api
            .ok(
                &format!("/api/v1/instructions/{}/relay", ins["id"]),
                &holder,
                json!({ "to_account": w.user(&chain[step + 1].roles[0]).id }),
            )
            .await;
    }
    (id, ins, w.user(&chain[chain.len() - 1].roles[0]))
}

async fn download(w: &World, href: &str, user: &User) -> (reqwest::StatusCode, Vec<u8>) {
    let mut rb = w.api.http.get(format!("{}{}", w.api.base, href)).bearer_auth(&user.token);
    if let Some(ws) = &user.ws {
        rb = rb.header("x-mimamori-workstation", ws);
    }
    let resp = rb.send().await.unwrap();
    (resp.status(), resp.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instruction_extracts_packages_that_verify_offline() {
    let port = camsim().await;
    let dir = tempfile::tempdir().unwrap();
    let profile = policy::resolve_seed("asahikawa").unwrap();
    let mut cfg = recorder::config::RecorderConfig::new("node-e2e", dir.path());
    cfg.segment_ms = 2_000;
    cfg.cameras = ["cam1", "cam2"]
        .iter()
        .map(|c| recorder::config::CameraConfig {
            code: (*c).into(),
            url: format!("rtsp://127.0.0.1:{port}/{}", if *c == "cam1" { "cam1" } else { "cam2" }),
            username: None,
            password: None,
            retention: None,
            masks: Vec::new(),
            mask_version: 0,
            onvif: None,
            mask_check_ms: recorder::config::MASK_CHECK_MS,
        })
        .collect();
    let rec = recorder::Recorder::start(cfg, profile, clock::Clock::System).await.unwrap();
    let node_key = rec.ctx.signing.verifying_key();
    // Long enough for a keyframe (every 2 s) well before the range asked.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let pass = "correct horse battery staple";
    for backend in BACKENDS {
        let now = jiff::Timestamp::now();
        let w = World::new("asahikawa", backend, &policy::jst::rfc3339(now)).await;
        w.srv.state.attach_node(std::sync::Arc::new(recorder::LocalNode::new(
            rec.ctx.clone(),
            dir.path().join("exports"),
        )));
        let now_ms = now.as_millisecond();
        let (from, to) = ((now_ms - 7_000) / 1000 * 1000, (now_ms - 3_000) / 1000 * 1000);
        let (req, ins, extractor) = instructed(&w, &["cam1", "cam2"], from, to).await;
        let encrypted = backend == Backend::Sqlite;
        let body = if encrypted { json!({ "encrypt": { "passphrase": pass } }) } else { json!({}) };
        // Naming a package made elsewhere is refused when the server makes them itself.
        let (s, v) = w
            .api
            .post(
                &format!("/api/v1/instructions/{}/extract", ins["id"]),
                &extractor,
                json!({ "package_id": "x", "manifest_hash": "y" }),
            )
            .await;
        assert_eq!(s, 422, "{v:#}");
        let ex = w
            .api
            .ok(&format!("/api/v1/instructions/{}/extract", ins["id"]), &extractor, body)
            .await;
        let pkgs = ex["packages"].as_array().unwrap().clone();
        assert_eq!(pkgs.len(), 2, "{ex:#}");
        let (first_extraction, first_extractor) =
            (ex["extraction"]["id"].clone(), extractor.clone());
        // The extraction records every package id and manifest hash.
        let ids: Vec<&str> = pkgs.iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ex["extraction"]["package_id"], ids.join(" "));
        let hashes: Vec<&str> =
            pkgs.iter().map(|p| p["manifest_sha256"].as_str().unwrap()).collect();
        assert_eq!(ex["extraction"]["manifest_hash"], hashes.join(" "));
        for (p, cam) in pkgs.iter().zip(["cam1", "cam2"]) {
            assert_eq!(p["camera"], cam);
            assert_eq!(p["encrypted"], encrypted);
            let href = p["href"].as_str().unwrap();
            // Only the extractor, only on the workstation. rule: ASA-3.3a, PROD-EVIDENCE-2
            let decider = w.user(&w.profile.workflow.reviewed_by[0]);
            let (s, _) = download(&w, href, &decider).await;
            assert_eq!(s, 403, "the approver may not take the package");
            let mut no_ws = extractor.clone();
            no_ws.ws = None;
            let (s, _) = download(&w, href, &no_ws).await;
            assert_eq!(s, 403, "not off the workstation");
            let (s, bytes) = download(&w, href, &extractor).await;
            assert_eq!(s, 200);
            // Named for its request, camera and start (issue 19, item 6).
            let name = p["file_name"].as_str().unwrap();
            assert!(name.starts_with("ASA-2026-") && name.contains(&format!("_{cam}_")), "{name}");
            assert!(name.ends_with(if encrypted { ".zip.age" } else { ".zip" }), "{name}");
            let head = w
                .api
                .http
                .get(format!("{}{}", w.api.base, href))
                .bearer_auth(&extractor.token)
                .header("x-mimamori-workstation", extractor.ws.as_deref().unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(
                head.headers()["content-disposition"],
                format!("attachment; filename=\"{name}\"")
            );
            assert_eq!(bytes.len() as i64, p["bytes"].as_i64().unwrap());
            let file = dir.path().join(format!("{backend:?}-{cam}.pkg"));
            std::fs::write(&file, &bytes).unwrap();
            // rule: KAW-2.2.7オ, ASA-3.3b, PROD-EVIDENCE-1 — unaltered, verifiable offline.
            let dec = evidence::package::Decryption::Passphrase(pass.to_owned().into());
            let r = evidence::verify::verify(
                &file,
                &evidence::verify::Options {
                    node_key,
                    city_cert: None,
                    decryption: encrypted.then_some(&dec),
                    expect_request: None,
                },
            );
            assert!(r.ok(), "{}", r.render());
            assert_eq!(r.package_id.as_deref(), p["id"].as_str());
            assert_eq!(r.camera.as_deref(), Some(cam));
            assert_eq!(r.encrypted, encrypted);
            assert_eq!(r.frames_ok, p["frames"].as_u64().unwrap());
            assert!(r.frames_ok >= 80, "4 s at 25 fps: {}", r.frames_ok);
            let d = r.delivered.unwrap();
            assert!(
                d.from_ms <= from && d.to_ms >= to - 100,
                "{backend:?} from={from} to={to} {d:?}"
            );
        }
        // Issue 19, item 6 — every package of the extraction in one download: the same
        // conditions, each package byte for byte as downloaded alone (read back by Python's
        // zipfile, an independent reader), each audited as downloaded.
        let all = format!("/api/v1/extractions/{first_extraction}/packages.zip");
        let decider = w.user(&w.profile.workflow.reviewed_by[0]);
        assert_eq!(download(&w, &all, &decider).await.0, 403, "the approver may not take them");
        let mut no_ws = extractor.clone();
        no_ws.ws = None;
        assert_eq!(download(&w, &all, &no_ws).await.0, 403, "not off the workstation");
        let (s, bundle) = download(&w, &all, &extractor).await;
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bundle));
        let bundle_file = dir.path().join(format!("{backend:?}-all.zip"));
        std::fs::write(&bundle_file, &bundle).unwrap();
        let alone: Vec<std::path::PathBuf> = ["cam1", "cam2"]
            .iter()
            .map(|cam| dir.path().join(format!("{backend:?}-{cam}.pkg")))
            .collect();
        let listing = std::process::Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, zipfile\n\
                 z = zipfile.ZipFile(sys.argv[1])\n\
                 assert z.testzip() is None\n\
                 for i, alone in zip(z.infolist(), sys.argv[2:]):\n    \
                     same = z.read(i) == open(alone, 'rb').read()\n    \
                     print(i.filename, i.compress_type, i.file_size, same)\n\
                 print(len(z.infolist()))",
            )
            .arg(&bundle_file)
            .args(&alone)
            .output()
            .unwrap();
        assert!(listing.status.success(), "{}", String::from_utf8_lossy(&listing.stderr));
        let listing = String::from_utf8(listing.stdout).unwrap();
        let mut want = String::new();
        for (p, file) in pkgs.iter().zip(&alone) {
            let len = std::fs::metadata(file).unwrap().len();
            want.push_str(&format!("{} 0 {len} True\n", p["file_name"].as_str().unwrap()));
        }
        want.push_str("2\n");
        assert_eq!(listing, want, "stored, named, byte for byte");

        let (_, r) = w.api.get(&format!("/api/v1/requests/{req}"), &extractor).await;
        assert_eq!(r["state"], "extracted", "{r:#}");

        // After the keeping period the files are erased (audited); a download then says why.
        // rule: PROD-EVIDENCE-2
        assert_eq!(server::api::erase_expired_packages(&w.srv.state).await.unwrap(), 0);
        let later =
            now + jiff::SignedDuration::from_hours(24 * (server::api::PACKAGE_KEEP_DAYS + 1));
        w.set_now(&policy::jst::rfc3339(later));
        assert_eq!(server::api::erase_expired_packages(&w.srv.state).await.unwrap(), 2);
        for p in &pkgs {
            let (s, body) = download(&w, p["href"].as_str().unwrap(), &extractor).await;
            assert_eq!(s, 409);
            assert!(String::from_utf8_lossy(&body).contains("erased"));
        }
        let files = std::fs::read_dir(dir.path().join("exports")).unwrap().count();
        assert_eq!(files, 0, "no package file is left on the server");
        w.set_now(&policy::jst::rfc3339(now));

        // A range with nothing recorded: refused, and nothing changes (the instruction stays open).
        let (req2, ins2, extractor) =
            instructed(&w, &["cam1"], now_ms - 7_200_000, now_ms - 7_000_000).await;
        let (s, v) = w
            .api
            .post(&format!("/api/v1/instructions/{}/extract", ins2["id"]), &extractor, json!({}))
            .await;
        assert_eq!(s, 409, "{v:#}");
        assert!(v["detail"].as_str().unwrap().contains("no footage"), "{v:#}");
        let (_, r) = w.api.get(&format!("/api/v1/requests/{req2}"), &extractor).await;
        assert_eq!(r["state"], "instructed");
        // A short passphrase is refused by field.
        let (s, v) = w
            .api
            .post(
                &format!("/api/v1/instructions/{}/extract", ins2["id"]),
                &extractor,
                json!({ "encrypt": { "passphrase": "short" } }),
            )
            .await;
        assert_eq!(s, 422);
        assert_eq!(v["errors"][0]["field"], "encrypt.passphrase");

        // Every download is audited with the package id; the refused ones too.
        let auditor = w.holder(Permission::AuditRead).clone();
        let (_, log) = w.api.get("/api/v1/audit?action=footage.download", &auditor).await;
        let log = log.as_array().unwrap();
        // Two packages, each taken twice (the second read checks its file name), and once more
        // with the other in one zip.
        assert_eq!(log.iter().filter(|e| e["outcome"] == "ok").count(), 6, "{log:#?}");
        let (_, all_log) = w.api.get("/api/v1/audit?action=footage.download_all", &auditor).await;
        let refused =
            all_log.as_array().unwrap().iter().filter(|e| e["outcome"] == "denied").count();
        assert_eq!(refused, 2, "the refused bundles are audited too: {all_log:#}");
        // The action filter takes the name as a prefix: the 4 refused single downloads and the
        // 2 refused bundles.
        assert_eq!(log.iter().filter(|e| e["outcome"] == "denied").count(), 6);
        assert!(log.iter().any(|e| e["object"] == format!("package:{}", ids[0])));
        let (_, v) = w.api.get("/api/v1/audit/verify", &auditor).await;
        assert_eq!(v["ok"], true);

        // rule: ALL-REC-2 — the still for checking aim and masks: before commissioning a PNG
        // decoded from what was stored, audited; after commissioning refused with the rule.
        let registrar = w.holder(Permission::RegistryManage).clone();
        let (_, cams) = w.api.get("/api/v1/cameras", &registrar).await;
        let cam1 =
            cams.as_array().unwrap().iter().find(|c| c["code"] == "cam1").unwrap()["id"].clone();
        let (s, png) = download(&w, &format!("/api/v1/cameras/{cam1}/still"), &registrar).await;
        assert_eq!(s, 200);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert!(width >= 160, "the camera's picture, {width} wide");
        w.api.ok(&format!("/api/v1/cameras/{cam1}/commission"), &registrar, json!({})).await;
        let (s, _) =
            w.api.post(&format!("/api/v1/cameras/{cam1}/commission"), &registrar, json!({})).await;
        assert_eq!(s, 409, "commissioned once");
        let (s, v) = w.api.get(&format!("/api/v1/cameras/{cam1}/still"), &registrar).await;
        assert_eq!(s, 403);
        assert_eq!(v["rule"], "ALL-REC-2");
        let (_, log) = w.api.get("/api/v1/audit?action=camera.still", &auditor).await;
        let outcomes: Vec<&str> =
            log.as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes.iter().filter(|o| **o == "ok").count(), 1, "{outcomes:?}");
        assert!(outcomes.contains(&"denied"), "{outcomes:?}");

        // rule: ALL-REC-2 — after commissioning, only through the chain: the extractor of the
        // instructed extraction, on its workstation, gets the first keyframe of the instructed
        // range, until the ledger entry closes the request.
        let still = format!("/api/v1/cameras/{cam1}/still?extraction={first_extraction}");
        let (s, png) = download(&w, &still, &first_extractor).await;
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&png));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        let (s, v) = w.api.get(&still, &registrar).await;
        assert_eq!(s, 403, "not the extractor: {v}");
        assert_eq!(v["rule"], "ALL-REC-2");
        let mut no_ws = first_extractor.clone();
        no_ws.ws = None;
        let (s, _) = w.api.get(&still, &no_ws).await;
        assert_eq!(s, 403, "not on the extraction's workstation");
        let (s, _) = w
            .api
            .get(&format!("/api/v1/cameras/{cam1}/still?extraction=x"), &first_extractor)
            .await;
        assert_eq!(s, 422, "a malformed extraction id");
        let (_, log) = w.api.get("/api/v1/audit?action=camera.still", &auditor).await;
        let taken = log
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["outcome"] == "ok" && e["detail"]["extraction"] == first_extraction)
            .unwrap()
            .clone();
        assert_eq!(
            taken["detail"]["blake3"].as_str().unwrap(),
            blake3::hash(&png).to_hex().as_str()
        );
        let recorded = taken["detail"]["recorded_at"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond();
        assert!((from..to).contains(&recorded), "the still lies in the instructed range: {taken}");
        // The ledger entry closes the request; no still after it.
        let writer = w.user(&w.profile.workflow.ledger_written_by[0]);
        w.api
            .ok("/api/v1/ledger", &writer, json!({ "request_id": req, "handed_over_at": policy::jst::rfc3339(w.srv.clock.now()),
                "data_hashes": [format!("blake3:{}", taken["detail"]["blake3"].as_str().unwrap())] }))
            .await;
        // The camera's owner reads the entry (the ledger is scoped to one's own cameras).
        let reader = w.holder(policy::Permission::LedgerRead).clone();
        let (_, ledger) = w.api.get("/api/v1/ledger", &reader).await;
        assert!(ledger.as_array().unwrap().iter().any(|e| e["request_id"] == req), "{ledger}");
        let (s, v) = w.api.get(&still, &first_extractor).await;
        assert_eq!(s, 409, "closed by its ledger entry: {v}");
        // Nor the package: the footage has been delivered and recorded (issue 16, L4).
        let (s, _) = download(&w, pkgs[0]["href"].as_str().unwrap(), &first_extractor).await;
        assert_eq!(s, 409, "no download after the ledger entry");
    }
    rec.stop().await;
}
