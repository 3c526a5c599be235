//! Clauses each city's rules state, exercised through the API in the city whose rules state
//! them (issue 18 item 5): the answer names the city's own clause. With the other tests, every
//! rule ID of SPEC.md is pinned by a test or listed in docs/seed-readings.md as not applicable
//! (the rule matrix checks it).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::{Value, json};

// rule: ASA-3.6a, NIS-12, KAW-2.2.3, KAW-2.2.4, KIT-1.2, SAK-M — the confidentiality duty is
// acknowledged before any other use, under each city's clause (KIT-1.2: the laws it names).
#[tokio::test]
async fn confidentiality_is_acknowledged_first_under_each_citys_clause() {
    let cities: [(&str, &[&str]); 5] = [
        ("asahikawa", &["ASA-3.6a"]),
        ("nishiyodogawa", &["NIS-12"]),
        ("kawaguchi", &["KAW-2.2.3", "KAW-2.2.4"]),
        ("kitakyushu", &["KIT-1.2"]),
        ("saku", &["SAK-M"]),
    ];
    for (city, rules) in cities {
        // Monday 28 December 2026, the last office day before the year-end closure.
        let w = World::new(city, Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
        let acc = w.api.ok("/api/v1/accounts", &w.registrar, json!({ "login": "newcomer", "display_name": "新任職員", "organisation_id": w.admin.org, "initial_password": INITIAL })).await;
        activate_if_pending(&w.api, &acc, &w.admin).await;
        let (s, v) = w.api.login("newcomer", INITIAL).await;
        assert_eq!(s, 200, "{city}: {v}");
        let newcomer = User {
            id: v["account_id"].as_i64().unwrap(),
            login: "newcomer".into(),
            token: v["token"].as_str().unwrap().into(),
            org: w.admin.org,
            role: String::new(),
            ws: None,
        };
        let (_, me) = w.api.get("/api/v1/me", &newcomer).await;
        assert_eq!(me["must_acknowledge"], true, "{city}");
        assert_eq!(me["confidentiality"]["rules"], json!(rules), "{city}: {me}");
        assert!(me["confidentiality"]["ja"].as_str().is_some_and(|t| !t.is_empty()));
        let (s, e) = w.api.get("/api/v1/cameras", &newcomer).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some(rules[0])), "{city}: {e}");
        w.api.ok("/api/v1/me/acknowledge", &newcomer, json!({})).await;
        let auditor = w.holder(policy::Permission::AuditRead).clone();
        let (_, log) = w.api.get("/api/v1/audit?action=me.acknowledge", &auditor).await;
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|e| e["actor"].as_str() == Some(&newcomer.id.to_string())),
            "{city}: the acknowledgement is audited"
        );
    }
}

// rule: ASA-2.2, KIT-4.1, KIT-1, NIS-4.1, ASA-3.2b, KIT-4.2, NIS-4.2, KAW-2.2.1 — what a site's
// registration must record, each under the city's clause, every missing field in one answer:
// the location, the system, why the place was chosen, the sign.
#[tokio::test]
async fn a_site_records_what_each_citys_rules_ask() {
    let cities: [(&str, &[(&str, &str)]); 4] = [
        ("asahikawa", &[("address", "ASA-2.2"), ("signage_text", "ASA-3.2b")]),
        ("kitakyushu", &[("address", "KIT-4.1"), ("system", "KIT-1"), ("signage_text", "KIT-4.2")]),
        ("nishiyodogawa", &[("reason", "NIS-4.1"), ("signage_text", "NIS-4.2")]),
        ("kawaguchi", &[("signage_text", "KAW-2.2.1")]),
    ];
    for (city, fields) in cities {
        let w = World::new(city, Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
        let reg = w.holder(policy::Permission::RegistryManage).clone();
        let owner = w.admin.org;
        let (s, e) = w
            .api
            .post("/api/v1/sites", &reg, json!({ "code": "S9", "name": "新設地点", "address": " ", "signage_text": "", "owner_org_id": owner }))
            .await;
        assert_eq!(s, 422, "{city}: {e}");
        let got: Vec<(String, String)> = e["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["field"].as_str().unwrap().to_owned(),
                    x["rule"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let want: Vec<(String, String)> =
            fields.iter().map(|(f, r)| ((*f).to_owned(), (*r).to_owned())).collect();
        assert_eq!(got, want, "{city}: every field at once, each with its clause");
        assert_eq!(e["rule"], fields[0].1, "{city}");
        // Filled in, it is registered and shows what was recorded.
        let v = w
            .api
            .ok("/api/v1/sites", &reg, json!({ "code": "S9", "name": "新設地点", "address": "本町2丁目", "system": "駅周辺地区",
                "reason": "西淀川警察署から提供された犯罪情報による", "signage_text": "防犯カメラ作動中", "owner_org_id": owner }))
            .await;
        assert_eq!(v["address"], "本町2丁目", "{city}");
    }
}

// rule: ASA-3.2f, NIS-3.3.2, KAW-2.2.6エ, ASA-3.2d — a dedicated PC's storage place is recorded
// under the city's clause (施錠できる保管庫, あらかじめ登録した保管場所); a camera's anti-removal
// mounting is recorded.
#[tokio::test]
async fn storage_places_and_mountings_are_recorded_under_each_citys_clause() {
    for (city, rule, placement) in [
        ("asahikawa", "ASA-3.2f", "section"),
        ("nishiyodogawa", "NIS-3.3.2", "section"),
        ("kawaguchi", "KAW-2.2.6エ", "section"),
    ] {
        let w = World::new(city, Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
        let wsm = w.holder(policy::Permission::WorkstationManage).clone();
        let body = |storage: &str| json!({ "code": "PC-9", "name": "予備PC", "placement": placement, "organisation_id": w.admin.org, "storage": storage });
        let (s, e) = w.api.post("/api/v1/workstations", &wsm, body(" ")).await;
        assert_eq!(
            (s.as_u16(), e["rule"].as_str(), e["errors"][0]["field"].as_str()),
            (422, Some(rule), Some("storage")),
            "{city}: {e}"
        );
        let v = w.api.ok("/api/v1/workstations", &wsm, body("課内の施錠できる保管庫")).await;
        assert_eq!(v["storage"], "課内の施錠できる保管庫", "{city}: {v}");
    }
    let w = World::new("asahikawa", Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
    let reg = w.holder(policy::Permission::RegistryManage).clone();
    let (_, sites) = w.api.get("/api/v1/sites", &reg).await;
    let site = sites[0]["id"].as_i64().unwrap();
    w.api.ok("/api/v1/cameras", &reg, json!({ "code": "cam9", "site_id": site, "name": "取外し防止", "install_date": "2026-12-01", "public_share_permille": 900, "anti_removal": true })).await;
    let (_, cams) = w.api.get("/api/v1/cameras", &reg).await;
    let cam: &Value = cams.as_array().unwrap().iter().find(|c| c["code"] == "cam9").unwrap();
    assert_eq!(cam["anti_removal"], true, "ASA-3.2d: the mounting is recorded: {cam}");
}

// rule: NIS-3.2.2 — Nishiyodogawa uses images only for its two purposes; anything else is
// refused under that clause.
#[tokio::test]
async fn nishiyodogawa_uses_images_only_for_its_two_purposes() {
    let w = World::new("nishiyodogawa", Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
    let p = w.profile.clone();
    let ids: Vec<&str> = p.purposes.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["crime_prevention", "crime_response"]);
    let head = w.user("agency_head");
    let basis = &p.bases[0];
    let (s, e) = w
        .api
        .post(
            "/api/v1/requests",
            &head,
            json!({ "basis": basis.id, "purpose": "traffic_survey", "recipient": "西淀川警察署",
            "case_summary": "交通量の調査", "documents": documents(&w, basis), "cameras": ["cam1"],
            "from": "2026-12-27T08:00:00+09:00", "to": "2026-12-27T08:30:00+09:00" }),
        )
        .await;
    assert_eq!(
        (s.as_u16(), e["rule"].as_str(), e["errors"][0]["field"].as_str()),
        (422, Some("NIS-3.2.2"), Some("purpose")),
        "{e}"
    );
}

// rule: NIS-3.1c, NIS-3.3.1 — the city's device passwords are duties under its own clauses:
// Nishiyodogawa's cameras and dedicated PCs, each changed at least every 180 days.
#[tokio::test]
async fn nishiyodogawa_device_passwords_are_duties_under_its_clauses() {
    let w = World::new("nishiyodogawa", Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
    let chief = w.user("operations_chief");
    let (s, duties) = w.api.get("/api/v1/duties", &chief).await;
    assert_eq!(s, 200, "{duties}");
    let rule_of = |id: &str| {
        duties.as_array().unwrap().iter().find(|d| d["id"] == id).map(|d| d["rule"].clone())
    };
    assert_eq!(rule_of("camera_password"), Some(json!("NIS-3.1c")), "{duties}");
    assert_eq!(rule_of("workstation_password"), Some(json!("NIS-3.3.1")), "{duties}");
    let cam = duties.as_array().unwrap().iter().find(|d| d["id"] == "camera_password").unwrap();
    assert_eq!(cam["every_days"], 180);
    assert!(
        cam["owed"].as_array().unwrap().iter().any(|o| o["subject"] == "camera:cam1"),
        "each camera owes it: {cam}"
    );
}

// rule: KIT-1.2, KAW-3 — the rules document names the governing law with the clause naming it.
#[tokio::test]
async fn the_rules_document_names_the_governing_law_and_its_clause() {
    for (city, clause, law) in [
        ("kitakyushu", "KIT-1.2", "北九州市情報公開条例"),
        ("kawaguchi", "KAW-3", "個人情報の保護に関する法律"),
    ] {
        let w = World::new(city, Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
        let (s, doc) = w.api.call("GET", "/api/v1/public/rules-doc", None, None).await;
        assert_eq!(s, 200, "{doc}");
        let text = doc["law"].as_str().unwrap();
        assert!(text.contains(law) && text.ends_with(&format!("（{clause}）")), "{city}: {text}");
    }
}

// rule: KAW-2.2.7 — each city's rules document states its own procedure: who decides, what its
// register is called, which documents an emergency filing takes; not one text for every city.
#[tokio::test]
async fn the_rules_document_states_each_citys_own_procedure() {
    for (city, has, lacks) in [
        ("kitakyushu", &["「情報提供記録", "管理責任者の判断"][..], &["利用簿", "承認"][..]),
        ("asahikawa", &["「申請書」の提出", "「旭川市防犯カメラ画像利用簿」"], &["情報提供記録"]),
        (
            "nishiyodogawa",
            &["「捜査関係事項照会書」又は", "（様式第3号）」", "画像管理台帳（様式第1号）"],
            &["利用簿"],
        ),
    ] {
        let w = World::new(city, Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
        let (_, doc) = w.api.call("GET", "/api/v1/public/rules-doc", None, None).await;
        let text = doc["items"].to_string();
        for h in has {
            assert!(text.contains(h), "{city}: {h} missing from {text}");
        }
        for l in lacks {
            assert!(!text.contains(l), "{city}: {l} is another city's word: {text}");
        }
    }
}

// rule: NIS-6.3, ALL-REC-2 — Nishiyodogawa installs no monitor: footage of the last minutes is
// never viewed, and the refusal names the city's own clause.
#[tokio::test]
async fn nishiyodogawa_views_nothing_near_the_live_edge() {
    let w = World::new("nishiyodogawa", Backend::Sqlite, "2026-12-28T10:00:00+09:00").await;
    let viewer = w.holder(policy::Permission::FootageView).clone();
    let (s, e) = w
        .api
        .post(
            "/api/v1/viewings",
            &viewer,
            json!({ "cameras": ["cam1"], "from": "2026-12-28T09:40:00+09:00",
            "to": "2026-12-28T09:55:00+09:00", "purpose": "crime_prevention", "witnesses": [] }),
        )
        .await;
    assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("NIS-6.3")), "{e}");
}
