//! Transparency and lifecycle (issue 7) through the HTTP API, on SQLite and PostgreSQL:
//! complaints that go overdue and escalate (KIT-7), the yearly report recomputed from the raw
//! records (KIT-8) with its CSV and no personal data, the public camera list (NIS-3.1b),
//! decommissioning before the minimum period (KAW-2.1.3), and the disposal of a recorder
//! refused while footage keys remain or until enough people confirmed (KIT-5.7, ASA-3.3d).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use policy::Permission;
use serde_json::{Value, json};
use std::time::Duration;

async fn public(w: &World, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    w.api.call("POST", path, None, Some(body)).await
}

async fn audit_actions(w: &World, action: &str) -> Vec<Value> {
    let auditor = w.holder(Permission::AuditRead);
    let (s, v) = w.api.get(&format!("/api/v1/audit?action={action}"), auditor).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

// rule: KIT-7
#[tokio::test]
async fn complaints_are_answered_or_escalate_when_overdue() {
    for backend in BACKENDS {
        let w = World::new("kitakyushu", backend, "2026-11-24T10:00:00+09:00").await;
        let handler = w.holder(Permission::ComplaintHandle).clone();
        // The public form needs no login; bad input is refused with the field named.
        let (s, v) =
            public(&w, "/api/v1/public/complaints", json!({ "category": "gossip", "body": "x" }))
                .await;
        assert_eq!((s.as_u16(), v["errors"][0]["field"].as_str()), (422, Some("category")), "{v}");
        let (s, v) =
            public(&w, "/api/v1/public/complaints", json!({ "category": "privacy", "body": "  " }))
                .await;
        assert_eq!((s.as_u16(), v["errors"][0]["field"].as_str()), (422, Some("body")), "{v}");
        let (s, v) = public(
            &w,
            "/api/v1/public/complaints",
            json!({ "category": "privacy", "camera": "cam1", "body": "自宅の窓が映っている気がする", "contact": "090-0000-0000" }),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        // 14 days (KIT-7, the profile's reading), counted from the next day to the end of the
        // 8th of December, an office day.
        assert_eq!(v["answer_by"], "2026-12-09T00:00:00+09:00", "14 days (KIT-7 profile reading)");
        let first = v["number"].as_str().unwrap().to_owned();
        let second = public(
            &w,
            "/api/v1/public/complaints",
            json!({ "category": "signage", "body": "表示が見えない" }),
        )
        .await
        .1;

        // Only complaint handlers see the register (with the contact, personal data).
        let (s, _) = w.api.get("/api/v1/complaints", &w.user("applicant")).await;
        assert_eq!(s, 403);
        let list = w.api.get("/api/v1/complaints", &handler).await.1;
        assert_eq!(list.as_array().unwrap().len(), 2);
        assert!(list.as_array().unwrap().iter().all(|c| c["overdue"] == false));
        let id = |list: &Value, number: &str| {
            list.as_array().unwrap().iter().find(|c| c["number"] == number).unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let first_id = id(&list, &first);
        // Answered within the deadline, then closed.
        w.set_now("2026-11-30T10:00:00+09:00");
        w.api
            .ok(
                &format!("/api/v1/complaints/{first_id}/respond"),
                &handler,
                json!({ "response": "画角を確認し、窓は映っていないことを説明した" }),
            )
            .await;
        w.api.ok(&format!("/api/v1/complaints/{first_id}/close"), &handler, json!({})).await;
        // The second is not answered: past its deadline it is overdue and escalated, once.
        w.set_now("2026-12-09T10:00:00+09:00");
        let list = w.api.get("/api/v1/complaints", &handler).await.1;
        let late =
            list.as_array().unwrap().iter().find(|c| c["number"] == second["number"]).unwrap();
        assert_eq!(late["overdue"], true);
        assert_eq!(late["escalated_at"], "2026-12-09T10:00:00+09:00");
        let _ = w.api.get("/api/v1/complaints", &handler).await;
        let escalations = audit_actions(&w, "complaint.escalate").await;
        assert_eq!(escalations.len(), 1, "escalated once: {escalations:?}");
        // The 14 days are the product's reading of 「迅速かつ誠実に」 (KIT-7): the escalation
        // cites the reading, not the seed. rule: PROD-COMPLAINT-1
        assert_eq!(escalations[0]["rule"], "PROD-COMPLAINT-1");
        // Closing before answering is refused.
        let (s, _) = w
            .api
            .post(
                &format!(
                    "/api/v1/complaints/{}/close",
                    id(&list, second["number"].as_str().unwrap())
                ),
                &handler,
                json!({}),
            )
            .await;
        assert_eq!(s, 409);
        // The public submission is audited without its text or contact.
        let received = audit_actions(&w, "complaint.receive").await;
        assert_eq!(received.len(), 2);
        assert!(!received[0].to_string().contains("090-0000-0000"));
    }
}

/// Every string that identifies a person or a case in `w`.
fn personal(w: &World) -> Vec<String> {
    let mut out: Vec<String> = w.users.values().flat_map(|u| [u.login.clone()]).collect();
    out.extend([
        "管理者".to_owned(),
        "路上強盗事件の捜査".into(),
        "自宅の窓".into(),
        "090-1111-2222".into(),
        "西署 刑事課".into(),
    ]);
    out
}

// rule: KIT-8, PROD-REPORT-1
#[tokio::test]
async fn the_yearly_report_matches_the_records_and_holds_no_personal_data() {
    for backend in BACKENDS {
        let w = World::new("kitakyushu", backend, "2026-11-24T10:00:00+09:00").await;
        let p = w.profile.clone();
        let applicant = w.user("applicant");
        let reviewer = w.holder(Permission::RequestReview).clone();
        let basis = p
            .bases
            .iter()
            .find(|b| b.documents.is_empty() && b.documents_any_of.is_empty())
            .unwrap_or(&p.bases[0]);
        // Five requests: three approved, two refused, all by the police.
        for i in 0..5 {
            w.set_now(&format!("2026-11-2{}T10:00:00+09:00", 4 + i % 3));
            let r = w
                .api
                .ok("/api/v1/requests", &applicant, json!({ "basis": basis.id, "purpose": p.purposes[0].id, "recipient": "西署 刑事課",
                    "case_summary": "路上強盗事件の捜査", "documents": documents(&w, basis), "cameras": ["cam1"],
                    "from": "2026-11-24T08:00:00+09:00", "to": "2026-11-24T08:30:00+09:00" }))
                .await;
            let id = r["id"].as_i64().unwrap();
            if i < 3 {
                w.api.ok(&format!("/api/v1/requests/{id}/approve"), &reviewer, json!({})).await;
            } else {
                w.api
                    .ok(
                        &format!("/api/v1/requests/{id}/refuse"),
                        &reviewer,
                        json!({ "reason": "必要性が認められない" }),
                    )
                    .await;
            }
        }
        w.set_now("2026-11-27T10:00:00+09:00");
        // A complaint with a contact.
        public(
            &w,
            "/api/v1/public/complaints",
            json!({ "category": "privacy", "body": "自宅の窓が映る", "contact": "090-1111-2222" }),
        )
        .await;

        let publisher = w.holder(Permission::ReportPublish).clone();
        let (s, _) = w.api.get("/api/v1/reports/annual?fiscal_year=2026", &applicant).await;
        assert_eq!(s, 403, "only the publishing role");
        let (s, v) = w.api.get("/api/v1/reports/annual?fiscal_year=2030", &publisher).await;
        assert_eq!(s, 422, "a year not begun: {v}");
        let (s, r) = w.api.get("/api/v1/reports/annual?fiscal_year=2026", &publisher).await;
        assert_eq!(s, 200, "{r}");

        // Recompute from the raw records, through the register endpoints.
        let requests = w.api.get("/api/v1/requests", &reviewer).await.1;
        let reqs = requests.as_array().unwrap();
        let refused = reqs.iter().filter(|r| r["state"] == "refused").count() as u64;
        let table = |id: &str| {
            r["tables"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap().clone()
        };
        let prov = table("provisions");
        let row = &prov["rows"][0];
        assert_eq!(row[0]["value"], basis.name_ja);
        assert_eq!(row[1]["value"], "警察等の捜査機関");
        assert_eq!(row[2], json!({ "kind": "count", "value": reqs.len() }), "requests");
        assert_eq!(refused, 2);
        // Two refusals are below the threshold of 3: withheld. rule: PROD-REPORT-1
        assert_eq!(row[4], json!({ "kind": "suppressed" }));
        let cams = table("cameras");
        let registered =
            w.api.get("/api/v1/cameras", &publisher).await.1.as_array().unwrap().len() as u64;
        assert_eq!(
            cams["rows"].as_array().unwrap().last().unwrap()[1],
            json!({ "kind": "count", "value": registered })
        );
        let complaints = table("complaints");
        assert_eq!(
            complaints["rows"][0][1],
            json!({ "kind": "suppressed" }),
            "one complaint: withheld"
        );
        assert_eq!(r["meta"]["suppression_rule"], "PROD-REPORT-1");
        assert!(r["meta"]["audit"]["last_hash"].as_str().is_some_and(|h| h.len() == 64));

        // The files: CSV with BOM and Japanese columns; HTML; JSON — none with personal data.
        let rep: report::AnnualReport = serde_json::from_value(r.clone()).unwrap();
        let files = report::csv_files(&rep).unwrap();
        let (_, prov_csv) = files.iter().find(|(n, _)| n == "2026-provisions.csv").unwrap();
        assert_eq!(&prov_csv[..3], b"\xEF\xBB\xBF", "UTF-8 with BOM");
        let mut rd = csv::Reader::from_reader(&prov_csv[3..]);
        let headers: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(headers, ["根拠", "提供先の種別", "申請件数", "提供件数", "不承認件数"]);
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][2], "5");
        assert_eq!(&rows[0][4], "3未満");
        let mut everything = vec![
            report::json(&rep).unwrap(),
            report::html(&rep, true).into_string(),
            report::html(&rep, false).into_string(),
        ];
        everything.extend(files.iter().map(|(_, b)| String::from_utf8(b.clone()).unwrap()));
        for text in &everything {
            for secret in personal(&w) {
                assert!(!text.contains(&secret), "{secret:?} in the report");
            }
        }
    }
}

// rule: NIS-3.1b
#[tokio::test]
async fn the_public_camera_list_needs_no_login_and_names_no_person() {
    let w = World::new("nishiyodogawa", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let (s, v) = w.api.call("GET", "/api/v1/public/cameras", None, None).await;
    assert_eq!(s, 200, "{v}");
    let cams = v["cameras"].as_array().unwrap();
    assert_eq!(cams.len(), w.cameras.len());
    assert_eq!(cams[0]["signage_text"], "防犯カメラ作動中");
    for c in cams {
        let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        for k in keys {
            assert!(
                [
                    "code",
                    "name",
                    "site",
                    "address",
                    "latitude",
                    "longitude",
                    "signage_text",
                    "installed",
                    "installer",
                    "installer_id"
                ]
                .contains(&k.as_str()),
                "{k}"
            );
        }
    }
    let resp = w
        .api
        .http
        .get(format!("{}/api/v1/public/cameras?format=csv", w.api.base))
        .send()
        .await
        .unwrap();
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let mut rd = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(rd.headers().unwrap().get(0), Some("カメラ番号"));
    assert_eq!(rd.records().count(), w.cameras.len());
    // The city installed these: the list says so.
    assert!(cams.iter().all(|c| c["installer"] == "大阪市西淀川区"), "{cams:?}");
}

// rule: KAW-2.2.1 — a camera a community group installed names the group as its installer on
// the public list and in its CSV, the city's own the city.
#[tokio::test]
async fn the_public_camera_list_names_each_cameras_installer() {
    let w = World::new("kawaguchi", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let group = org(&w, "community", "本町一丁目町会").await;
    let inst = member(&w, "inst", group, "installer", &w.admin).await;
    camera(&w, &inst, group, "HA", "ha1").await;
    let (_, v) = w.api.call("GET", "/api/v1/public/cameras", None, None).await;
    let installer = |code: &str| {
        v["cameras"].as_array().unwrap().iter().find(|c| c["code"] == code).unwrap()["installer"]
            .clone()
    };
    assert_eq!(installer("ha1"), "本町一丁目町会");
    assert_eq!(installer("cam1"), "川口市");
    let csv = w
        .api
        .http
        .get(format!("{}/api/v1/public/cameras?format=csv", w.api.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().any(|l| l.starts_with("\"ha1\"") && l.contains("\"本町一丁目町会\"")),
        "{csv}"
    );

    // rule: KAW-2.2.7 — the group keeps its own rules document: it names the group, its own
    // site and camera, not the city's; the city's names the city.
    let id = v["cameras"].as_array().unwrap().iter().find(|c| c["code"] == "ha1").unwrap()
        ["installer_id"]
        .as_i64()
        .unwrap();
    assert_eq!(id, group);
    let (s, doc) =
        w.api.call("GET", &format!("/api/v1/public/rules-doc?installer={group}"), None, None).await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["installer"], "本町一丁目町会");
    let places = doc["items"][1].to_string();
    assert!(places.contains("ha1") && !places.contains("cam1"), "{places}");
    let (_, city) = w.api.call("GET", "/api/v1/public/rules-doc", None, None).await;
    assert_eq!(city["installer"], "川口市");
    let (s, _) = w
        .api
        .call("GET", &format!("/api/v1/public/rules-doc?installer={}", w.admin.org), None, None)
        .await;
    assert_eq!(s, 404, "the city's is the document without ?installer");
}

// rule: KAW-2.1.3
#[tokio::test]
async fn decommissioning_before_five_years_is_flagged() {
    let w = World::new("kawaguchi", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let reg = w.holder(Permission::RegistryManage).clone();
    let cams = w.api.get("/api/v1/cameras", &reg).await.1;
    let id = cams[0]["id"].as_i64().unwrap();
    let (s, v) = w
        .api
        .post(&format!("/api/v1/cameras/{id}/decommission"), &reg, json!({ "reason": " " }))
        .await;
    assert_eq!((s.as_u16(), v["errors"][0]["field"].as_str()), (422, Some("reason")));
    let v = w
        .api
        .ok(
            &format!("/api/v1/cameras/{id}/decommission"),
            &reg,
            json!({ "reason": "道路拡幅工事のため" }),
        )
        .await;
    assert_eq!(v["early"], true, "installed 2026-04-01, five years not reached");
    let ev = audit_actions(&w, "camera.decommission").await;
    assert_eq!(ev[0]["rule"], "KAW-2.1.3");
    let (s, _) = w
        .api
        .post(&format!("/api/v1/cameras/{id}/decommission"), &reg, json!({ "reason": "再度" }))
        .await;
    assert_eq!(s, 409);
    // A decommissioned camera is off the public list.
    let (_, v) = w.api.call("GET", "/api/v1/public/cameras", None, None).await;
    assert_eq!(v["cameras"].as_array().unwrap().len(), w.cameras.len() - 1);
}

async fn camsim() -> u16 {
    let clip = camsim::synthesize(320, 240, 25, 300_000, 4).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(camsim::CamSim::new(clip, 1, camsim::Faults::default()).serve(listener));
    port
}

// rule: KIT-5.7, ASA-3.3d
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorder_is_disposed_of_only_without_keys_and_with_enough_confirmers() {
    let port = camsim().await;
    let profile = policy::resolve_seed("kitakyushu").unwrap();
    // A recorder that records: its footage keys exist.
    let busy_dir = tempfile::tempdir().unwrap();
    let mut cfg = recorder::config::RecorderConfig::new("node-busy", busy_dir.path());
    cfg.segment_ms = 2_000;
    cfg.cameras.push(
        recorder::config::CameraConfig::from_url("cam1", &format!("rtsp://127.0.0.1:{port}/cam1"))
            .unwrap(),
    );
    let busy = recorder::Recorder::start(cfg, profile.clone(), clock::Clock::System).await.unwrap();
    // A recorder whose footage is all erased (no camera, no key).
    let empty_dir = tempfile::tempdir().unwrap();
    let empty = recorder::Recorder::start(
        recorder::config::RecorderConfig::new("node-old", empty_dir.path()),
        profile,
        clock::Clock::System,
    )
    .await
    .unwrap();
    let mut waited = 0;
    while busy.ctx.db.keys().await.unwrap().is_empty() && waited < 100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    for backend in BACKENDS {
        let w =
            World::new("kitakyushu", backend, &policy::jst::rfc3339(jiff::Timestamp::now())).await;
        let manager = w.user("manager");
        let officer = w.user("handling_officer");
        let body = |device: &str| json!({ "device": device, "serials": ["SN-0001", "HDD-77"], "method": "shred" });
        // No recorder in this server: the keys cannot be checked.
        let (s, v) = w.api.post("/api/v1/disposals", &manager, body("node-busy")).await;
        assert_eq!(s, 409, "{v}");
        w.srv.state.attach_node(std::sync::Arc::new(recorder::LocalNode::new(
            busy.ctx.clone(),
            busy_dir.path().join("exports"),
        )));
        let (s, v) = w.api.post("/api/v1/disposals", &manager, body("node-busy")).await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("KIT-5.7")), "keys remain: {v}");
        assert!(v["detail"].as_str().unwrap().contains("cam1/"), "{v}");
        w.srv.state.attach_node(std::sync::Arc::new(recorder::LocalNode::new(
            empty.ctx.clone(),
            empty_dir.path().join("exports"),
        )));
        let d = w.api.ok("/api/v1/disposals", &manager, body("node-old")).await;
        let id = d["id"].as_i64().unwrap();
        // One confirmation is not enough (two people, the manager among them).
        let v = w.api.ok(&format!("/api/v1/disposals/{id}/confirm"), &officer, json!({})).await;
        assert!(v["completed_at"].is_null());
        let (s, v) = w.api.get(&format!("/api/v1/disposals/{id}/certificate"), &manager).await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("KIT-5.7")), "{v}");
        let (s, _) =
            w.api.post(&format!("/api/v1/disposals/{id}/confirm"), &officer, json!({})).await;
        assert_eq!(s, 409, "the same person twice");
        let v = w.api.ok(&format!("/api/v1/disposals/{id}/confirm"), &manager, json!({})).await;
        assert!(v["completed_at"].is_string(), "{v}");
        let (s, v) = w.api.get(&format!("/api/v1/disposals/{id}/certificate"), &manager).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["confirmations"].as_array().unwrap().len(), 2);
    }
    busy.stop().await;
    empty.stop().await;
}

// rule: KAW-2.1.3
#[tokio::test]
async fn coverage_is_measured_from_the_public_area_after_masks() {
    let w = World::new("kawaguchi", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let reg = w.holder(Permission::RegistryManage).clone();
    let site = w.api.get("/api/v1/sites", &reg).await.1[0]["id"].clone();
    let cam = |code: &str, area: Value, masks: Value, exemption: Option<&str>| {
        json!({ "code": code, "site_id": site, "name": code, "install_date": "2026-11-01",
                "public_area": area, "masks": masks, "coverage_exemption": exemption,
                "consensus_note": "町内会で合意" })
    };
    let left = |x: f64| json!([[0.0, 0.0], [x, 0.0], [x, 1.0], [0.0, 1.0]]);
    // 80 % public: accepted, the measured share stored.
    let v = w.api.ok("/api/v1/cameras", &reg, cam("k1", left(0.8), json!([]), None)).await;
    assert_eq!(v["public_share_permille"], 800);
    // 80 % public but a mask over a quarter of it: 60 %, under 2/3 — an exemption reason needed.
    let mask = json!([[[0.0, 0.0], [0.8, 0.0], [0.8, 0.25], [0.0, 0.25]]]);
    let (s, v) =
        w.api.post("/api/v1/cameras", &reg, cam("k2", left(0.8), mask.clone(), None)).await;
    assert_eq!(
        (s.as_u16(), v["rule"].as_str(), v["errors"][0]["field"].as_str()),
        (422, Some("KAW-2.1.3"), Some("coverage_exemption")),
        "{v}"
    );
    let v = w
        .api
        .ok("/api/v1/cameras", &reg, cam("k2", left(0.8), mask, Some("建物の形状により困難")))
        .await;
    assert_eq!(v["public_share_permille"], 600);
    // Under one half: refused even with a reason.
    let (s, v) =
        w.api.post("/api/v1/cameras", &reg, cam("k3", left(0.45), json!([]), Some("理由"))).await;
    assert_eq!(
        (s.as_u16(), v["rule"].as_str(), v["errors"][0]["field"].as_str()),
        (422, Some("KAW-2.1.3"), Some("public_area")),
        "{v}"
    );
    // A polygon outside the picture is a field error.
    let (s, v) = w
        .api
        .post(
            "/api/v1/cameras",
            &reg,
            cam("k4", json!([[0.0, 0.0], [1.5, 0.0], [0.0, 1.0]]), json!([]), None),
        )
        .await;
    assert_eq!((s.as_u16(), v["errors"][0]["field"].as_str()), (422, Some("public_area")), "{v}");
}

// rule: ASA-2.1
#[tokio::test]
async fn masks_are_versioned_changed_by_the_manager_and_audited() {
    let w = World::new("asahikawa", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let manager = w.holder(Permission::MaskManage).clone();
    let cams = w.api.get("/api/v1/cameras", &manager).await.1;
    let id = cams[0]["id"].as_i64().unwrap();
    let entrance = json!([[[0.6, 0.3], [0.9, 0.3], [0.9, 0.8], [0.6, 0.8]]]);
    let body =
        json!({ "polygons": entrance, "in_recorder": true, "reason": "住宅の玄関が映るため" });
    // Not by the applicant (police).
    let (s, _) = w
        .api
        .post(&format!("/api/v1/cameras/{id}/masks"), &w.user("applicant"), body.clone())
        .await;
    assert_eq!(s, 403);
    let (s, v) = w
        .api
        .post(
            &format!("/api/v1/cameras/{id}/masks"),
            &manager,
            json!({ "polygons": [[[0.1, 0.1], [0.2, 0.2]]], "reason": "x" }),
        )
        .await;
    assert_eq!((s.as_u16(), v["errors"][0]["field"].as_str()), (422, Some("polygons[0]")), "{v}");
    let v1 = w.api.ok(&format!("/api/v1/cameras/{id}/masks"), &manager, body).await;
    assert_eq!(v1["version"], 1);
    let v2 = w
        .api
        .ok(
            &format!("/api/v1/cameras/{id}/masks"),
            &manager,
            json!({ "polygons": [], "reason": "住宅が取り壊されたため" }),
        )
        .await;
    assert_eq!(v2["version"], 2);
    let list = w.api.get(&format!("/api/v1/cameras/{id}/masks"), &manager).await.1;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["reason"], "住宅が取り壊されたため");
    // No recorder runs in this test: the version was not handed to one.
    assert_eq!(v2["sent_to_recorder"], false);
    let (status, _) = w.api.get("/api/v1/cameras/99999/masks", &manager).await;
    assert_eq!(status.as_u16(), 404, "an unknown camera is named, not an empty list");
    let ev = audit_actions(&w, "mask.change").await;
    let ok: Vec<&Value> = ev.iter().filter(|e| e["outcome"] == "ok").collect();
    assert_eq!(ok.len(), 2, "two changes");
    assert_eq!(ok[0]["rule"], "ASA-2.1");
    assert_eq!(ev.len() - ok.len(), 2, "and the two refusals, audited too");
}

// rule: KIT-5.1 — a recorder node is registered only with its site's kind and every condition
// of that kind confirmed; the registry keeps and shows them.
#[tokio::test]
async fn kitakyushu_recorder_sites_are_confirmed_at_registration() {
    for backend in BACKENDS {
        // Saturday 5 December 2026.
        let w = World::new("kitakyushu", backend, "2026-12-05T10:00:00+09:00").await;
        let reg = w.holder(policy::Permission::RegistryManage).clone();
        let node = |extra: Value| {
            let mut b = json!({ "name": "kokura-node", "site": "小倉北区役所 電算室", "address": "127.0.0.1:9010" });
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        let (s, e) = w.api.post("/api/v1/nodes", &reg, node(json!({}))).await;
        assert_eq!(
            (s.as_u16(), e["rule"].as_str(), e["errors"][0]["field"].as_str()),
            (422, Some("KIT-5.1"), Some("site_kind")),
            "{e}"
        );
        let (s, e) = w
            .api
            .post(
                "/api/v1/nodes",
                &reg,
                node(json!({ "site_kind": "network", "site_conditions": ["seismic", "air_conditioning", "strict_security"] })),
            )
            .await;
        assert_eq!((s.as_u16(), e["errors"][0]["field"].as_str()), (422, Some("site_conditions")));
        assert!(e.to_string().contains("無停電電源装置"), "names what is missing: {e}");
        let v = w
            .api
            .ok(
                "/api/v1/nodes",
                &reg,
                node(json!({ "site_kind": "network", "site_conditions": ["ups", "seismic", "air_conditioning", "strict_security"] })),
            )
            .await;
        assert_eq!(v["site_kind"], "network");
        let (_, list) = w.api.get("/api/v1/nodes", &reg).await;
        let n = &list["nodes"][0];
        assert_eq!(
            n["site_conditions"],
            json!(["seismic", "ups", "air_conditioning", "strict_security"]),
            "kept in the profile's order: {n}"
        );
        let (_, log) = w.api.get("/api/v1/audit?action=node.register", &w.admin).await;
        let ok = log.as_array().unwrap().iter().find(|e| e["outcome"] == "ok").unwrap();
        assert_eq!(ok["detail"]["site_kind"], "network");
    }
}
