//! The two emergency paths through the HTTP API (SPEC.md §5), at real national holidays and the
//! year-end closure; the post-hoc filing; the monthly reconciliation.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::{Value, json};

fn order(executor: i64, from: &str, to: &str, outside: Option<&str>) -> Value {
    order_for("criminal_investigation", executor, from, to, outside)
}

fn order_for(purpose: &str, executor: i64, from: &str, to: &str, outside: Option<&str>) -> Value {
    let mut b = json!({
        "executor_account": executor, "cameras": ["cam1"], "from": from, "to": to,
        "purpose": purpose, "urgency_reason": "強盗致傷事件の被疑者が逃走中",
    });
    if let Some(r) = outside {
        b["outside_reason"] = json!(r);
    }
    b
}

/// `who`'s tasks about emergency order `id`: (action, due_at, overdue).
async fn order_tasks(w: &World, who: &User, id: i64) -> Vec<(String, Value, bool)> {
    let (s, v) = w.api.get("/api/v1/me/tasks", who).await;
    assert_eq!(s, 200, "{v}");
    v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["object"] == format!("emergency_order:{id}"))
        .map(|t| {
            (t["action"].as_str().unwrap().to_owned(), t["due_at"].clone(), t["overdue"] == true)
        })
        .collect()
}

/// What `who` can do with emergency order `id` now, as the API says (`actions`).
async fn actions_on(w: &World, who: &User, id: i64) -> Vec<String> {
    let all = orders(w, who).await;
    let o = all.iter().find(|o| o["id"] == id).expect("the order is listed");
    o["actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap().into()).collect()
}

async fn orders(w: &World, who: &User) -> Vec<Value> {
    let (s, v) = w.api.get("/api/v1/emergency/orders", who).await;
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

// rule: ASA-3.5b, ASA-3.5c
#[tokio::test]
async fn asahikawa_police_path_filing_and_reconciliation() {
    for backend in BACKENDS {
        // 勤労感謝の日 (Monday 23 Nov 2026), 11:00 — a national holiday, inside the window.
        let w = World::new("asahikawa", backend, "2026-11-23T11:00:00+09:00").await;
        let chief = w.user("police_image_manager");
        let operator = w.user("police_image_operator");
        let v = w
            .api
            .ok(
                "/api/v1/emergency/orders",
                &chief,
                order(operator.id, "2026-11-23T08:00:00+09:00", "2026-11-23T09:00:00+09:00", None),
            )
            .await;
        assert_eq!((v["in_window"].as_bool(), v["flagged"].as_bool()), (Some(true), Some(false)));
        assert_eq!(
            v["filing_due_at"], "2026-11-25T00:00:00+09:00",
            "end of the next office day (Tuesday)"
        );
        let first = v["id"].as_i64().unwrap();
        // Only on the PC lent to the station.
        let mut no_pc = operator.clone();
        no_pc.ws = None;
        let (s, e) = w
            .api
            .post(&format!("/api/v1/emergency/orders/{first}/extract"), &no_pc, json!({}))
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some("ASA-3.5b")));
        // The order waits on its executor's home, not on the orderer's.
        // With the instant the power lapses (the next start of office hours) as its deadline.
        assert_eq!(
            order_tasks(&w, &operator, first).await,
            [("extract".into(), json!("2026-11-24T08:45:00+09:00"), false)]
        );
        assert!(order_tasks(&w, &chief, first).await.is_empty());
        // The same answer on the order itself: only the named executor may carry it out.
        assert_eq!(actions_on(&w, &operator, first).await, ["extract"]);
        assert!(actions_on(&w, &chief, first).await.is_empty());
        w.api.ok(&format!("/api/v1/emergency/orders/{first}/extract"), &operator, json!({})).await;
        assert_eq!(actions_on(&w, &chief, first).await, ["file"]);
        assert!(actions_on(&w, &operator, first).await.is_empty(), "carried out once");
        // The emergency page's one answer (issue 23, item 6) is each part as its own endpoint
        // gives it to the same person.
        for who in [&chief, &operator, &w.user("manager")] {
            let (s, desk) = w.api.get("/api/v1/emergency", who).await;
            assert_eq!(s, 200, "{backend:?} {desk}");
            assert_eq!(desk["orders"], Value::from(orders(&w, who).await), "{backend:?}");
            let (_, cams) = w.api.get("/api/v1/cameras", who).await;
            assert_eq!(desk["cameras"], cams);
            let (s, ex) = w.api.get("/api/v1/emergency/executors", who).await;
            match s.as_u16() {
                200 => assert_eq!(desk["executors"], ex),
                _ => assert_eq!(desk["executors"], json!([]), "{backend:?}"),
            }
        }
        let (_, desk) = w.api.get("/api/v1/emergency", &operator).await;
        let made = desk["packages"].as_array().unwrap();
        assert_eq!(made.len(), 1, "{desk}");
        assert_eq!(made[0]["order"], first);
        let x = orders(&w, &operator).await.iter().find(|o| o["id"] == first).unwrap().clone();
        let (_, own) = w
            .api
            .get(&format!("/api/v1/extractions/{}/packages", x["extraction_id"]), &operator)
            .await;
        // (No recorder in this world: the extraction is on record, its package list empty.)
        assert_eq!((&made[0]["packages"], own["extraction"].is_i64()), (&own["packages"], true));
        let (_, desk) = w.api.get("/api/v1/emergency", &chief).await;
        assert_eq!(desk["packages"], json!([]), "the chief carried out none");
        // Then the filing waits on the chief's home, with its deadline (遅滞なく).
        assert_eq!(
            order_tasks(&w, &chief, first).await,
            [("file".into(), json!("2026-11-25T00:00:00+09:00"), false)]
        );
        assert!(order_tasks(&w, &operator, first).await.is_empty());

        // Tuesday 11:00, an open office day: refused.
        w.set_now("2026-11-24T11:00:00+09:00");
        let (s, e) = w
            .api
            .post(
                "/api/v1/emergency/orders",
                &chief,
                order(
                    operator.id,
                    "2026-11-24T08:00:00+09:00",
                    "2026-11-24T09:00:00+09:00",
                    Some("急ぎ"),
                ),
            )
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some("ASA-3.5b")), "{e}");
        // The same Tuesday at 06:30 (早朝): allowed. Extracted, never filed.
        w.set_now("2026-11-24T06:30:00+09:00");
        let v = w
            .api
            .ok(
                "/api/v1/emergency/orders",
                &chief,
                order(operator.id, "2026-11-24T05:00:00+09:00", "2026-11-24T06:00:00+09:00", None),
            )
            .await;
        let unfiled = v["id"].as_i64().unwrap();
        w.api
            .ok(&format!("/api/v1/emergency/orders/{unfiled}/extract"), &operator, json!({}))
            .await;

        // Wednesday 09:00: the first filing is overdue — a reminder to the manager.
        w.set_now("2026-11-25T09:00:00+09:00");
        let mgr = w.user("manager");
        let all = orders(&w, &mgr).await;
        let o = all.iter().find(|o| o["id"] == first).unwrap();
        assert_eq!(o["follow_up_due"], true);
        assert_eq!(
            order_tasks(&w, &chief, first).await,
            [("file".into(), json!("2026-11-25T00:00:00+09:00"), true)],
            "overdue on the chief's home"
        );
        // rule: PROD-FILING-1 — a late filing says why; without the reason it is refused and
        // nothing is filed.
        let (s, e) = w
            .api
            .post(
                &format!("/api/v1/emergency/orders/{first}/file"),
                &chief,
                json!({ "form": "application", "reference": "旭中署第123号" }),
            )
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (422, Some("PROD-FILING-1")), "{e}");
        assert_eq!(e["errors"][0]["field"], "delay_reason", "{e}");
        assert_eq!(actions_on(&w, &chief, first).await, ["file"], "still to file");
        let v = w
            .api
            .ok(
                &format!("/api/v1/emergency/orders/{first}/file"),
                &chief,
                json!({ "form": "application", "reference": "旭中署第123号", "delay_reason": "事件対応のため提出が遅れた" }),
            )
            .await;
        // The 申請書 goes to the city's manager (管理責任者に申請書を提出): the order waits for
        // the manager's receipt, which enters it in the usage ledger and closes it (issue 15).
        assert_eq!(v["state"], "filed", "filed, not yet received");
        assert_eq!(
            (
                v["follow_up_due"].as_bool(),
                v["filed_late"].as_bool(),
                v["prompt_delay_reason"].as_bool()
            ),
            (Some(false), Some(true), Some(false)),
            "late, with its reason on record"
        );
        assert_eq!(v["delay_reason"], "事件対応のため提出が遅れた");
        assert!(v["ledger_entry"].is_null(), "{v}");
        assert!(actions_on(&w, &chief, first).await.is_empty());
        assert_eq!(actions_on(&w, &mgr, first).await, ["ledger"]);
        assert_eq!(order_tasks(&w, &mgr, first).await.len(), 1, "on the manager's home");
        let v =
            w.api.ok(&format!("/api/v1/emergency/orders/{first}/ledger"), &mgr, json!({})).await;
        assert_eq!(v["state"], "closed", "received: closed");
        assert_eq!(v["ledger_entry"]["form"], "usage_ledger");
        assert!(actions_on(&w, &mgr, first).await.is_empty());
        // Once on record, the reason is not rewritten (issue 16, L11).
        let (s, _) = w
            .api
            .post(
                &format!("/api/v1/emergency/orders/{first}/delay-reason"),
                &chief,
                json!({ "reason": "書き換え" }),
            )
            .await;
        assert_eq!(s, 409);

        // Year-end closure: Wednesday 30 Dec at 14:00 is inside the window.
        w.set_now("2026-12-30T14:00:00+09:00");
        let mut w = w;
        let chief = w.relogin("police_image_manager").await;
        let operator = w.relogin("police_image_operator").await;
        let mgr = w.relogin("manager").await;
        w.api
            .ok(
                "/api/v1/emergency/orders",
                &chief,
                order(operator.id, "2026-12-30T10:00:00+09:00", "2026-12-30T11:00:00+09:00", None),
            )
            .await;

        // December: the station submits November's save history (listing only the first order).
        let ws_id = {
            let wsm = mgr.clone();
            let (_, list) = w.api.get("/api/v1/workstations", &wsm).await;
            list.as_array().unwrap().iter().find(|x| x["placement"] == "police").unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        w.api
            .ok("/api/v1/reconciliation/histories", &chief, json!({ "workstation_id": ws_id, "month": "2026-11", "items": [{ "extracted_at": "2026-11-23T11:02:00+09:00", "camera": "cam1" }] }))
            .await;
        // Reconciling a month that has not ended is refused.
        let (s, _) =
            w.api.post("/api/v1/reconciliation/run", &mgr, json!({ "month": "2026-12" })).await;
        assert_eq!(s, 422);
        let v = w.api.ok("/api/v1/reconciliation/run", &mgr, json!({ "month": "2026-11" })).await;
        let kinds: Vec<&str> =
            v["opened"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"unfiled"), "{v:#}");
        assert!(
            kinds.contains(&"not_in_history"),
            "the unfiled extraction is missing from the history too: {v:#}"
        );
        assert!(!kinds.contains(&"missing_submission"));
        // January: nobody submitted December's history.
        w.set_now("2027-01-05T10:00:00+09:00");
        let mgr = w.relogin("manager").await;
        let v = w.api.ok("/api/v1/reconciliation/run", &mgr, json!({ "month": "2026-12" })).await;
        let kinds: Vec<&str> =
            v["opened"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"missing_submission"), "{v:#}");
        // Running again opens nothing new; the manager closes an incident with a note.
        let again =
            w.api.ok("/api/v1/reconciliation/run", &mgr, json!({ "month": "2026-12" })).await;
        assert_eq!(again["opened"].as_array().unwrap().len(), 0);
        let (_, incidents) = w.api.get("/api/v1/reconciliation/incidents", &mgr).await;
        let id = incidents[0]["id"].as_i64().unwrap();
        let (s, _) = w
            .api
            .post(
                &format!("/api/v1/reconciliation/incidents/{id}/close"),
                &mgr,
                json!({ "note": " " }),
            )
            .await;
        assert_eq!(s, 422, "a note is required");
        w.api
            .ok(
                &format!("/api/v1/reconciliation/incidents/{id}/close"),
                &mgr,
                json!({ "note": "署長に確認、提出予定" }),
            )
            .await;
    }
}

// rule: NIS-10.2, NIS-11.1, NIS-11.2, NIS-11.3
#[tokio::test]
async fn nishiyodogawa_agency_path_with_delegation_reason_and_form_1() {
    for backend in BACKENDS {
        // 23 Nov 2026 22:00, a holiday night.
        let w = World::new("nishiyodogawa", backend, "2026-11-23T22:00:00+09:00").await;
        let head = w.user("agency_head");
        let staff = w.user("agency_staff");
        let mgr = w.user("manager");
        let body = order_for(
            "crime_response",
            staff.id,
            "2026-11-23T20:00:00+09:00",
            "2026-11-23T21:00:00+09:00",
            None,
        );
        let (s, e) = w.api.post("/api/v1/emergency/orders", &head, body.clone()).await;
        assert_eq!(
            (s.as_u16(), e["rule"].as_str()),
            (403, Some("NIS-10.2")),
            "no delegation yet: {e}"
        );
        w.api
            .ok(
                "/api/v1/delegations",
                &mgr,
                json!({ "organisation_id": head.org, "document_ref": "西淀確認第5号" }),
            )
            .await;
        let v = w.api.ok("/api/v1/emergency/orders", &head, body).await;
        assert_eq!(v["flagged"], false);
        let night = v["id"].as_i64().unwrap();
        // Carried out the same night: by Tuesday 09:00 (office hours) the power has lapsed.
        w.api.ok(&format!("/api/v1/emergency/orders/{night}/extract"), &staff, json!({})).await;
        // Tuesday 10:00: outside the window — a written reason is mandatory, and flagged.
        w.set_now("2026-11-24T10:00:00+09:00");
        let (s, e) = w
            .api
            .post(
                "/api/v1/emergency/orders",
                &head,
                order_for(
                    "crime_response",
                    staff.id,
                    "2026-11-24T08:00:00+09:00",
                    "2026-11-24T09:00:00+09:00",
                    None,
                ),
            )
            .await;
        assert_eq!(s, 422);
        assert_eq!(e["errors"][0]["field"], "outside_reason");
        let v = w
            .api
            .ok(
                "/api/v1/emergency/orders",
                &head,
                order_for(
                    "crime_response",
                    staff.id,
                    "2026-11-24T08:00:00+09:00",
                    "2026-11-24T09:00:00+09:00",
                    Some("被疑者の逃走経路の確認が急を要する"),
                ),
            )
            .await;
        assert_eq!((v["in_window"].as_bool(), v["flagged"].as_bool()), (Some(false), Some(true)));
        let all = orders(&w, &mgr).await;
        assert!(all.iter().any(|o| o["flagged"] == true), "the manager sees the flagged order");

        // rule: PROD-EMERG-1 — the flagged order is the manager's to review: on the manager's
        // home until the review is recorded with a note, once; no one else records it.
        let flagged = v["id"].as_i64().unwrap();
        assert_eq!(actions_on(&w, &mgr, flagged).await, ["review_flag"]);
        let tasks = order_tasks(&w, &mgr, flagged).await;
        assert_eq!(tasks.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(), ["review_flag"]);
        assert!(
            actions_on(&w, &mgr, night).await.is_empty(),
            "an order in the window is not flagged"
        );
        assert!(order_tasks(&w, &head, flagged).await.is_empty());
        let review = format!("/api/v1/emergency/orders/{flagged}/review-flag");
        let (s, e) = w.api.post(&review, &head, json!({ "note": "確認" })).await;
        assert_eq!(s, 403, "the orderer does not review his own order: {e}");
        let (s, e) = w.api.post(&review, &mgr, json!({ "note": " " })).await;
        assert_eq!((s.as_u16(), e["errors"][0]["field"].as_str()), (422, Some("note")), "{e}");
        let (s, e) = w
            .api
            .post(
                &format!("/api/v1/emergency/orders/{night}/review-flag"),
                &mgr,
                json!({ "note": "x" }),
            )
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (409, Some("PROD-EMERG-1")), "{e}");
        let r =
            w.api.ok(&review, &mgr, json!({ "note": "平日だが被疑者逃走中で妥当と認める" })).await;
        assert_eq!(
            (r["flag_reviewed_by"].as_i64(), r["flag_reviewed_at"].as_str()),
            (Some(mgr.id), Some("2026-11-24T10:00:00+09:00")),
            "{r}"
        );
        assert_eq!(r["flag_review_note"], "平日だが被疑者逃走中で妥当と認める");
        assert!(order_tasks(&w, &mgr, flagged).await.is_empty(), "reviewed: off the home page");
        let (s, e) = w.api.post(&review, &mgr, json!({ "note": "再確認" })).await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (409, Some("PROD-EMERG-1")), "once: {e}");
        // Every attempt is in the audit trail; the one review recorded, with its note.
        let (_, log) = w.api.get("/api/v1/audit?action=emergency.flag_review", &w.admin).await;
        let log = log.as_array().unwrap();
        assert_eq!(log.len(), 5, "{log:?}");
        let ok: Vec<_> = log.iter().filter(|e| e["outcome"] == "ok").collect();
        assert_eq!(ok.len(), 1, "{log:?}");
        assert_eq!(ok[0]["object"], format!("emergency_order:{flagged}"));
        assert_eq!(ok[0]["detail"]["note"], "平日だが被疑者逃走中で妥当と認める");

        // Filing with form 3 keeps the order open until the image clerk writes form 1 (NIS-11.2).
        let (s, _) = w
            .api
            .post(
                &format!("/api/v1/emergency/orders/{night}/file"),
                &head,
                json!({ "form": "form2", "reference": "x" }),
            )
            .await;
        assert_eq!(s, 422, "form 2 is not a filing form for the emergency path");
        let v = w
            .api
            .ok(
                &format!("/api/v1/emergency/orders/{night}/file"),
                &head,
                json!({ "form": "form3", "reference": "西淀署緊急第7号" }),
            )
            .await;
        assert_eq!(
            (v["state"].as_str(), v["needs_ledger"].as_bool(), v["follow_up_due"].as_bool()),
            (Some("filed"), Some(true), Some(false))
        );
        let clerk = w.user("image_clerk");
        // rule: NIS-11.2 — what each can do with the filed order is the API's `actions`, from
        // `policy`: the clerk enters it; the head, who filed it, has nothing more to do.
        assert_eq!(actions_on(&w, &clerk, night).await, ["ledger"]);
        assert!(actions_on(&w, &head, night).await.is_empty());
        assert_eq!(order_tasks(&w, &clerk, night).await.len(), 1, "the clerk's task");
        let (s, _) =
            w.api.post(&format!("/api/v1/emergency/orders/{night}/ledger"), &head, json!({})).await;
        assert_eq!(s, 403, "only the image clerk writes form 1");
        let v = w
            .api
            .ok(
                &format!("/api/v1/emergency/orders/{night}/ledger"),
                &clerk,
                json!({ "data_hashes": ["blake3:ff"] }),
            )
            .await;
        // rule: NIS-11.2 — entered in form 1, the order stays open until the clerk has
        // reported it to the operations chief; the report is a step with a person and a time.
        assert_eq!(
            (v["state"].as_str(), v["ledger_entry"]["form"].as_str(), v["needs_report"].as_bool()),
            (Some("ledgered"), Some("form1"), Some(true))
        );
        assert_eq!(actions_on(&w, &clerk, night).await, ["report"], "entered once; report next");
        assert_eq!(order_tasks(&w, &clerk, night).await.len(), 1, "the report is the clerk's task");
        let chief = w.user("operations_chief");
        let (s, e) = w
            .api
            .post(&format!("/api/v1/emergency/orders/{night}/report"), &chief, json!({}))
            .await;
        assert_eq!(s, 403, "the chief receives the report, he does not make it: {e}");
        let (s, e) =
            w.api.post(&format!("/api/v1/emergency/orders/{night}/report"), &head, json!({})).await;
        assert_eq!(s, 403, "{e}");
        let v =
            w.api.ok(&format!("/api/v1/emergency/orders/{night}/report"), &clerk, json!({})).await;
        assert_eq!(
            (v["state"].as_str(), v["reported_by"].as_i64(), v["reported_at"].as_str()),
            (Some("closed"), Some(clerk.id), Some("2026-11-24T10:00:00+09:00"))
        );
        assert!(actions_on(&w, &clerk, night).await.is_empty(), "reported once");
        assert!(order_tasks(&w, &clerk, night).await.is_empty());
        let (s, e) = w
            .api
            .post(&format!("/api/v1/emergency/orders/{night}/report"), &clerk, json!({}))
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (409, Some("NIS-11.2")), "{e}");
        let (s, e) = w
            .api
            .post(
                &format!("/api/v1/emergency/orders/{night}/ledger"),
                &clerk,
                json!({ "data_hashes": ["blake3:ff"] }),
            )
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (409, Some("NIS-11.2")), "{e}");

        // December: no November history was submitted; the reconciliation says so.
        w.set_now("2026-12-02T10:00:00+09:00");
        let v = w.api.ok("/api/v1/reconciliation/run", &mgr, json!({ "month": "2026-11" })).await;
        let kinds: Vec<&str> =
            v["opened"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"missing_submission"), "{v:#}");
    }
}
