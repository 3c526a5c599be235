//! Recurring duties (issue 18 item 1) through the HTTP API: due → on the right person's home →
//! done → gone; lapsed → incident, audited, closed by whoever governs the subject. Two police
//! stations, two community groups, months that end on weekends and across the year end.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::{Value, json};

/// `who`'s duty tasks: (duty id, label, period, due_at, overdue).
async fn duty_tasks(w: &World, who: &User) -> Vec<(String, String, String, String, bool)> {
    let (s, v) = w.api.get("/api/v1/me/tasks", who).await;
    assert_eq!(s, 200, "{v}");
    v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "duty")
        .map(|t| {
            assert!(t["title"]["ja"].as_str().is_some_and(|x| !x.is_empty()), "{t}");
            (
                t["action"].as_str().unwrap().to_owned(),
                t["label"].as_str().unwrap().to_owned(),
                t["detail"].as_str().unwrap().to_owned(),
                t["due_at"].as_str().unwrap().to_owned(),
                t["overdue"] == true,
            )
        })
        .collect()
}

fn has(tasks: &[(String, String, String, String, bool)], duty: &str, label: &str) -> bool {
    tasks.iter().any(|t| t.0 == duty && t.1 == label)
}

async fn sweep(w: &World) -> usize {
    server::duties::sweep(&w.srv.state).await.unwrap()
}

/// Open incidents `who` sees: (kind, detail).
async fn open_incidents(w: &World, who: &User) -> Vec<Value> {
    let (s, v) = w.api.get("/api/v1/reconciliation/incidents", who).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().iter().filter(|i| i["closed_at"].is_null()).cloned().collect()
}

// rule: ASA-3.5c, ASA-3.2c, PROD-DUTY-1, PROD-DUTY-2, PROD-DUTY-3, PROD-DUTY-5
#[tokio::test]
async fn asahikawa_monthly_histories_reviews_and_device_passwords() {
    for backend in BACKENDS {
        // Tuesday 15 September 2026: the PCs are registered mid-month.
        let mut w = World::new("asahikawa", backend, "2026-09-15T10:00:00+09:00").await;
        let manager = w.user("manager");
        let chief = w.user("police_image_manager");
        // A second police station with its own lent PC and chief.
        let station2 = org(&w, "police", "旭川東警察署").await;
        let mut chief2 = member(&w, "chief2", station2, "police_image_manager", &w.admin).await;
        let ws = w.api.ok("/api/v1/workstations", &manager, json!({ "code": "PC-EAST", "name": "東署貸与PC", "placement": "police", "organisation_id": station2, "storage": "署長室の施錠庫" })).await;
        let e = w
            .api
            .ok(&format!("/api/v1/workstations/{}/enrol", ws["id"]), &manager, json!({}))
            .await;
        chief2.ws = Some(e["device_token"].as_str().unwrap().to_owned());
        let (_, list) = w.api.get("/api/v1/workstations", &manager).await;
        let pc_police = list.as_array().unwrap().iter().find(|x| x["code"] == "PC-police").unwrap()
            ["id"]
            .as_i64()
            .unwrap();

        // Mid-September: no month has ended, nothing owed.
        assert!(duty_tasks(&w, &chief).await.is_empty());
        assert!(duty_tasks(&w, &manager).await.is_empty());

        // Monday 5 October (Sunday 4th ended the weekend): September is owed.
        w.set_now("2026-10-05T09:00:00+09:00");
        let chief = w.relogin("police_image_manager").await;
        let manager = w.relogin("manager").await;
        let mine = duty_tasks(&w, &chief).await;
        assert_eq!(
            mine,
            vec![(
                "monthly_history".into(),
                "PC-police".into(),
                "2026-09".into(),
                "2026-10-11T00:00:00+09:00".into(),
                false
            )],
            "each chief sees only his own station's PC"
        );
        let (_, v) = w.api.login("chief2", PASSWORD).await;
        chief2.token = v["token"].as_str().unwrap().into();
        let theirs = duty_tasks(&w, &chief2).await;
        assert!(
            has(&theirs, "monthly_history", "PC-EAST")
                && !has(&theirs, "monthly_history", "PC-police"),
            "{theirs:?}"
        );
        let m = duty_tasks(&w, &manager).await;
        assert!(
            has(&m, "monthly_reconciliation", "旭川市") && has(&m, "access_review", "旭川市"),
            "{m:?}"
        );
        assert!(
            !m.iter().any(|t| t.0 == "monthly_history"),
            "the manager does not submit histories"
        );

        // The chief submits September's history: the duty is done by the submission itself.
        w.api
            .ok(
                "/api/v1/reconciliation/histories",
                &chief,
                json!({ "workstation_id": pc_police, "month": "2026-09", "items": [] }),
            )
            .await;
        assert!(duty_tasks(&w, &chief).await.is_empty());
        // A reconciliation cannot be claimed by hand; running it does it.
        let (s, v) = w
            .api
            .post(
                "/api/v1/duties/monthly_reconciliation/done",
                &manager,
                json!({ "subject": "office", "period": "2026-09", "note": "確認済み" }),
            )
            .await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("ASA-3.5c")), "{v}");
        w.api.ok("/api/v1/reconciliation/run", &manager, json!({ "month": "2026-09" })).await;
        // The access review is recorded with what was checked.
        let (s, v) = w
            .api
            .post(
                "/api/v1/duties/access_review/done",
                &manager,
                json!({ "subject": "office", "period": "2026-09", "note": "" }),
            )
            .await;
        assert_eq!(s, 422, "a record says what was checked: {v}");
        let (s, v) = w
            .api
            .post(
                "/api/v1/duties/access_review/done",
                &chief,
                json!({ "subject": "office", "period": "2026-09", "note": "見た" }),
            )
            .await;
        assert_eq!(s, 403, "only a reviewer: {v}");
        let (s, v) = w
            .api
            .post(
                "/api/v1/duties/access_review/done",
                &manager,
                json!({ "subject": "office", "period": "2026-10", "note": "早すぎる" }),
            )
            .await;
        assert_eq!(s, 422, "October has not ended: {v}");
        let r = w.api.ok("/api/v1/duties/access_review/done", &manager, json!({ "subject": "office", "period": "2026-09", "note": "9月分の全カメラのアクセス記録を監査ログで確認、異常なし" })).await;
        assert_eq!(r["period"], "2026-09");
        let (s, _) = w
            .api
            .post(
                "/api/v1/duties/access_review/done",
                &manager,
                json!({ "subject": "office", "period": "2026-09", "note": "二度目" }),
            )
            .await;
        assert_eq!(s, 422, "an occurrence is done once");
        let m = duty_tasks(&w, &manager).await;
        assert!(m.is_empty(), "September is done: {m:?}");
        // The duties page shows who did what.
        let (_, duties) = w.api.get("/api/v1/duties", &manager).await;
        let review =
            duties.as_array().unwrap().iter().find(|d| d["id"] == "access_review").unwrap();
        assert_eq!(review["done"][0]["fulfilled_by"], manager.id);
        assert_eq!(review["rule"], "ASA-3.5c");
        assert_eq!(review["timing_rule"], "PROD-DUTY-2");
        let hist =
            duties.as_array().unwrap().iter().find(|d| d["id"] == "monthly_history").unwrap();
        assert_eq!(hist["done"][0]["subject"], format!("workstation:{pc_police}"));
        assert!(
            hist["owed"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["label"] == "PC-EAST" && o["mine"] == false)
        );

        // Sunday 11 October, 00:00: the second station's September history lapses.
        w.set_now("2026-10-11T00:00:00+09:00");
        assert_eq!(sweep(&w).await, 1);
        assert_eq!(sweep(&w).await, 0, "a lapse is one incident, however often swept");
        let theirs = duty_tasks(&w, &chief2).await;
        assert!(theirs.iter().any(|t| t.1 == "PC-EAST" && t.4), "still owed, overdue: {theirs:?}");
        // (The reconciliation of 5 October found the missing submission too; that is its own
        // incident.)
        let all = open_incidents(&w, &manager).await;
        let open: Vec<&Value> = all.iter().filter(|i| i["kind"] == "duty_lapsed").collect();
        assert_eq!(open.len(), 1, "{all:?}");
        assert_eq!(open[0]["detail"]["label"], "PC-EAST");
        assert_eq!(open[0]["month"], "2026-09");
        // It is on the manager's home, and in the audit log.
        let (_, t) = w.api.get("/api/v1/me/tasks", &manager).await;
        let inc = t["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == "incident")
            .unwrap()
            .clone();
        assert_eq!(inc["rule"], "PROD-DUTY-5");
        let (_, a) = w.api.get("/api/v1/audit?action=duty.lapsed", &manager).await;
        let entries = a["entries"].as_array().or(a.as_array()).unwrap().clone();
        assert!(
            entries.iter().any(|e| e["object"]
                .as_str()
                .unwrap()
                .starts_with("duty:monthly_history/2026-09/workstation:")),
            "{a}"
        );
        // Submitted late, it is done; the incident stays until the manager closes it.
        w.api
            .ok(
                "/api/v1/reconciliation/histories",
                &chief2,
                json!({ "workstation_id": ws["id"], "month": "2026-09", "items": [] }),
            )
            .await;
        assert!(!duty_tasks(&w, &chief2).await.iter().any(|t| t.2 == "2026-09"));
        for i in &all {
            w.api
                .ok(
                    &format!("/api/v1/reconciliation/incidents/{}/close", i["id"]),
                    &manager,
                    json!({ "note": "東署に督促、10/12 提出を確認" }),
                )
                .await;
        }
        assert!(open_incidents(&w, &manager).await.is_empty());
        // The yearly report counts them, naming no one.
        w.set_now("2026-10-12T09:00:00+09:00");
        let manager = w.relogin("manager").await;
        let (s, r) = w.api.get("/api/v1/reports/annual?fiscal_year=2026", &manager).await;
        assert_eq!(s, 200, "{r}");
        let tables = r["report"]["tables"].as_array().or(r["tables"].as_array()).unwrap().clone();
        let o = tables.iter().find(|t| t["id"] == "oversight").unwrap();
        let row: Vec<u64> =
            o["rows"][0].as_array().unwrap().iter().map(|c| c["value"].as_u64().unwrap()).collect();
        assert_eq!(row, [1, 1, 2], "one mismatch, one lapsed duty, both resolved");

        // Device passwords: registered 15 Sep, due 180 days later (14 March 2027), on the
        // registry keepers' home from 28 February. Across the year end nothing is early.
        w.set_now("2027-02-27T12:00:00+09:00");
        let officer =
            renewed(&w, &w.user("handling_officer"), PASSWORD, "officer-rotated-2027-feb").await;
        assert!(!duty_tasks(&w, &officer).await.iter().any(|t| t.0 == "camera_password"));
        w.set_now("2027-02-28T12:00:00+09:00");
        let officer = login_as(&w, &officer, "officer-rotated-2027-feb").await;
        let o = duty_tasks(&w, &officer).await;
        let cams: Vec<&(String, String, String, String, bool)> =
            o.iter().filter(|t| t.0 == "camera_password").collect();
        assert_eq!(cams.len(), 2, "{o:?}");
        assert_eq!(cams[0].3, "2027-03-15T00:00:00+09:00");
        // A contractor operator cannot record it; the officer can, for one camera.
        let operator =
            renewed(&w, &w.user("operator"), PASSWORD, "operator-rotated-2027-feb").await;
        let (s, v) = w
            .api
            .post(
                "/api/v1/duties/camera_password/done",
                &operator,
                json!({ "subject": "camera:cam1", "note": "変更" }),
            )
            .await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("ASA-3.2c")), "{v}");
        let (s, v) = w
            .api
            .post(
                "/api/v1/duties/camera_password/done",
                &officer,
                json!({ "subject": "camera:nope", "note": "変更" }),
            )
            .await;
        assert_eq!(s, 422, "{v}");
        w.api.ok("/api/v1/duties/camera_password/done", &officer, json!({ "subject": "camera:cam1", "note": "保守業者立会いで変更（記録媒体を含む）" })).await;
        let o = duty_tasks(&w, &officer).await;
        let left: Vec<&String> =
            o.iter().filter(|t| t.0 == "camera_password").map(|t| &t.1).collect();
        assert_eq!(left, ["cam2"]);
        // The next change of cam1 is counted from today: due 27 August 2027.
        let (_, duties) = w.api.get("/api/v1/duties", &officer).await;
        let pw = duties.as_array().unwrap().iter().find(|d| d["id"] == "camera_password").unwrap();
        let next =
            pw["owed"].as_array().unwrap().iter().find(|o| o["subject"] == "camera:cam1").unwrap();
        assert_eq!(
            (next["period"].as_str(), next["standing"].as_str()),
            (Some("2027-08-27"), Some("not_yet"))
        );
    }
}

// rule: KAW-2.2.1, PROD-SIGNAGE-1, PROD-DUTY-5 — a lapsed sign check belongs to the group whose
// site it is: the other group neither sees nor closes it.
#[tokio::test]
async fn kawaguchi_sign_checks_stay_with_the_group_that_owns_the_site() {
    for backend in BACKENDS {
        let w = World::new("kawaguchi", backend, "2026-06-01T10:00:00+09:00").await;
        let (a, b) = (
            org(&w, "community", "本町一丁目町会").await,
            org(&w, "community", "栄町商店会").await,
        );
        let inst_a = member(&w, "inst_a", a, "installer", &w.admin).await;
        let inst_b = member(&w, "inst_b", b, "installer", &w.admin).await;
        let mgr_a = member(&w, "mgr_a", a, "manager", &inst_a).await;
        let mgr_b = member(&w, "mgr_b", b, "manager", &inst_b).await;
        camera(&w, &mgr_a, a, "HA", "ha1").await;
        camera(&w, &mgr_b, b, "SB", "sb1").await;
        // Group B checks its sign in September; group A never does.
        w.set_now("2026-08-20T10:00:00+09:00");
        let mgr_b = relogin(&w, &mgr_b).await;
        let (_, sites) = w.api.get("/api/v1/sites", &mgr_b).await;
        let sb = sites.as_array().unwrap().iter().find(|s| s["code"] == "SB").unwrap()["id"]
            .as_i64()
            .unwrap();
        let (s, v) =
            w.api.post(&format!("/api/v1/sites/{sb}/signage-check"), &mgr_b, json!({})).await;
        assert_eq!(s, 200, "{v}");
        // 180 days after 1 June is 28 November: A's sign is on A's home from 14 November.
        w.set_now("2026-11-20T10:00:00+09:00");
        let mgr_a = renewed(&w, &mgr_a, PASSWORD, "group-a-rotated-nov").await;
        let mgr_b = renewed(&w, &mgr_b, PASSWORD, "group-b-rotated-nov").await;
        let ta = duty_tasks(&w, &mgr_a).await;
        assert!(
            ta.iter().any(|t| t.0 == "signage_check" && t.1.starts_with("HA") && !t.4),
            "{ta:?}"
        );
        assert!(!duty_tasks(&w, &mgr_b).await.iter().any(|t| t.1.starts_with("HA")));
        // A sign check by hand is refused: the check itself records it.
        let (s, _) = w
            .api
            .post(
                "/api/v1/duties/signage_check/done",
                &mgr_a,
                json!({ "subject": "site:1", "note": "見た" }),
            )
            .await;
        assert_eq!(s, 422);
        // Sunday 29 November: lapsed.
        w.set_now("2026-11-29T00:00:00+09:00");
        let mgr_a = login_as(&w, &mgr_a, "group-a-rotated-nov").await;
        let mgr_b = login_as(&w, &mgr_b, "group-b-rotated-nov").await;
        assert!(sweep(&w).await >= 1);
        let ia = open_incidents(&w, &mgr_a).await;
        let ha: Vec<&Value> = ia
            .iter()
            .filter(|i| i["detail"]["label"].as_str().unwrap().starts_with("HA"))
            .collect();
        assert_eq!(ha.len(), 1, "{ia:?}");
        let ib = open_incidents(&w, &mgr_b).await;
        assert!(
            !ib.iter().any(|i| i["detail"]["label"].as_str().unwrap().starts_with("HA")),
            "{ib:?}"
        );
        let id = ha[0]["id"].as_i64().unwrap();
        let (s, _) = w
            .api
            .post(
                &format!("/api/v1/reconciliation/incidents/{id}/close"),
                &mgr_b,
                json!({ "note": "他団体" }),
            )
            .await;
        assert_eq!(s, 404, "another group's incident is not there for B");
        // A checks the sign (the duty is done) and closes the incident.
        let (_, sites) = w.api.get("/api/v1/sites", &mgr_a).await;
        let ha_id = sites.as_array().unwrap().iter().find(|s| s["code"] == "HA").unwrap()["id"]
            .as_i64()
            .unwrap();
        w.api.ok(&format!("/api/v1/sites/{ha_id}/signage-check"), &mgr_a, json!({})).await;
        assert!(!duty_tasks(&w, &mgr_a).await.iter().any(|t| t.1.starts_with("HA")));
        w.api
            .ok(
                &format!("/api/v1/reconciliation/incidents/{id}/close"),
                &mgr_a,
                json!({ "note": "表示板を点検、汚損なし" }),
            )
            .await;
        assert!(
            open_incidents(&w, &mgr_a)
                .await
                .iter()
                .all(|i| !i["detail"]["label"].as_str().unwrap().starts_with("HA"))
        );
    }
}

// rule: KIT-8, PROD-DUTY-4 — the yearly publication is owed after 31 March and done by
// publishing the ended year's report, which the public then reads without logging in, exactly as
// published (issue 19, item 8).
#[tokio::test]
async fn kitakyushu_yearly_publication_is_tracked() {
    for backend in BACKENDS {
        // Registered in March 2027 (the contract runs to 1 April 2027).
        let w = World::new("kitakyushu", backend, "2027-03-25T10:00:00+09:00").await;
        w.set_now("2027-03-31T23:00:00+09:00");
        let mgr = relogin(&w, &w.user("manager")).await;
        assert!(!duty_tasks(&w, &mgr).await.iter().any(|t| t.0 == "yearly_publication"));
        // FY2026 has not ended: its report cannot be published yet.
        let publish = |fy: i64, note: &str| json!({ "fiscal_year": fy, "note": note });
        let (s, v) = w.api.post("/api/v1/reports/annual/publish", &mgr, publish(2026, "")).await;
        assert_eq!((s.as_u16(), v["errors"][0]["code"].as_str()), (422, Some("fiscal_year_open")));
        // Thursday 1 April 2027: FY2026 has ended.
        w.set_now("2027-04-01T09:00:00+09:00");
        let mgr = relogin(&w, &mgr).await;
        let t = duty_tasks(&w, &mgr).await;
        let y: Vec<_> = t.iter().filter(|t| t.0 == "yearly_publication").collect();
        assert_eq!(y.len(), 1, "{t:?}");
        assert_eq!((y[0].2.as_str(), y[0].3.as_str()), ("FY2026", "2027-07-01T00:00:00+09:00"));
        // Nothing is published yet; the public list says so.
        let (s, v) = w.api.call("GET", "/api/v1/public/reports", None, None).await;
        assert_eq!((s.as_u16(), v["reports"].as_array().unwrap().len()), (200, 0));
        let (s, _) = w.api.call("GET", "/api/v1/public/reports/2026", None, None).await;
        assert_eq!(s, 404);
        // A handling officer does not publish, by the report or by a note.
        let officer = relogin(&w, &w.user("handling_officer")).await;
        let (s, _) =
            w.api.post("/api/v1/reports/annual/publish", &officer, publish(2026, "")).await;
        assert_eq!(s, 403);
        let (s, _) = w
            .api
            .post(
                "/api/v1/duties/yearly_publication/done",
                &mgr,
                json!({ "subject": "office", "period": "FY2026", "note": "掲載" }),
            )
            .await;
        assert_eq!(s, 422, "done by publishing the report, not by a note");
        let note = "市ウェブサイト「防犯カメラの運用状況」に令和8年度分を掲載";
        let first = w.api.ok("/api/v1/reports/annual/publish", &mgr, publish(2026, note)).await;
        assert_eq!(
            (first["fiscal_year"].as_i64(), first["version"].as_i64()),
            (Some(2026), Some(1))
        );
        assert!(!duty_tasks(&w, &mgr).await.iter().any(|t| t.0 == "yearly_publication"));
        let (_, duties) = w.api.get("/api/v1/duties", &mgr).await;
        let yp =
            duties.as_array().unwrap().iter().find(|d| d["id"] == "yearly_publication").unwrap();
        assert_eq!(
            (yp["done"][0]["period"].as_str(), yp["done"][0]["note"].as_str()),
            (Some("FY2026"), Some(note))
        );
        // The public reads it without logging in: the report as published, with its date.
        let (s, v) = w.api.call("GET", "/api/v1/public/reports/2026", None, None).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["version"], 1);
        assert_eq!(v["report"]["meta"]["fiscal_year"], 2026, "{v}");
        let live = w.api.get("/api/v1/reports/annual?fiscal_year=2026", &mgr).await.1;
        assert_eq!(v["report"]["tables"], live["tables"], "published as computed");
        // A correction is a second version; the public sees the newest.
        w.set_now("2027-04-02T09:00:00+09:00");
        let second =
            w.api.ok("/api/v1/reports/annual/publish", &mgr, publish(2026, "表の誤記を訂正")).await;
        assert_eq!(second["version"], 2);
        let (_, v) = w.api.call("GET", "/api/v1/public/reports", None, None).await;
        let list = v["reports"].as_array().unwrap();
        assert_eq!((list.len(), list[0]["version"].as_i64()), (1, Some(2)), "{v}");
        let audit = w.api.get("/api/v1/audit?action=report.publish", &w.admin).await.1;
        let outcomes: Vec<&str> =
            audit.as_array().unwrap().iter().map(|e| e["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["ok", "ok", "denied", "failed"], "refusals audited too: {audit}");
        // The rules document is public too: it names no person.
        let (s, doc) = w.api.call("GET", "/api/v1/public/rules-doc", None, None).await;
        assert_eq!(s, 200, "{doc}");
        assert!(!doc.to_string().contains(&mgr.login));
        // Nothing lapses that was done.
        w.set_now("2027-07-02T09:00:00+09:00");
        sweep(&w).await;
        let mgr = renewed(&w, &mgr, PASSWORD, "kit-manager-rotated-jul").await;
        assert!(
            open_incidents(&w, &mgr)
                .await
                .iter()
                .all(|i| i["detail"]["duty"] != "yearly_publication")
        );
    }
}

/// A fresh session for `u` (sessions end when the clock jumps).
async fn relogin(w: &World, u: &User) -> User {
    login_as(w, u, PASSWORD).await
}

async fn login_as(w: &World, u: &User, password: &str) -> User {
    let mut u = u.clone();
    let (s, v) = w.api.login(&u.login, password).await;
    assert_eq!(s, 200, "{v}");
    u.token = v["token"].as_str().unwrap().into();
    u
}

/// A fresh session for `u` after a jump past the 90-day password rotation: logs in with
/// `current` and changes the password to `new` (PROD-AUTH-2), as the holder would.
async fn renewed(w: &World, u: &User, current: &str, new: &str) -> User {
    let u = login_as(w, u, current).await;
    w.api
        .ok("/api/v1/me/password", &u, json!({ "current_password": current, "new_password": new }))
        .await;
    login_as(w, &u, new).await
}

/// The camera `code`'s id, as `who` sees the registry.
async fn camera_id(w: &World, who: &User, code: &str) -> i64 {
    let (_, cams) = w.api.get("/api/v1/cameras", who).await;
    cams.as_array().unwrap().iter().find(|c| c["code"] == code).unwrap()["id"].as_i64().unwrap()
}

// rule: NIS-2, NIS-6, PROD-RET-3, PROD-DUTY-6 — Nishiyodogawa's cameras keep their own
// footage and overwrite it: the cycle is recorded at commissioning, the oldest footage's day is
// checked at least every 30 days (on the operations chief's home), and an age outside 9–11
// days, either way, is an incident.
#[tokio::test]
async fn nishiyodogawa_cameras_holding_their_own_footage_are_checked() {
    for backend in BACKENDS {
        // Monday 2 November 2026.
        let w = World::new("nishiyodogawa", backend, "2026-11-02T10:00:00+09:00").await;
        let chief = w.user("operations_chief");
        let clerk = w.user("image_clerk");
        let cam1 = camera_id(&w, &chief, "cam1").await;
        let commission = |id: i64| format!("/api/v1/cameras/{id}/commission");
        // Commissioning asks for the camera's overwrite cycle, within the band.
        let (s, e) = w.api.post(&commission(cam1), &chief, json!({})).await;
        assert_eq!(
            (s.as_u16(), e["rule"].as_str(), e["errors"][0]["field"].as_str()),
            (422, Some("NIS-6"), Some("overwrite_cycle_days")),
            "{e}"
        );
        let (s, e) =
            w.api.post(&commission(cam1), &chief, json!({ "overwrite_cycle_days": 14 })).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("PROD-RET-3")), "{e}");
        let v = w.api.ok(&commission(cam1), &chief, json!({ "overwrite_cycle_days": 10 })).await;
        assert_eq!(v["overwrite_cycle_days"], 10);
        let (_, cams) = w.api.get("/api/v1/cameras", &chief).await;
        let c1 = cams.as_array().unwrap().iter().find(|c| c["id"] == cam1).unwrap();
        assert_eq!(c1["overwrite_cycle_days"], 10);
        let checks = |id: i64| format!("/api/v1/cameras/{id}/footage-checks");
        let body = |day: &str| json!({ "oldest_day": day, "note": "専用パソコンの取出しソフトで一覧を確認" });
        // Bad input: every field at fault in one answer, nothing recorded.
        let (s, e) =
            w.api.post(&checks(cam1), &chief, json!({ "oldest_day": "先週", "note": " " })).await;
        assert_eq!(s, 422, "{e}");
        let fields: Vec<&str> =
            e["errors"].as_array().unwrap().iter().filter_map(|x| x["field"].as_str()).collect();
        assert_eq!(fields, ["oldest_day", "note"], "{e}");
        // The image clerk does not keep the registry.
        let (s, _) = w.api.post(&checks(cam1), &clerk, body("2026-10-23")).await;
        assert_eq!(s, 403);

        // 30 days after registration (2 December) the check is due: on the chief's home from
        // 25 November.
        w.set_now("2026-11-26T09:00:00+09:00");
        let chief = relogin(&w, &chief).await;
        let t = duty_tasks(&w, &chief).await;
        assert!(has(&t, "camera_footage_check", "cam1"), "{t:?}");
        // Checked on Thursday 26 November: the oldest footage is from the 16th, 10 days old.
        let v = w.api.ok(&checks(cam1), &chief, body("2026-11-16")).await;
        assert_eq!(
            (v["age_days"].as_i64(), v["verdict"].as_str(), v["incident"].as_bool()),
            (Some(10), Some("within"), Some(false)),
            "{v}"
        );
        let t = duty_tasks(&w, &chief).await;
        assert!(!has(&t, "camera_footage_check", "cam1"), "done by the check: {t:?}");
        assert!(has(&t, "camera_footage_check", "cam2"), "cam2's is still owed: {t:?}");

        // Monday 4 January 2027, after the year-end closure: the camera has kept footage since
        // 22 December, 13 days — kept too long: an incident for the reviewers, audited.
        w.set_now("2027-01-04T09:00:00+09:00");
        let chief = relogin(&w, &chief).await;
        let v = w.api.ok(&checks(cam1), &chief, body("2026-12-22")).await;
        assert_eq!(
            (v["age_days"].as_i64(), v["verdict"].as_str(), v["rule"].as_str()),
            (Some(13), Some("too_old"), Some("PROD-RET-3")),
            "{v}"
        );
        assert_eq!(v["incident"], true);
        let mgr = relogin(&w, &w.user("manager")).await;
        let open = open_incidents(&w, &mgr).await;
        let drift: Vec<&Value> =
            open.iter().filter(|i| i["kind"] == "camera_footage_drift").collect();
        assert_eq!(drift.len(), 1, "{open:?}");
        assert_eq!(drift[0]["detail"]["camera"], "cam1");
        // Overwritten too early (8 days) the same day: one incident per camera and day.
        let v = w.api.ok(&checks(cam1), &chief, body("2026-12-27")).await;
        assert_eq!(
            (v["verdict"].as_str(), v["incident"].as_bool()),
            (Some("too_young"), Some(false))
        );
        let admin = relogin(&w, &w.admin).await;
        let (_, log) = w.api.get("/api/v1/audit?action=camera.footage_check", &admin).await;
        let outcomes: Vec<&str> =
            log.as_array().unwrap().iter().filter_map(|e| e["outcome"].as_str()).collect();
        assert!(outcomes.iter().filter(|o| **o == "failed").count() >= 2, "{outcomes:?}");
        let (_, list) = w.api.get(&checks(cam1), &chief).await;
        assert_eq!(list["checks"].as_array().unwrap().len(), 3, "{list}");
        assert_eq!(list["band"], json!([9, 11]));
    }
}

// rule: ASA-3.3c — where the recorder holds the footage, there is no camera cycle to record.
#[tokio::test]
async fn asahikawa_records_no_camera_overwrite_cycle() {
    let w = World::new("asahikawa", Backend::Sqlite, "2026-11-02T10:00:00+09:00").await;
    let reg = w.holder(policy::Permission::RegistryManage).clone();
    let cam1 = camera_id(&w, &reg, "cam1").await;
    let (s, e) = w
        .api
        .post(
            &format!("/api/v1/cameras/{cam1}/commission"),
            &reg,
            json!({ "overwrite_cycle_days": 10 }),
        )
        .await;
    assert_eq!((s.as_u16(), e["errors"][0]["field"].as_str()), (422, Some("overwrite_cycle_days")));
    w.api.ok(&format!("/api/v1/cameras/{cam1}/commission"), &reg, json!({})).await;
    let (s, _) = w
        .api
        .post(
            &format!("/api/v1/cameras/{cam1}/footage-checks"),
            &reg,
            json!({ "oldest_day": "2026-10-25", "note": "x" }),
        )
        .await;
    assert_eq!(s, 403);
}
