//! Trust boundaries (issue 15) with several organisations of a kind: each organisation governs
//! only its own cameras and the records about them (reads outside one's scope answer 404 as if
//! nothing were there, writes are refused naming the rule), designations stay inside their
//! organisation, and no one completes a two-person act alone. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::{Value, json};

fn request(cams: &[&str]) -> Value {
    json!({ "basis": "legal_procedure", "purpose": "legal_procedure", "recipient": "川口警察署", "case_summary": "ひったくり",
            "documents": [{"form": "inquiry_letter", "reference": "照-88"}],
            "cameras": cams, "from": "2026-12-05T20:00:00+09:00", "to": "2026-12-05T21:00:00+09:00" })
}

fn codes(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_owned()).collect()
}

// rule: KAW-2.2.2, KAW-2.2.5 — the city and two community groups, each governing its own.
/// Issue 21: a recorder node records the cameras of the organisation that keeps it — a group's
/// camera is not handed to the city's node nor to another group's, at registration or when the
/// centre assigns cameras. rule: KAW-2.2.2
#[tokio::test]
async fn recorder_nodes_record_only_their_organisations_cameras() {
    for backend in BACKENDS {
        let w = World::new("kawaguchi", backend, "2026-12-07T10:00:00+09:00").await;
        let a = org(&w, "community", "本町一丁目町会").await;
        let b = org(&w, "community", "栄町防犯協会").await;
        let a_inst = member(&w, "a_inst", a, "installer", &w.admin).await;
        let b_inst = member(&w, "b_inst", b, "installer", &w.admin).await;
        let city = w.holder(policy::Permission::RegistryManage).clone();
        // Each registers its own node; a group cannot register one for the city.
        let node = |name: &str, port: u16| json!({ "name": name, "site": "x", "address": format!("127.0.0.1:{port}") });
        w.api.ok("/api/v1/nodes", &city, node("city-node", 9001)).await;
        w.api.ok("/api/v1/nodes", &a_inst, node("a-node", 9002)).await;
        let (s, v) = w
            .api
            .post("/api/v1/nodes", &b_inst, json!({ "name": "b-node", "site": "x", "address": "127.0.0.1:9003", "organisation_id": a }))
            .await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("KAW-2.2.2")), "{v}");
        // Group A's camera names the city's node: refused with the ownership rule.
        let site = w.api.ok("/api/v1/sites", &a_inst, json!({ "code": "A1", "name": "A 通り", "address": "本町1丁目", "signage_text": "防犯カメラ作動中", "owner_org_id": a })).await;
        let cam = |code: &str, recorder: &str| {
            json!({ "code": code, "site_id": site["id"], "name": code, "install_date": "2026-04-01",
            "public_share_permille": 800, "consensus_note": "町会で合意", "recorder": recorder, "rtsp_url": "rtsp://10.0.0.5/s" })
        };
        let (s, v) = w.api.post("/api/v1/cameras", &a_inst, cam("a-cam1", "city-node")).await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("KAW-2.2.2")), "{v}");
        // A camera that masks by itself names its ONVIF service (issue 24, item 2): http(s) only,
        // no credentials; it travels to the node with the assignment.
        let mut with_onvif = cam("a-cam1", "a-node");
        for (bad, key) in [
            ("ftp://10.0.0.5/onvif", "onvif_scheme"),
            ("http://u:p@10.0.0.5/onvif", "rtsp_credentials"),
        ] {
            with_onvif["onvif_url"] = json!(bad);
            let (s, v) = w.api.post("/api/v1/cameras", &a_inst, with_onvif.clone()).await;
            let e = &v["errors"][0];
            assert_eq!(
                (s.as_u16(), e["field"].as_str(), e["code"].as_str()),
                (422, Some("onvif_url"), Some(key)),
                "{v}"
            );
        }
        with_onvif["onvif_url"] = json!("http://10.0.0.5/onvif/media2_service");
        w.api.ok("/api/v1/cameras", &a_inst, with_onvif).await;
        for id in [1, 2] {
            let _ = w.api.post(&format!("/api/v1/cameras/{id}/commission"), &city, json!({})).await;
        }
        let (_, cams) = w.api.get("/api/v1/cameras", &a_inst).await;
        let a_id =
            cams.as_array().unwrap().iter().find(|c| c["code"] == "a-cam1").unwrap()["id"].clone();
        let _ = w.api.post(&format!("/api/v1/cameras/{a_id}/commission"), &a_inst, json!({})).await;
        let st = &w.srv.state;
        let codes = |v: Vec<node::Assignment>| v.into_iter().map(|a| a.camera).collect::<Vec<_>>();
        let assigned = server::fleet::assignments(st, "a-node").await.unwrap();
        assert_eq!(assigned[0].onvif.as_deref(), Some("http://10.0.0.5/onvif/media2_service"));
        assert_eq!(codes(assigned), ["a-cam1"]);
        assert!(server::fleet::assignments(st, "city-node").await.unwrap().is_empty());
        // rule: PROD-MASK-1, KAW-2.2.2 — the address changes after registration (the camera
        // replaced, registered by its device service now), with a reason; checked as at
        // registration; only by the group keeping the camera; audited without the address; and
        // back to burn-in when cleared.
        let path = format!("/api/v1/cameras/{a_id}/onvif");
        let device = "http://10.0.0.6/onvif/device_service";
        let (s, v) = w.api.post(&path, &a_inst, json!({ "onvif_url": device, "reason": "" })).await;
        assert_eq!((s.as_u16(), v["errors"][0]["field"].as_str()), (422, Some("reason")), "{v}");
        let (s, v) = w
            .api
            .post(
                &path,
                &a_inst,
                json!({ "onvif_url": "http://u:p@10.0.0.6/onvif", "reason": "交換" }),
            )
            .await;
        assert_eq!(
            (s.as_u16(), v["errors"][0]["code"].as_str()),
            (422, Some("rtsp_credentials")),
            "{v}"
        );
        let (s, _) =
            w.api.post(&path, &b_inst, json!({ "onvif_url": device, "reason": "乗っ取り" })).await;
        assert_eq!(s.as_u16(), 404, "another group's camera is not there for B");
        let v =
            w.api.ok(&path, &a_inst, json!({ "onvif_url": device, "reason": "カメラ交換" })).await;
        assert_eq!(v["masks_at"], "camera");
        let assigned = server::fleet::assignments(st, "a-node").await.unwrap();
        assert_eq!(assigned[0].onvif.as_deref(), Some(device));
        let v = w
            .api
            .ok(&path, &a_inst, json!({ "onvif_url": "", "reason": "マスク機能の故障" }))
            .await;
        assert_eq!(v["masks_at"], "recorder");
        let assigned = server::fleet::assignments(st, "a-node").await.unwrap();
        assert_eq!(assigned[0].onvif, None);
        // Newest first: the clearing, then the setting.
        let changes =
            st.audit.store().search(None, Some("camera.onvif_%"), None, 10).await.unwrap();
        let actions: Vec<_> = changes.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["camera.onvif_clear", "camera.onvif_set"]);
        assert!(changes.iter().all(|e| !e.detail.to_string().contains("10.0.0.6")), "{changes:?}");
        assert!(changes[0].detail.to_string().contains("マスク機能の故障"));
        // Group B sees neither node.
        let (_, v) = w.api.get("/api/v1/nodes", &b_inst).await;
        assert_eq!(v["nodes"], json!([]), "{v}");
    }
}

#[tokio::test]
async fn kawaguchi_groups_govern_only_their_own_cameras() {
    for backend in BACKENDS {
        // Sunday 6 December 2026.
        let w = World::new("kawaguchi", backend, "2026-12-06T10:00:00+09:00").await;
        let city_mgr = w.user("manager");
        // Two groups, each with its installer (a post the city's administrator sets up), who
        // appoints the group's own manager and operator (KAW-2.2.2).
        let (a, b) = (
            org(&w, "community", "本町一丁目町会").await,
            org(&w, "community", "栄町防犯協会").await,
        );
        let a_inst = member(&w, "a_inst", a, "installer", &w.admin).await;
        let a_mgr = member(&w, "a_mgr", a, "manager", &a_inst).await;
        let b_inst = member(&w, "b_inst", b, "installer", &w.admin).await;
        let b_mgr = member(&w, "b_mgr", b, "manager", &b_inst).await;
        let a_cam = camera(&w, &a_inst, a, "A1", "a-cam1").await;
        camera(&w, &b_inst, b, "B1", "b-cam1").await;

        // Lists: each group sees its own cameras and sites; the police see every camera (to
        // name it) but no stream address.
        let (_, v) = w.api.get("/api/v1/cameras", &a_mgr).await;
        assert_eq!(codes(&v), ["a-cam1"], "{backend:?}");
        let (_, v) = w.api.get("/api/v1/sites", &b_mgr).await;
        assert_eq!(codes(&v), ["B1"]);
        let police = w.user("applicant");
        let (_, v) = w.api.get("/api/v1/cameras", &police).await;
        assert_eq!(codes(&v).len(), 4);
        assert!(v.as_array().unwrap().iter().all(|c| c["rtsp_url"].is_null()), "{v}");
        // The registry page's one answer (issue 23, item 6) is each part as its own endpoint
        // gives it to the same person: no wider view through the combined door.
        for who in [&a_inst, &a_mgr, &b_mgr, &police, &city_mgr, &w.admin] {
            let (s, reg) = w.api.get("/api/v1/registry", who).await;
            assert_eq!(s, 200, "{backend:?} {reg}");
            let (_, cams) = w.api.get("/api/v1/cameras", who).await;
            let (_, sites) = w.api.get("/api/v1/sites", who).await;
            assert_eq!((&reg["cameras"], &reg["sites"]), (&cams, &sites), "{backend:?}");
            let (s, nodes) = w.api.get("/api/v1/nodes", who).await;
            match s.as_u16() {
                200 => assert_eq!(reg["nodes"], nodes, "{backend:?}"),
                _ => assert!(reg["nodes"].is_null(), "{backend:?} {reg}"),
            }
            let (s, rec) = w.api.get("/api/v1/recorder/status", who).await;
            match s.as_u16() {
                200 => assert_eq!(
                    reg["recording"]["cameras"].as_array().map(Vec::len),
                    rec["cameras"].as_array().map(Vec::len)
                ),
                _ => assert!(reg["recording"].is_null(), "{backend:?} {reg}"),
            }
            // The home page's one answer: the same tasks as `GET /api/v1/me/tasks`.
            let (_, home) = w.api.get("/api/v1/me/dashboard", who).await;
            let (_, tasks) = w.api.get("/api/v1/me/tasks", who).await;
            assert_eq!(home["tasks"], tasks["tasks"], "{backend:?}");
        }
        let (_, reg) = w.api.get("/api/v1/registry", &police).await;
        assert!(reg["nodes"].is_null() && codes(&reg["cameras"]).len() == 4, "{reg}");
        let (_, reg) = w.api.get("/api/v1/registry", &a_mgr).await;
        assert_eq!(codes(&reg["cameras"]), ["a-cam1"]);

        // A group registers sites for itself only.
        let (s, e) = w.api.post("/api/v1/sites", &a_inst, json!({ "code": "X", "name": "x", "address": "x", "signage_text": "x", "owner_org_id": w.admin.org })).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("KAW-2.2.2")), "{e}");
        // …and registers cameras at its own sites only.
        let (_, city_sites) = w.api.get("/api/v1/sites", &w.admin).await;
        let city_site = city_sites[0]["id"].clone();
        let (s, _) = w.api.post("/api/v1/cameras", &a_inst, json!({ "code": "a-cam9", "site_id": city_site, "name": "x", "install_date": "2026-04-01", "public_share_permille": 800, "consensus_note": "x" })).await;
        assert_eq!(s, 422);

        // A request about the city's camera: the city decides; group A cannot see it.
        let r_city =
            w.api.ok("/api/v1/requests", &police, request(&["cam1"])).await["id"].as_i64().unwrap();
        let r_b = w.api.ok("/api/v1/requests", &police, request(&["b-cam1"])).await["id"]
            .as_i64()
            .unwrap();
        for (path, body) in [
            (format!("/api/v1/requests/{r_city}"), None),
            (format!("/api/v1/requests/{r_city}/certificate"), None),
            (format!("/api/v1/requests/{r_city}/approve"), Some(json!({}))),
            (format!("/api/v1/requests/{r_city}/refuse"), Some(json!({ "reason": "x" }))),
            (format!("/api/v1/requests/{r_b}/approve"), Some(json!({}))),
        ] {
            let (s, v) = match body {
                None => w.api.get(&path, &a_mgr).await,
                Some(b) => w.api.post(&path, &a_mgr, b).await,
            };
            assert_eq!(s, 404, "{backend:?} {path}: {v}");
        }
        let (_, list) = w.api.get("/api/v1/requests", &a_mgr).await;
        assert!(list.as_array().unwrap().is_empty(), "{list}");
        let (_, tasks) = w.api.get("/api/v1/me/tasks", &b_mgr).await;
        assert!(
            tasks["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["object"] == format!("request:{r_b}"))
        );
        assert!(
            !tasks["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["object"] == format!("request:{r_city}"))
        );
        w.api.ok(&format!("/api/v1/requests/{r_city}/approve"), &city_mgr, json!({})).await;
        w.api.ok(&format!("/api/v1/requests/{r_b}/approve"), &b_mgr, json!({})).await;
        // One request per owner.
        let (s, e) = w.api.post("/api/v1/requests", &police, request(&["cam1", "a-cam1"])).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("PROD-OWN-2")), "{e}");

        // The camera's own records: masks, still, commissioning, decommissioning, holds.
        for (method, path, body) in [
            ("GET", format!("/api/v1/cameras/{}/masks", 1), None),
            (
                "POST",
                "/api/v1/cameras/1/masks".to_owned(),
                Some(json!({ "polygons": [], "reason": "x" })),
            ),
            ("GET", "/api/v1/cameras/1/still".to_owned(), None),
            ("POST", "/api/v1/cameras/1/commission".to_owned(), Some(json!({}))),
            ("POST", "/api/v1/cameras/1/decommission".to_owned(), Some(json!({ "reason": "x" }))),
        ] {
            let (s, v) = w.api.call(method, &path, Some(&a_mgr), body).await;
            assert!(s == 404 || s == 403, "{backend:?} {method} {path}: {s} {v}");
            assert_ne!(s, 200);
        }
        let (s, v) = w.api.get(&format!("/api/v1/cameras/{a_cam}/masks"), &a_mgr).await;
        assert_eq!(s, 200, "{v}");
        let (s, _) = w.api.post("/api/v1/holds", &a_mgr, json!({ "camera": "cam1", "from": "2026-12-05T20:00:00+09:00", "to": "2026-12-05T21:00:00+09:00", "until": "2026-12-20T00:00:00+09:00", "reason": "照会", "inquiry_reference": "照-1" })).await;
        assert_eq!(s, 422, "no hold on another's camera");

        // Designations stay inside the organisation; never oneself.
        let (_, e) = w
            .api
            .post(
                "/api/v1/designations",
                &a_inst,
                json!({ "account_id": city_mgr.id, "role": "manager" }),
            )
            .await;
        assert_eq!(e["rule"], "KAW-2.2.2", "{e}");
        let (_, e) = w
            .api
            .post(
                "/api/v1/designations",
                &a_mgr,
                json!({ "account_id": b_mgr.id, "role": "operator" }),
            )
            .await;
        assert_eq!(e["rule"], "KAW-2.2.2", "{e}");
        let (_, e) = w
            .api
            .post(
                "/api/v1/designations",
                &a_inst,
                json!({ "account_id": a_inst.id, "role": "manager" }),
            )
            .await;
        assert_eq!(e["rule"], "PROD-SOD-2", "{e}");
        let (_, mine) = w.api.get("/api/v1/designations", &a_inst).await;
        let accounts: Vec<i64> =
            mine.as_array().unwrap().iter().map(|d| d["account_id"].as_i64().unwrap()).collect();
        assert!(accounts.iter().all(|a| *a == a_inst.id || *a == a_mgr.id), "{mine}");
        let (_, city_list) = w.api.get("/api/v1/designations", &w.admin).await;
        let b_designation = city_list
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["account_id"] == b_inst.id)
            .unwrap()["id"]
            .clone();
        let (s, _) = w
            .api
            .post(&format!("/api/v1/designations/{b_designation}/revoke"), &a_inst, json!({}))
            .await;
        assert_ne!(s, 200, "group A cannot revoke group B's installer");

        // A group's installer keeps its own group's accounts: lists them, makes them; another
        // organisation's are not there for it, and organisations are the city's to set up.
        let (_, accounts) = w.api.get("/api/v1/accounts", &a_inst).await;
        let orgs: Vec<i64> = accounts
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["organisation_id"].as_i64().unwrap())
            .collect();
        assert!(!orgs.is_empty() && orgs.iter().all(|o| *o == a), "{backend:?}: {accounts}");
        let (_, orgs) = w.api.get("/api/v1/organisations", &a_inst).await;
        assert_eq!(orgs.as_array().unwrap().len(), 1, "{orgs}");
        let (s, e) = w.api.post("/api/v1/accounts", &a_inst, json!({ "login": "nottheirs", "display_name": "x", "organisation_id": w.admin.org, "initial_password": INITIAL })).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("KAW-2.2.2")), "{e}");
        let (s, _) = w
            .api
            .post(&format!("/api/v1/accounts/{}/disable", city_mgr.id), &a_inst, json!({}))
            .await;
        assert_eq!(s, 404, "the city's manager is not group A's to disable");
        let (s, _) =
            w.api.post(&format!("/api/v1/accounts/{}/unlock", b_mgr.id), &a_inst, json!({})).await;
        assert_eq!(s, 404);
        let (s, e) = w
            .api
            .post(
                "/api/v1/organisations",
                &a_inst,
                json!({ "kind": "community", "name": "新しい会" }),
            )
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some("KAW-2.2.2")), "{e}");
        let own = w.api.ok("/api/v1/accounts", &a_inst, json!({ "login": "a_op", "display_name": "本町 太郎", "organisation_id": a, "initial_password": INITIAL })).await;
        assert_eq!(own["pending_activation"], false, "a group's own member: {own}");

        // Complaints about the city's camera are the city's; contracts the city recorded too.
        let (s, c) = w.api.call("POST", "/api/v1/public/complaints", None, Some(json!({ "category": "privacy", "camera": "cam1", "body": "自宅の窓が映っている" }))).await;
        assert_eq!(s, 200, "{c}");
        let (_, mine) = w.api.get("/api/v1/complaints", &a_mgr).await;
        assert!(mine.as_array().unwrap().is_empty(), "{backend:?}: {mine}");
        let (_, city) = w.api.get("/api/v1/complaints", &city_mgr).await;
        let id = city.as_array().unwrap()[0]["id"].clone();
        let (s, _) = w.api.post(&format!("/api/v1/complaints/{id}/close"), &a_mgr, json!({})).await;
        assert_eq!(s, 404);
        let clauses: Vec<Value> =
            (1..=7).map(|c| json!({ "clause": c, "included": true })).collect();
        let contractor = org(&w, "contractor", "保守会社").await;
        let k = w.api.ok("/api/v1/contracts", &w.admin, json!({ "organisation_id": contractor, "title": "保守", "scope": "録画装置の保守", "clauses": clauses, "valid_from": "2026-04-01T00:00:00+09:00", "valid_until": "2027-04-01T00:00:00+09:00" })).await;
        let (_, theirs) = w.api.get("/api/v1/contracts", &a_inst).await;
        assert!(theirs.as_array().unwrap().is_empty(), "{theirs}");
        let (s, _) = w
            .api
            .post(&format!("/api/v1/contracts/{}/sign-off", k["id"]), &a_inst, json!({}))
            .await;
        assert_eq!(s, 404);

        // The yearly report covers every organisation's cameras: the city's to publish.
        let (s, e) = w.api.get("/api/v1/reports/annual?fiscal_year=2025", &a_inst).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some("KAW-2.2.2")), "{e}");
        let (s, _) = w.api.get("/api/v1/reports/annual?fiscal_year=2025", &w.admin).await;
        assert_eq!(s, 200);
        // The recorder holds the city's and both groups' footage: no group disposes of it.
        let (_, d) = w.api.get("/api/v1/disposals", &a_mgr).await;
        assert!(d.as_array().unwrap().is_empty(), "{d}");
        let (s, e) = w
            .api
            .post(
                "/api/v1/disposals",
                &a_mgr,
                json!({ "device": "node-1", "method": "physical_destruction", "serials": ["SN1"] }),
            )
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some("KAW-2.2.2")), "{e}");

        // An instruction goes to another person of one's own organisation.
        let (_, e) = w
            .api
            .post(
                "/api/v1/instructions",
                &b_mgr,
                json!({ "request_id": r_b, "to_account": b_mgr.id }),
            )
            .await;
        assert_eq!(e["rule"], "PROD-SOD-3", "{e}");
        let (s, e) = w
            .api
            .post(
                "/api/v1/instructions",
                &b_mgr,
                json!({ "request_id": r_b, "to_account": w.user("operator").id }),
            )
            .await;
        assert_eq!(s, 422, "the city's operator is not group B's: {e}");
        let (_, offered) = w.api.get("/api/v1/instructions/recipients?step=1", &b_mgr).await;
        assert!(offered.as_array().unwrap().is_empty(), "group B has no operator yet: {offered}");
    }
}

// rule: SAK-M — each facility decides on its own footage; the city relays to the right one.
#[tokio::test]
async fn saku_facilities_decide_only_on_their_own_footage() {
    for backend in BACKENDS {
        let w = World::new("saku", backend, "2026-12-26T13:00:00+09:00").await;
        let city = w.user("city_liaison");
        let fac_a = w.orgs["facility"];
        let mgr_a = w.user("facility_manager");
        let fac_b = org(&w, "facility", "望月体育館").await;
        let mgr_b = member(&w, "mgr_b", fac_b, "facility_manager", &city).await;
        camera(&w, &city, fac_b, "F2", "f2-cam1").await;
        let police = w.user("applicant");
        let body = |cams: &[&str]| {
            json!({ "basis": w.profile.bases[0].id, "purpose": w.profile.purposes[0].id, "recipient": "佐久警察署",
            "case_summary": "行方不明者の捜索", "documents": documents(&w, &w.profile.bases[0]), "cameras": cams,
            "from": "2026-12-25T18:00:00+09:00", "to": "2026-12-25T19:00:00+09:00" })
        };
        let r =
            w.api.ok("/api/v1/requests", &police, body(&["f2-cam1"])).await["id"].as_i64().unwrap();
        // The city sees and relays every facility's requests; it decides none.
        w.api.ok(&format!("/api/v1/requests/{r}/relay"), &city, json!({})).await;
        let (s, _) = w.api.post(&format!("/api/v1/requests/{r}/approve"), &mgr_a, json!({})).await;
        assert_eq!(s, 404, "{backend:?}: facility A does not see facility B's request");
        let (s, _) = w.api.get(&format!("/api/v1/requests/{r}"), &mgr_a).await;
        assert_eq!(s, 404);
        w.api.ok(&format!("/api/v1/requests/{r}/approve"), &mgr_b, json!({})).await;
        let (_, v) = w.api.get("/api/v1/cameras", &mgr_a).await;
        assert_eq!(codes(&v), ["cam1", "cam2"], "facility A's own cameras (fixture)");
        assert_ne!(fac_a, fac_b);
    }
}

// rule: SAK-9, SAK-M — each facility sets its own retention within the profile's bounds and
// views its own footage on its own PC; another facility's period, cameras and viewings are not
// its business.
#[tokio::test]
async fn saku_facilities_keep_their_own_period_and_view_their_own_footage() {
    for backend in BACKENDS {
        // Saturday 26 December 2026.
        let w = World::new("saku", backend, "2026-12-26T13:00:00+09:00").await;
        let city = w.user("city_liaison");
        let (fac_a, mgr_a, staff_a) =
            (w.orgs["facility"], w.user("facility_manager"), w.user("facility_staff"));
        let fac_b = org(&w, "facility", "望月体育館").await;
        let mgr_b = member(&w, "mgr_b", fac_b, "facility_manager", &city).await;
        camera(&w, &city, fac_b, "F2", "f2-cam1").await;
        let path = |org: i64| format!("/api/v1/organisations/{org}/retention");

        let (s, v) = w.api.get(&path(fac_a), &mgr_a).await;
        assert_eq!(s, 200, "{backend:?}: {v}");
        assert_eq!((v["period"].clone(), v["default"]["days"].as_i64()), (Value::Null, Some(7)));
        assert_eq!(
            (v["ceiling"]["months"].as_i64(), v["ceiling_rule"].as_str()),
            (Some(1), Some("SAK-9"))
        );
        // Another facility's setting is not there for facility A; the city sets none.
        let (s, _) = w.api.get(&path(fac_b), &mgr_a).await;
        assert_eq!(s, 404);
        let (s, _) = w.api.post(&path(fac_b), &mgr_a, json!({ "days": 14, "reason": "x" })).await;
        assert_eq!(s, 404);
        let (s, _) = w.api.post(&path(fac_a), &city, json!({ "days": 14, "reason": "x" })).await;
        assert_eq!(s, 403);
        // Within the bounds only, with a reason.
        for (body, rule) in [
            (json!({ "months": 2, "reason": "x" }), Some("SAK-9")),
            (json!({ "days": 3, "reason": "x" }), Some("PROD-RET-1")),
            (json!({ "days": 10, "months": 1, "reason": "x" }), None),
            (json!({ "days": 10, "reason": " " }), None),
        ] {
            let (s, e) = w.api.post(&path(fac_a), &mgr_a, body.clone()).await;
            assert_eq!((s.as_u16(), e["rule"].as_str()), (422, rule), "{body}: {e}");
        }
        let v = w
            .api
            .ok(
                &path(fac_a),
                &mgr_a,
                json!({ "days": 14, "reason": "警察との協議により2週間とする" }),
            )
            .await;
        assert_eq!(v["period"]["days"], 14, "{v}");
        assert!(v["cameras"].as_array().unwrap().iter().all(|c| c["period"]["days"] == 14), "{v}");
        let (_, log) = w.api.get("/api/v1/audit?action=retention.set", &mgr_a).await;
        let log: Vec<&Value> =
            log.as_array().unwrap().iter().filter(|e| e["outcome"] == "ok").collect();
        assert_eq!((log.len(), log[0]["rule"].as_str()), (1, Some("SAK-9")), "{log:?}");

        // The period governs what still exists: ten days back, facility A's footage is there
        // (14 days), facility B's is erased (the default 7).
        let police = w.user("applicant");
        let body = |cams: &[&str]| {
            json!({ "basis": w.profile.bases[0].id, "purpose": w.profile.purposes[0].id, "recipient": "佐久警察署",
            "case_summary": "器物損壊", "documents": documents(&w, &w.profile.bases[0]), "cameras": cams,
            "from": "2026-12-16T18:00:00+09:00", "to": "2026-12-16T19:00:00+09:00" })
        };
        let (s, v) = w.api.post("/api/v1/requests", &police, body(&["cam1"])).await;
        assert_eq!(s, 200, "{backend:?}: {v}");
        let (s, e) = w.api.post("/api/v1/requests", &police, body(&["f2-cam1"])).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("SAK-9")), "{e}");

        // Facility A's staff view facility A's footage on facility A's PC, never B's.
        let viewing = |cam: &str| json!({ "cameras": [cam], "from": "2026-12-26T08:00:00+09:00", "to": "2026-12-26T09:00:00+09:00", "purpose": w.profile.purposes[0].id, "witnesses": ["施設長"] });
        let (s, e) = w.api.post("/api/v1/viewings", &staff_a, viewing("f2-cam1")).await;
        assert_eq!(s, 422, "{e}");
        let mut off_site = staff_a.clone();
        off_site.ws = None;
        let (s, e) = w.api.post("/api/v1/viewings", &off_site, viewing("cam1")).await;
        assert_eq!(
            (s.as_u16(), e["rule"].as_str()),
            (403, Some("SAK-M")),
            "not on the facility's own PC: {e}"
        );
        w.api.ok("/api/v1/viewings", &staff_a, viewing("cam1")).await;
        let (_, mine) = w.api.get("/api/v1/viewings", &staff_a).await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        let (_, theirs) = w.api.get("/api/v1/viewings", &mgr_b).await;
        assert!(theirs.as_array().unwrap().is_empty(), "{backend:?}: {theirs}");

        // Each facility keeps its own PCs and reads its own part of the audit log.
        let (_, pcs) = w.api.get("/api/v1/workstations", &mgr_a).await;
        let pc_a = pcs.as_array().unwrap().iter().find(|w| w["organisation_id"] == fac_a).unwrap()
            ["id"]
            .clone();
        let (_, pcs) = w.api.get("/api/v1/workstations", &mgr_b).await;
        assert!(pcs.as_array().unwrap().iter().all(|w| w["organisation_id"] == fac_b), "{pcs}");
        let (s, _) = w
            .api
            .post(&format!("/api/v1/workstations/{pc_a}/revoke"), &mgr_b, json!({ "reason": "x" }))
            .await;
        assert_eq!(s, 404);
        let (s, _) =
            w.api.post(&format!("/api/v1/workstations/{pc_a}/enrol-link"), &mgr_b, json!({})).await;
        assert_eq!(s, 404);
        let (s, e) = w.api.post("/api/v1/workstations", &mgr_b, json!({ "code": "PC-X", "name": "x", "placement": "facility", "organisation_id": fac_a, "storage": "保管庫" })).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("SAK-M")), "{e}");
        let (_, log) = w.api.get("/api/v1/audit?action=retention.set", &mgr_b).await;
        assert!(
            log.as_array().unwrap().iter().all(|e| e["object"] != format!("organisation:{fac_a}")),
            "{log}"
        );
        let (_, log) = w.api.get("/api/v1/audit?action=footage.view", &mgr_b).await;
        assert!(log.as_array().unwrap().is_empty(), "facility A's viewing is not B's: {log}");
        let viewed =
            |log: &Value| log.as_array().unwrap().iter().filter(|e| e["outcome"] == "ok").count();
        let (_, log) = w.api.get("/api/v1/audit?action=footage.view", &mgr_a).await;
        assert_eq!(viewed(&log), 1, "{log}");
        let (_, log) = w.api.get("/api/v1/audit?action=footage.view", &city).await;
        assert_eq!(viewed(&log), 1, "the city reads the whole log: {log}");
    }
}

// rule: NIS-10.3 — two agencies: each head lists the requests his own agency filed, never the
// other's.
#[tokio::test]
async fn agencies_see_only_their_own_requests() {
    for backend in BACKENDS {
        // Monday 7 December 2026.
        let w = World::new("nishiyodogawa", backend, "2026-12-07T10:00:00+09:00").await;
        let head1 = w.user("agency_head");
        let agency2 = org(&w, "police", "此花警察署").await;
        let head2 = member(&w, "head2", agency2, "agency_head", &w.admin).await;
        let basis = &w.profile.bases[0];
        let r = w
            .api
            .ok("/api/v1/requests", &head1, json!({ "basis": basis.id, "purpose": w.profile.purposes[0].id, "recipient": "西淀川警察署",
                "case_summary": "ひったくり", "documents": documents(&w, basis), "cameras": ["cam1"],
                "from": "2026-12-05T20:00:00+09:00", "to": "2026-12-05T21:00:00+09:00" }))
            .await["id"]
            .as_i64()
            .unwrap();
        let (_, list) = w.api.get("/api/v1/requests", &head1).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{backend:?}: {list}");
        let (_, list) = w.api.get("/api/v1/requests", &head2).await;
        assert!(list.as_array().unwrap().is_empty(), "{backend:?}: {list}");
        let (s, _) = w.api.get(&format!("/api/v1/requests/{r}"), &head2).await;
        assert_eq!(s, 404);
        // The city's manager, owner of the cameras, sees it.
        let (_, list) = w.api.get("/api/v1/requests", &w.user("manager")).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
    }
}

// rule: PROD-SOD-6 — an outsider's account the city makes waits for a second administrator.
#[tokio::test]
async fn outsiders_accounts_made_by_the_city_need_a_second_administrator() {
    for backend in BACKENDS {
        let w = World::new("asahikawa", backend, "2026-12-07T10:00:00+09:00").await;
        let station = org(&w, "police", "旭川東警察署").await;
        let acc = w
            .api
            .ok("/api/v1/accounts", &w.admin, json!({ "login": "keisatsu7", "display_name": "警察 七郎", "organisation_id": station, "initial_password": INITIAL }))
            .await;
        assert_eq!(acc["pending_activation"], true, "{acc}");
        let id = acc["id"].as_i64().unwrap();
        // Its maker knows the first password, but it does not sign in yet.
        let (s, e) = w.api.login("keisatsu7", INITIAL).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some("PROD-SOD-6")), "{backend:?}: {e}");
        let (s, e) = w.api.login("keisatsu7", "wrong-password-000").await;
        assert_eq!(
            (s.as_u16(), e["rule"].as_str()),
            (401, None),
            "nothing said without the password: {e}"
        );
        // The maker cannot activate it; a second administrator can, once.
        let path = format!("/api/v1/accounts/{id}/activate");
        let (s, e) = w.api.post(&path, &w.admin, json!({})).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some("PROD-SOD-6")), "{e}");
        let v = w.api.ok(&path, &w.registrar, json!({})).await;
        assert_eq!(v["pending_activation"], false);
        let (s, _) = w.api.post(&path, &w.registrar, json!({})).await;
        assert_eq!(s, 409, "not waiting any more");
        let (s, v) = w.api.login("keisatsu7", INITIAL).await;
        assert_eq!(s, 200, "{v}");
        // The city's own staff need no second person.
        let clerk = w
            .api
            .ok("/api/v1/accounts", &w.admin, json!({ "login": "shokuin7", "display_name": "職員 七郎", "organisation_id": w.admin.org, "initial_password": INITIAL }))
            .await;
        assert_eq!(clerk["pending_activation"], false);
        let auditor = w.holder(policy::Permission::AuditRead).clone();
        let (_, log) = w.api.get("/api/v1/audit?action=account.activate", &auditor).await;
        let log: Vec<&Value> = log
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["object"] == format!("account:{id}"))
            .collect();
        assert_eq!((log.len(), log[0]["rule"].as_str()), (1, Some("PROD-SOD-6")), "{log:?}");
        let (_, log) = w.api.get("/api/v1/audit?action=login&limit=500", &auditor).await;
        assert!(log.as_array().unwrap().iter().any(|e| e["rule"] == "PROD-SOD-6"), "{log:?}");
    }
}

// rule: ASA-3.5a, PROD-SOD-4 — two police stations: each chief governs his own station.
#[tokio::test]
async fn police_stations_act_for_themselves_and_never_alone() {
    for backend in BACKENDS {
        // Saturday night: inside the emergency window.
        let mut w = World::new("asahikawa", backend, "2026-12-05T23:30:00+09:00").await;
        let chief1 = w.user("police_image_manager");
        let op1 = w.user("police_image_operator");
        let station2 = org(&w, "police", "旭川東警察署").await;
        let chief2 = member(&w, "chief2", station2, "police_image_manager", &w.admin).await;
        let order = |executor: i64| {
            json!({ "executor_account": executor, "cameras": ["cam1"], "from": "2026-12-05T22:00:00+09:00",
            "to": "2026-12-05T23:00:00+09:00", "purpose": "criminal_investigation", "urgency_reason": "逃走中の被疑者" })
        };
        // The chief does not carry out his own order.
        let (_, e) = w.api.post("/api/v1/emergency/orders", &chief1, order(chief1.id)).await;
        assert_eq!(e["rule"], "PROD-SOD-4", "{backend:?}: {e}");
        let o = w.api.ok("/api/v1/emergency/orders", &chief1, order(op1.id)).await["id"]
            .as_i64()
            .unwrap();
        // Station 2 neither sees station 1's order nor designates its staff.
        let (s, _) = w
            .api
            .post(
                &format!("/api/v1/emergency/orders/{o}/file"),
                &chief2,
                json!({ "form": "application", "reference": "x" }),
            )
            .await;
        assert_eq!(s, 404);
        let (_, orders) = w.api.get("/api/v1/emergency/orders", &chief2).await;
        assert!(orders.as_array().unwrap().is_empty(), "{orders}");
        let (_, e) = w
            .api
            .post(
                "/api/v1/designations",
                &chief2,
                json!({ "account_id": op1.id, "role": "police_image_operator" }),
            )
            .await;
        assert_eq!(
            e["rule"].as_str().map(|r| r.starts_with("PROD-OWN") || r.starts_with("ASA")),
            Some(true),
            "{e}"
        );
        let (_, d) = w.api.get("/api/v1/designations", &chief2).await;
        assert!(d.as_array().unwrap().iter().all(|x| x["account_id"] == chief2.id), "{d}");
        // The city, owner of the cameras, sees the order.
        let (_, orders) = w.api.get("/api/v1/emergency/orders", &w.admin).await;
        assert_eq!(orders.as_array().unwrap().len(), 1);
        assert_eq!(orders[0]["expires_at"], "2026-12-07T08:45:00+09:00", "{orders}");

        // ASA-3.5b: only an urgent criminal investigation.
        let mut other = order(op1.id);
        other["purpose"] = json!("protection_of_life");
        let (s, e) = w.api.post("/api/v1/emergency/orders", &chief1, other).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("ASA-3.5b")), "{e}");

        // Carried out on Monday before office hours: the filing is due by the end of the next
        // office day after the extraction (Tuesday), not after the order.
        w.set_now("2026-12-07T08:00:00+09:00");
        let v = w.api.ok(&format!("/api/v1/emergency/orders/{o}/extract"), &op1, json!({})).await;
        assert_eq!(v["filing_due_at"], "2026-12-09T00:00:00+09:00", "{v}");

        // An order given on Saturday night and not carried out lapses when office hours begin:
        // on Monday at 10:00 it is refused and closed as expired, on record.
        w.set_now("2026-12-05T23:40:00+09:00");
        let late = w.api.ok("/api/v1/emergency/orders", &chief1, order(op1.id)).await["id"]
            .as_i64()
            .unwrap();
        w.set_now("2026-12-07T10:00:00+09:00");
        let op1 = w.relogin("police_image_operator").await;
        let (s, e) =
            w.api.post(&format!("/api/v1/emergency/orders/{late}/extract"), &op1, json!({})).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (409, Some("ASA-3.5b")), "{backend:?}: {e}");
        let chief1 = w.relogin("police_image_manager").await;
        let (_, orders) = w.api.get("/api/v1/emergency/orders", &chief1).await;
        let lapsed = orders.as_array().unwrap().iter().find(|x| x["id"] == late).unwrap();
        assert_eq!(lapsed["state"], "expired");
        let mgr = w.relogin("manager").await;
        let (_, log) = w.api.get("/api/v1/audit?action=emergency.expire", &mgr).await;
        assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    }
}

// rule: KIT-5.5, ASA-3.2e, SAK-M — a dedicated PC stands where the city's rules put it: a
// Kitakyushu section PC is refused at registration (only the central room's terminals), an
// Asahikawa city PC cannot be registered at the police station, and a PC registered elsewhere
// before (straight into the store) takes no footage out.
#[tokio::test]
async fn workstations_stand_where_each_city_puts_them() {
    let w = World::new("kitakyushu", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let wsm = w.holder(policy::Permission::WorkstationManage).clone();
    let city = w.orgs["city"];
    let body = |code: &str, placement: &str, org: i64| json!({ "code": code, "name": code, "placement": placement, "organisation_id": org, "storage": "施錠できる保管庫" });
    let (s, v) = w.api.post("/api/v1/workstations", &wsm, body("PC-X", "section", city)).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("KIT-5.5")), "{v}");
    assert_eq!(v["errors"][0]["field"], "placement");
    let (s, v) = w.api.post("/api/v1/workstations", &wsm, body("PC-Y", "central_room", city)).await;
    assert_eq!(s, 200, "{v}");
    // A PC written into the store at the section (an earlier version allowed it): the handling
    // officer at it cannot view footage there.
    let token = w.stored_workstation("PC-OLD", "section", city, "ab").await;
    let mut at_old = w.holder(policy::Permission::FootageExtract).clone();
    at_old.ws = Some(token);
    let cam = &w.cameras[0];
    let viewing = json!({ "cameras": [cam], "from": "2026-11-24T08:00:00+09:00", "to": "2026-11-24T09:00:00+09:00", "purpose": "criminal_investigation", "witnesses": [] });
    let (s, v) = w.api.post("/api/v1/viewings", &at_old, viewing.clone()).await;
    assert_eq!(s, 403, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("registered dedicated workstation"), "{v}");
    // The same person at the central room's terminal may, once inside by a recorded entry
    // (KIT-5.5); after leaving, not any more.
    let at_room = w.holder(policy::Permission::FootageExtract).clone();
    let (s, v) = w.api.post("/api/v1/viewings", &at_room, viewing.clone()).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("KIT-5.5")), "{v}");
    let entry =
        w.api.ok("/api/v1/room-entries", &at_room, json!({ "purpose": "画像の確認" })).await;
    let (s, v) = w.api.post("/api/v1/viewings", &at_room, viewing.clone()).await;
    assert_ne!(s, 403, "{v}");
    w.api.ok(&format!("/api/v1/room-entries/{}/leave", entry["id"]), &at_room, json!({})).await;
    let (s, v) = w.api.post("/api/v1/viewings", &at_room, viewing).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("KIT-5.5")), "{v}");

    let a = World::new("asahikawa", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let wsm = a.holder(policy::Permission::WorkstationManage).clone();
    let (s, v) =
        a.api.post("/api/v1/workstations", &wsm, body("PC-Z", "police", a.orgs["city"])).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("ASA-3.2e")), "{v}");
}

// rule: KAW-2.2.2 — the scope matrix. Every endpoint that names an owned thing by id, called by a
// community group's people (whoever of them holds the endpoint's permission) on the city's
// things: never allowed — 404 as if absent, or a refusal naming the rule. The city's own people
// read the same things. Every `{id}` endpoint is either exercised here or named, with the
// reason, among those whose things this fixture cannot make (so a new endpoint must be placed).
// On SQLite and PostgreSQL.
#[tokio::test]
async fn scope_matrix_every_id_endpoint_on_another_owners_things() {
    use server::api::endpoints;
    use server::auth::Access;
    // Things of kinds this fixture does not make: footage exported (needs a recorder; the
    // evidence tests pin their scope), delegations and emergency orders (not in Kawaguchi's
    // rules), reconciliation incidents (the emergency path's), disposals (pinned above), an
    // organisation's own retention (Saku's, pinned in the Saku test), central-room entries
    // (Kitakyushu's, pinned in its test).
    const NOT_HERE: [&str; 8] = [
        "extractions",
        "packages",
        "delegations",
        "emergency",
        "reconciliation",
        "disposals",
        "organisations",
        "room-entries",
    ];
    for backend in BACKENDS {
        // Monday 7 December 2026.
        let w = World::new("kawaguchi", backend, "2026-12-07T10:00:00+09:00").await;
        let (city_mgr, city_op, police) =
            (w.user("manager"), w.user("operator"), w.user("applicant"));
        let a = org(&w, "community", "本町一丁目町会").await;
        let a_inst = member(&w, "a_inst", a, "installer", &w.admin).await;
        let a_mgr = member(&w, "a_mgr", a, "manager", &a_inst).await;
        let a_op = member(&w, "a_op", a, "operator", &a_mgr).await;
        camera(&w, &a_inst, a, "A1", "a-cam1").await;

        // The city's things.
        let (_, cams) = w.api.get("/api/v1/cameras", &w.admin).await;
        let cam = cams.as_array().unwrap().iter().find(|c| c["code"] == "cam1").unwrap()["id"]
            .as_i64()
            .unwrap();
        let (_, sites) = w.api.get("/api/v1/sites", &w.admin).await;
        let site = sites.as_array().unwrap().iter().find(|s| s["code"] == "S1").unwrap()["id"]
            .as_i64()
            .unwrap();
        let req =
            w.api.ok("/api/v1/requests", &police, request(&["cam1"])).await["id"].as_i64().unwrap();
        w.api.ok(&format!("/api/v1/requests/{req}/approve"), &city_mgr, json!({})).await;
        let ins = w
            .api
            .ok(
                "/api/v1/instructions",
                &city_mgr,
                json!({ "request_id": req, "to_account": city_op.id }),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let hold = w.api.ok("/api/v1/holds", &city_mgr, json!({ "camera": "cam1", "from": "2026-12-05T20:00:00+09:00", "to": "2026-12-05T21:00:00+09:00", "until": "2026-12-20T00:00:00+09:00", "reason": "照会", "inquiry_reference": "照-1" })).await["id"].as_i64().unwrap();
        let (_, pcs) = w.api.get("/api/v1/workstations", &city_mgr).await;
        let pc = pcs.as_array().unwrap()[0]["id"].as_i64().unwrap();
        let clauses: Vec<Value> =
            (1..=7).map(|c| json!({ "clause": c, "included": true })).collect();
        let contractor = org(&w, "contractor", "保守会社").await;
        let contract = w.api.ok("/api/v1/contracts", &w.admin, json!({ "organisation_id": contractor, "title": "保守", "scope": "録画装置の保守", "clauses": clauses, "valid_from": "2026-04-01T00:00:00+09:00", "valid_until": "2027-04-01T00:00:00+09:00" })).await["id"].as_i64().unwrap();
        w.api
            .call(
                "POST",
                "/api/v1/public/complaints",
                None,
                Some(json!({ "category": "privacy", "camera": "cam1", "body": "窓が映る" })),
            )
            .await;
        let (_, complaints) = w.api.get("/api/v1/complaints", &city_mgr).await;
        let complaint = complaints[0]["id"].as_i64().unwrap();
        let (_, ds) = w.api.get("/api/v1/designations", &w.admin).await;
        let designation =
            ds.as_array().unwrap().iter().find(|d| d["account_id"] == city_mgr.id).unwrap()["id"]
                .as_i64()
                .unwrap();
        // A viewing of the city's camera by the city's manager (issue 20).
        let viewing = w.api.ok("/api/v1/viewings", &city_mgr, json!({ "cameras": ["cam1"], "from": "2026-12-07T08:00:00+09:00", "to": "2026-12-07T09:00:00+09:00", "purpose": w.profile.purposes[0].id, "witnesses": [] })).await;
        let viewing_from = viewing["range_from_ms"].as_i64().unwrap();
        let viewing = viewing["id"].as_i64().unwrap();
        // The city's recorder node (issue 21).
        let registrar = w.holder(policy::Permission::RegistryManage).clone();
        let node = w
            .api
            .ok(
                "/api/v1/nodes",
                &registrar,
                json!({ "name": "city-node", "site": "市役所", "address": "127.0.0.1:9" }),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let id_of = |kind: &str| -> Option<i64> {
            Some(match kind {
                "viewings" => viewing,
                "nodes" => node,
                "cameras" => cam,
                "sites" => site,
                "requests" => req,
                "instructions" => ins,
                "holds" => hold,
                "workstations" => pc,
                "contracts" => contract,
                "complaints" => complaint,
                "designations" => designation,
                "accounts" => city_mgr.id,
                _ => return None,
            })
        };
        let body = |path: &str| match path.rsplit('/').next().unwrap() {
            "refuse" | "decommission" => json!({ "reason": "x" }),
            "revoke" if path.contains("workstations") || path.contains("nodes") => {
                json!({ "reason": "x" })
            }
            "respond" => json!({ "response": "x" }),
            "masks" => json!({ "polygons": [], "reason": "x" }),
            "stream-credentials" => json!({ "username": "u", "password": "p" }),
            "onvif" => json!({ "onvif_url": "", "reason": "x" }),
            "played" => json!({ "camera": "cam1", "from_ms": 0, "to_ms": 1 }),
            "prints" => json!({ "camera": "cam1", "at_ms": 0 }),
            "footage-checks" => json!({ "oldest_day": "2026-11-27", "note": "x" }),
            _ => json!({}),
        };
        let group = [&a_inst, &a_mgr, &a_op];
        let city = [&w.admin, &city_mgr, &city_op];
        let holds = |u: &User, access: &Access| {
            access.permissions().iter().any(|p| w.profile.allows(&u.role, *p))
        };
        let mut tried = 0;
        for ep in endpoints().iter().filter(|e| e.path.contains("{id}")) {
            let kind = ep.path.trim_start_matches("/api/v1/").split('/').next().unwrap();
            let Some(id) = id_of(kind) else {
                assert!(
                    NOT_HERE.contains(&kind),
                    "{} {}: place it in the matrix",
                    ep.method,
                    ep.path
                );
                continue;
            };
            let mut path = ep.path.replace("{id}", &id.to_string());
            if path.ends_with("/media") {
                path = format!("{path}?camera=cam1&from={viewing_from}");
            }
            for u in group.iter().filter(|u| holds(u, &ep.access)) {
                let b = (ep.method != "GET").then(|| body(&path));
                let (s, v) = w.api.call(ep.method, &path, Some(u), b).await;
                assert!(
                    s == 404 || ((s == 403 || s == 422 || s == 409) && v["rule"].is_string()),
                    "{backend:?}: {} as {} ({}) on the city's: {s} {v}",
                    ep.method,
                    path,
                    u.role
                );
                tried += 1;
            }
            // (Kawaguchi issues no approval certificate: nobody reads one there.)
            if ep.method == "GET" && !path.ends_with("/certificate") {
                let owner = city.iter().find(|u| holds(u, &ep.access)).unwrap();
                let (s, v) = w.api.get(&path, owner).await;
                // 503: past the scope check, at the recorder this fixture does not run.
                assert!(s.is_success() || s == 503, "{backend:?}: the city reads {path}: {s} {v}");
            }
        }
        assert!(tried >= 20, "{tried} calls by the group");
    }
}

// rule: SAK-M, PROD-SITE-1 — in Saku a camera goes on a street only after the council's review
// (「その際は、改めてこの協議会を通じて検討」): a street site is registered with the review's day
// and minutes or not at all; a public facility needs none; Asahikawa asks for no review.
#[tokio::test]
async fn saku_street_sites_need_the_councils_review() {
    for backend in BACKENDS {
        // Saturday 26 December 2026.
        let w = World::new("saku", backend, "2026-12-26T13:00:00+09:00").await;
        let city = w.user("city_liaison");
        let fac = w.orgs["facility"];
        let site = |code: &str, extra: Value| {
            let mut b = json!({ "code": code, "name": "岩村田交差点", "address": "岩村田1丁目",
                                "signage_text": "防犯カメラ作動中", "owner_org_id": fac });
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        let (s, e) =
            w.api.post("/api/v1/sites", &city, site("ST1", json!({ "placement": "street" }))).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("SAK-M")), "{backend:?}: {e}");
        assert!(
            e.to_string().contains("Community Safety Council") || e.to_string().contains("協議会"),
            "{e}"
        );
        // A date without minutes is no record of a review.
        let (s, e) = w
            .api
            .post(
                "/api/v1/sites",
                &city,
                site("ST1", json!({ "placement": "street", "council_review_date": "2026-11-30" })),
            )
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("SAK-M")), "{e}");
        // Nor a review to come.
        let (s, e) = w
            .api
            .post(
                "/api/v1/sites",
                &city,
                site(
                    "S1",
                    json!({ "placement": "street",
                "council_review_date": "2027-01-20", "council_review_minutes": "第3回協議会" }),
                ),
            )
            .await;
        assert_eq!(s, 422, "{e}");
        let (s, e) =
            w.api.post("/api/v1/sites", &city, site("ST1", json!({ "placement": "roof" }))).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("PROD-SITE-1")), "{e}");
        let ok = w
            .api
            .ok("/api/v1/sites", &city, site("ST1", json!({ "placement": "street",
                "council_review_date": "2026-11-30", "council_review_minutes": "第3回佐久市生活安全推進協議会 議事録 2頁" })))
            .await;
        assert_eq!(
            (ok["placement"].as_str(), ok["council_review_date"].as_str()),
            (Some("street"), Some("2026-11-30"))
        );
        // A public facility, declared or not, needs no review.
        w.api
            .ok("/api/v1/sites", &city, site("ST2", json!({ "placement": "public_facility" })))
            .await;
        w.api.ok("/api/v1/sites", &city, site("ST3", json!({}))).await;
        let auditor = w.holder(policy::Permission::AuditRead).clone();
        let (_, trail) = w.api.get("/api/v1/audit?action=site.create", &auditor).await;
        assert!(trail.to_string().matches("site.create").count() >= 3, "{trail}");

        let w = World::new("asahikawa", backend, "2026-12-26T13:00:00+09:00").await;
        let keeper = w.holder(policy::Permission::RegistryManage).clone();
        let v = w
            .api
            .ok(
                "/api/v1/sites",
                &keeper,
                json!({ "code": "A9", "name": "買物公園", "address": "平和通",
                "signage_text": "防犯カメラ作動中", "placement": "street" }),
            )
            .await;
        assert_eq!(v["placement"], "street", "no review asked where the profile names none");
    }
}

// rule: KIT-5.5 — the central room is entered only by the manager, the handling officers,
// persons the manager approved (the manager records their entry) and the maintenance
// contractor within its contract; every entry and leaving is recorded and audited. A city
// without such a room keeps no record of one.
#[tokio::test]
async fn kitakyushu_central_room_entries() {
    for backend in BACKENDS {
        // Sunday 27 December 2026, in the year-end closure's eve.
        let w = World::new("kitakyushu", backend, "2026-12-27T10:00:00+09:00").await;
        let officer = w.user("handling_officer");
        let manager = w.user("manager");
        let police = w.user("applicant");
        let e =
            w.api.ok("/api/v1/room-entries", &officer, json!({ "purpose": "画像の抽出" })).await;
        let (s, _) =
            w.api.post("/api/v1/room-entries", &officer, json!({ "purpose": "再入室" })).await;
        assert_eq!(s, 409, "inside already: the leaving first");
        assert_eq!(
            (e["ground"].as_str(), e["left_at"].as_str()),
            (Some("role"), None),
            "{backend:?}: {e}"
        );
        // A person of another role does not let himself in…
        let (s, v) =
            w.api.post("/api/v1/room-entries", &police, json!({ "purpose": "見学" })).await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("KIT-5.5")), "{v}");
        // …nor does a handling officer let him in: only the manager's record is an approval.
        let (s, v) = w
            .api
            .post(
                "/api/v1/room-entries",
                &officer,
                json!({ "purpose": "立会い", "account_id": police.id }),
            )
            .await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("KIT-5.5")), "{v}");
        let a = w
            .api
            .ok(
                "/api/v1/room-entries",
                &manager,
                json!({ "purpose": "機器の確認に立会い", "account_id": police.id }),
            )
            .await;
        assert_eq!(a["ground"], "approved", "{a}");
        assert!(a["approved_by"].is_string(), "{a}");
        // Leaving is recorded once, by the person or the manager; not by another.
        let (s, _) = w
            .api
            .post(&format!("/api/v1/room-entries/{}/leave", e["id"]), &police, json!({}))
            .await;
        assert_eq!(s, 404, "another person's entry");
        let left =
            w.api.ok(&format!("/api/v1/room-entries/{}/leave", e["id"]), &officer, json!({})).await;
        assert!(left["left_at"].is_string(), "{left}");
        let (s, _) = w
            .api
            .post(&format!("/api/v1/room-entries/{}/leave", e["id"]), &officer, json!({}))
            .await;
        assert_eq!(s, 409, "left once");
        // The manager reads every entry; the police officer only his own.
        let (_, all) = w.api.get("/api/v1/room-entries", &manager).await;
        assert_eq!(all["entries"].as_array().unwrap().len(), 2, "{all}");
        assert_eq!(all["room"]["ja"], "集中管理室");
        let (_, own) = w.api.get("/api/v1/room-entries", &police).await;
        assert_eq!(own["entries"].as_array().unwrap().len(), 1, "{own}");
        let auditor = w.holder(policy::Permission::AuditRead).clone();
        for action in ["room.enter", "room.leave"] {
            let (_, trail) = w.api.get(&format!("/api/v1/audit?action={action}"), &auditor).await;
            assert!(trail.to_string().contains(action), "{action}: {trail}");
        }

        let w = World::new("asahikawa", backend, "2026-12-27T10:00:00+09:00").await;
        let (s, _) =
            w.api.post("/api/v1/room-entries", &w.user("manager"), json!({ "purpose": "x" })).await;
        assert_eq!(s, 404, "no central room in Asahikawa's rules");
    }
}
