//! For each of the five profiles, the whole footage workflow through the HTTP API — request →
//! (relay) → decision → instruction chain → extraction → (report) → ledger — with that profile's
//! roles and documents, on SQLite and PostgreSQL, restarting the server between steps.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use policy::Permission;
use serde_json::json;

const NOW: &str = "2026-11-24T10:00:00+09:00"; // a Tuesday, office hours

/// What `u` must do now about request `id`, from `GET /api/v1/me/tasks`: `kind:action` each.
async fn todo(w: &World, u: &User, id: i64) -> Vec<String> {
    let (s, v) = w.api.get("/api/v1/me/tasks", u).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["count"].as_u64().unwrap() as usize, v["tasks"].as_array().unwrap().len());
    v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["href"] == format!("/requests/{id}"))
        .map(|t| format!("{}:{}", t["kind"].as_str().unwrap(), t["action"].as_str().unwrap()))
        .collect()
}

async fn full_flow(profile_id: &str, backend: Backend) {
    let w = World::new(profile_id, backend, NOW).await;
    let p = w.profile.clone();
    // The most demanding basis: reviewed, with documents.
    let with_docs = |b: &&policy::profile::LegalBasis| {
        b.review && !(b.documents.is_empty() && b.documents_any_of.is_empty())
    };
    let basis = p.bases.iter().find(with_docs).unwrap_or(&p.bases[0]).clone();
    let requester = w.user(&p.workflow.requested_by[0]);
    let (_, me) = w.api.get("/api/v1/me", &requester).await;
    let requester_role = p.role(&p.workflow.requested_by[0]).unwrap();
    assert_eq!(me["roles"][0]["name_ja"], requester_role.name_ja.as_str(), "{profile_id}");
    let r = w
        .api
        .ok(
            "/api/v1/requests",
            &requester,
            json!({
                "basis": basis.id, "purpose": p.purposes.last().unwrap().id, "recipient": "中央警察署 刑事課",
                "case_summary": "11月23日発生の窃盗事件", "documents": documents(&w, &basis),
                "cameras": ["cam1", "cam2"], "from": "2026-11-23T09:00:00+09:00", "to": "2026-11-23T10:00:00+09:00"
            }),
        )
        .await;
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["state"], "submitted");
    assert!(r["number"].as_str().unwrap().starts_with(&format!("{}-2026-", p.profile.rule_prefix)));

    let w = w.restart().await;
    let decider = w.user(&p.workflow.reviewed_by[0]);
    // Each step is on the home of whoever must take it, and on nobody else's (issue 19).
    if let Some(relay) = p.workflow.relayed_by.first() {
        // rule: SAK-M — the city relays police requests to the facility's manager; the
        // manager has nothing to decide until then.
        assert_eq!(todo(&w, &w.user(relay), id).await, ["request:relay"], "{profile_id}");
        assert!(todo(&w, &decider, id).await.is_empty(), "{profile_id}");
        let v = w.api.ok(&format!("/api/v1/requests/{id}/relay"), &w.user(relay), json!({})).await;
        assert_eq!(v["state"], "relayed");
    }
    assert!(todo(&w, &decider, id).await.contains(&"request:decide".to_owned()), "{profile_id}");
    assert!(
        todo(&w, &requester, id).await.is_empty(),
        "{profile_id}: the requester decides nothing"
    );
    let v = w.api.ok(&format!("/api/v1/requests/{id}/approve"), &decider, json!({})).await;
    assert_eq!(v["state"], "approved");
    if p.workflow.certificate_form.is_some() {
        // rule: ASA-3.4c — a numbered 承認書.
        assert_eq!(v["certificate_number"], "2026-0001", "{profile_id}");
        let (s, cert) = w.api.get(&format!("/api/v1/requests/{id}/certificate"), &requester).await;
        assert_eq!(s, 200);
        assert_eq!(cert["form"]["name_ja"], "承認書");
        // Printed in the city's document-number style (issue 18 item 6).
        assert_eq!(cert["document_number"], "旭交防第1号", "{cert}");
    }

    let w = w.restart().await;
    let chain = &p.workflow.chain;
    let issuer = w.user(&chain[0].roles[0]);
    assert!(todo(&w, &issuer, id).await.contains(&"request:instruct".to_owned()), "{profile_id}");
    let mut ins = w.api.ok("/api/v1/instructions", &issuer, json!({ "request_id": id, "to_account": w.user(&chain[1].roles[0]).id, "note": "cam1, cam2 の9時台" })).await;
    assert!(!todo(&w, &issuer, id).await.contains(&"request:instruct".to_owned()));
    for step in 1..chain.len() - 1 {
        // rule: NIS-9.2 — the operations chief passes the instruction to the image clerk.
        let holder = w.user(&chain[step].roles[0]);
        assert_eq!(todo(&w, &holder, id).await, ["instruction:pass_on"], "{profile_id}");
        assert_eq!(instruction_actions(&w, &holder, id).await, ["pass_on"], "{profile_id}");
        assert!(instruction_actions(&w, &issuer, id).await.is_empty(), "{profile_id}");
        ins = w
            .api
            .ok(
                &format!("/api/v1/instructions/{}/relay", ins["id"]),
                &holder,
                json!({ "to_account": w.user(&chain[step + 1].roles[0]).id }),
            )
            .await;
    }
    let extractor = w.user(&chain[chain.len() - 1].roles[0]);
    assert!(
        todo(&w, &extractor, id).await.contains(&"instruction:extract".to_owned()),
        "{profile_id}"
    );
    // The request page offers the extractor the extraction, and no one else anything.
    assert_eq!(instruction_actions(&w, &extractor, id).await, ["extract"], "{profile_id}");
    assert!(instruction_actions(&w, &decider, id).await.is_empty(), "{profile_id}");
    if p.central_room.is_some() {
        // rule: KIT-5.5 — the central room's terminal works only for a person whose entry is on
        // record: refused first, then after the entry.
        let (s, e) = w
            .api
            .post(&format!("/api/v1/instructions/{}/extract", ins["id"]), &extractor, json!({}))
            .await;
        assert_eq!((s.as_u16(), e["rule"].as_str()), (403, Some("KIT-5.5")), "{e}");
        w.api.ok("/api/v1/room-entries", &extractor, json!({ "purpose": "画像の抽出" })).await;
    }
    let ex = w
        .api
        .ok(
            &format!("/api/v1/instructions/{}/extract", ins["id"]),
            &extractor,
            json!({ "package_id": "pkg-1", "manifest_hash": "ab12" }),
        )
        .await;
    let extraction = ex["extraction"]["id"].as_i64().unwrap();

    let w = w.restart().await;
    let writer = w.user(&p.workflow.ledger_written_by[0]);
    if p.workflow.report_to.is_some() {
        // rule: NIS-9.3 — the clerk reports to the operations chief before the form-1 entry.
        assert_eq!(todo(&w, &extractor, id).await, ["request:report"], "{profile_id}");
        w.api.ok(&format!("/api/v1/extractions/{extraction}/report"), &extractor, json!({})).await;
    }
    assert!(todo(&w, &writer, id).await.contains(&"request:ledger".to_owned()), "{profile_id}");
    // rule: LEDGER-1, KIT-6.3 — the entry records when the data were handed over (提供日時):
    // without it, with a date only, before the extraction or ahead of time, it is refused
    // citing the ledger form's rule, and the request stays open.
    let form_rule = p.form(&p.workflow.ledger_form).unwrap().rule.to_string();
    let now = w.srv.clock.now();
    let hour = jiff::SignedDuration::from_hours(1);
    for (handed, why) in [
        (None, "missing"),
        (Some(policy::jst::rfc3339(now - hour)), "before the extraction"),
        (Some(policy::jst::rfc3339(now + hour)), "ahead of time"),
    ] {
        let mut body = json!({ "request_id": id, "data_hashes": ["blake3:0011"] });
        if let Some(h) = handed {
            body["handed_over_at"] = json!(h);
        }
        let (s, v) = w.api.post("/api/v1/ledger", &writer, body).await;
        assert_eq!(
            (s.as_u16(), v["rule"].as_str()),
            (422, Some(form_rule.as_str())),
            "{profile_id} {why}: {v}"
        );
        assert_eq!(v["errors"][0]["field"], "handed_over_at", "{v}");
    }
    let (s, v) = w
        .api
        .post(
            "/api/v1/ledger",
            &writer,
            json!({ "request_id": id, "handed_over_at": "2026-11-24" }),
        )
        .await;
    assert_eq!(s, 422, "a date without its time: {v}");
    assert!(
        todo(&w, &writer, id).await.contains(&"request:ledger".to_owned()),
        "{profile_id}: still open"
    );
    let entry = w.api.ok("/api/v1/ledger", &writer, json!({ "request_id": id, "handed_over_at": policy::jst::rfc3339(now), "data_hashes": ["blake3:0011"] })).await;
    assert_eq!(entry["handover_date"], policy::jst::rfc3339(now), "{profile_id}");
    assert_eq!(entry["form"], p.workflow.ledger_form.as_str());
    for u in [&requester, &decider, &issuer, &extractor, &writer] {
        assert!(
            todo(&w, u, id).await.is_empty(),
            "{profile_id}: a closed request is no one's task"
        );
    }

    let w = w.restart().await;
    // rule: LEDGER-1 — every field present.
    let reader = w.holder(Permission::LedgerRead).clone();
    let (_, ledger) = w.api.get("/api/v1/ledger", &reader).await;
    let l = &ledger[0];
    for field in [
        "instruction_id",
        "instruction_issuer",
        "operator_id",
        "cameras",
        "from",
        "to",
        "extracted_at",
        "workstation_id",
        "request_ref",
        "basis",
        "purpose",
        "recipient",
        "handover_date",
        "data_hashes",
    ] {
        assert!(!l[field].is_null(), "{profile_id}: ledger lacks {field}: {l:#}");
    }
    assert_eq!(l["cameras"], json!(["cam1", "cam2"]));
    assert!(
        l["request_ref"].as_str().unwrap().contains("-2026-17"),
        "the documents' references are recorded"
    );
    let (_, r) = w.api.get(&format!("/api/v1/requests/{id}"), &decider).await;
    assert_eq!(r["state"], "closed", "{profile_id}");
    // The case file (issue 19, item 6): who applied, each step with who and when, in order, and
    // until when the footage exists.
    assert_eq!(r["applicant"]["id"], requester.id, "{profile_id}");
    assert!(!r["applicant"]["organisation"].as_str().unwrap().is_empty());
    let steps: Vec<&str> =
        r["timeline"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    let chain = p.workflow.chain.len();
    let mut want = vec!["submitted"];
    if !p.workflow.relayed_by.is_empty() {
        want.push("relayed");
    }
    want.push("approved");
    want.extend(std::iter::repeat_n("instructed", chain.saturating_sub(1).max(1)));
    want.push("extracted");
    if p.workflow.report_to.is_some() {
        want.push("reported");
    }
    want.push("ledgered");
    assert_eq!(steps, want, "{profile_id}: {:#}", r["timeline"]);
    let approved =
        r["timeline"].as_array().unwrap().iter().find(|s| s["kind"] == "approved").unwrap();
    assert_eq!(approved["by"]["id"], decider.id);
    assert_eq!(approved["note"], r["certificate_number"]);
    let ledgered = r["timeline"].as_array().unwrap().last().unwrap();
    assert_eq!(ledgered["by"]["id"], writer.id);
    assert!(r["footage"]["erased_at"].as_str().unwrap().ends_with("T00:00:00+09:00"), "{r:#}");
    assert_eq!(r["footage"]["rule"], p.retention.rule.to_string());
    // The audit chain holds every step, and verifies.
    let auditor = w.holder(Permission::AuditRead).clone();
    let (_, v) = w.api.get("/api/v1/audit/verify", &auditor).await;
    assert_eq!(v["ok"], true, "{profile_id}: {v:#}");
    let (_, log) = w.api.get("/api/v1/audit?action=footage.extract", &auditor).await;
    let e = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["outcome"] == "ok")
        .expect("the extraction is audited");
    assert_eq!(
        e["workstation"].as_str().map(|s| s.starts_with("PC-")),
        Some(true),
        "with the workstation"
    );
}

/// What `who` can do now with the instructions of request `id`, as the API says (`actions`).
async fn instruction_actions(w: &World, who: &User, id: i64) -> Vec<String> {
    let (s, r) = w.api.get(&format!("/api/v1/requests/{id}"), who).await;
    if s != 200 {
        return Vec::new();
    }
    r["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["actions"].as_array().unwrap().iter())
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn asahikawa_application_certificate_instruction_usage_ledger() {
    for b in BACKENDS {
        full_flow("asahikawa", b).await;
    }
}

#[tokio::test]
async fn kawaguchi_warrant_or_inquiry_to_provision_record() {
    for b in BACKENDS {
        full_flow("kawaguchi", b).await;
    }
}

#[tokio::test]
async fn kitakyushu_inquiry_letter_review_to_provision_record() {
    for b in BACKENDS {
        full_flow("kitakyushu", b).await;
    }
}

#[tokio::test]
async fn saku_written_request_relayed_by_the_city() {
    for b in BACKENDS {
        full_flow("saku", b).await;
    }
}

#[tokio::test]
async fn nishiyodogawa_three_link_chain_with_report_and_form_1() {
    for b in BACKENDS {
        full_flow("nishiyodogawa", b).await;
    }
}
