//! Accounts and the other records of the governance core: TOTP, time-boxed designations,
//! workstation revocation, holds, management viewings, segregation of duties, internal use.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

const NOW: &str = "2026-11-24T10:00:00+09:00";

#[tokio::test]
async fn totp_enrolment_makes_the_code_mandatory() {
    let w = World::new("saku", Backend::Sqlite, NOW).await;
    let u = w.user("facility_staff");
    // A bare session cannot start (or replace) TOTP: the password is asked again (ASVS, M4).
    let (s, _) =
        w.api.post("/api/v1/me/totp", &u, json!({ "password": "not-my-password-1" })).await;
    assert_eq!(s, 422);
    let v = w.api.ok("/api/v1/me/totp", &u, json!({ "password": PASSWORD })).await;
    assert!(v["otpauth_url"].as_str().unwrap().starts_with("otpauth://totp/"));
    let secret = Secret::Encoded(v["secret"].as_str().unwrap().into()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, secret).unwrap();
    let at = (w.srv.clock.now_ms() / 1000) as u64;
    let (s, _) = w.api.post("/api/v1/me/totp/confirm", &u, json!({ "code": "000000" })).await;
    assert_eq!(s, 422);
    w.api.ok("/api/v1/me/totp/confirm", &u, json!({ "code": totp.generate(at) })).await;
    let (s, v) = w.api.login(&u.login, PASSWORD).await;
    assert_eq!(s, 401, "{v}");
    // The code used to confirm is spent (a TOTP step is accepted once, L2): the next one logs in.
    let with = |code: String| json!({ "login": u.login, "password": PASSWORD, "totp": code, "session": "bearer" });
    let (s, _) =
        w.api.call("POST", "/api/v1/auth/login", None, Some(with(totp.generate(at)))).await;
    assert_eq!(s, 401, "a code is used once");
    w.srv.clock.set(w.srv.clock.now() + jiff::SignedDuration::from_secs(30));
    let (s, _) =
        w.api.call("POST", "/api/v1/auth/login", None, Some(with(totp.generate(at + 30)))).await;
    assert_eq!(s, 200);
    let (s, v) =
        w.api.call("POST", "/api/v1/auth/login", None, Some(with(totp.generate(at + 30)))).await;
    assert_eq!(s, 401, "replayed: {v}");

    // ASVS V6.4 (issue 16, M9): the database holds the seed sealed with the server's key — a
    // copy of the database does not give the second factor away.
    let b32 = v_secret(&w, u.id).await;
    let plain = totp.get_secret_base32();
    assert!(b32.starts_with("v1:") && !b32.contains(&plain), "{b32}");
    // A seed an earlier version stored in clear is sealed at the next start and still works.
    w.srv.state.db.set_totp(u.id, Some(&plain), true).await.unwrap();
    let w = w.restart().await;
    let resealed = v_secret(&w, u.id).await;
    assert!(resealed.starts_with("v1:") && !resealed.contains(&plain), "{resealed}");
    w.srv.clock.set(w.srv.clock.now() + jiff::SignedDuration::from_secs(30));
    let (s, v) =
        w.api.call("POST", "/api/v1/auth/login", None, Some(with(totp.generate(at + 60)))).await;
    assert_eq!(s, 200, "{v}");
}

/// The stored TOTP seed of account `id`, as a copy of the database would show it.
async fn v_secret(w: &World, id: i64) -> String {
    w.srv.state.db.account(id).await.unwrap().unwrap().totp_secret.unwrap()
}

// rule: KIT-3.2 — a temporary operator, city staff only, for a bounded time.
#[tokio::test]
async fn temporary_operators_are_time_boxed_city_staff() {
    let w = World::new("kitakyushu", Backend::Sqlite, NOW).await;
    let temp = w.user("temporary_operator");
    let (_, me) = w.api.get("/api/v1/me", &temp).await;
    assert_eq!(me["roles"][0]["id"], "temporary_operator");
    // A designation without an end, or longer than 7 days, is refused.
    let body = |until: Option<&str>| {
        let mut b = json!({ "account_id": temp.id, "role": "temporary_operator" });
        if let Some(u) = until {
            b["valid_until"] = json!(u);
        }
        b
    };
    // rule: PROD-TERM-1 — the 7 days are the product's reading of 臨時 (KIT-3.2 names none).
    let (s, v) = w.api.post("/api/v1/designations", &w.admin, body(None)).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("PROD-TERM-1")));
    let (s, v) =
        w.api.post("/api/v1/designations", &w.admin, body(Some("2026-12-24T10:00:00+09:00"))).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("PROD-TERM-1")));
    // A contractor may not be made temporary operator.
    let contractor = w.user("om_contractor");
    let (s, v) = w.api.post("/api/v1/designations", &w.admin, json!({ "account_id": contractor.id, "role": "temporary_operator", "valid_until": "2026-11-25T10:00:00+09:00" })).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("KIT-3.2")), "{v}");
    // The designation records who made it and when; after the term the role is gone.
    let (_, list) = w.api.get("/api/v1/designations", &w.admin).await;
    let d = list.as_array().unwrap().iter().find(|d| d["account_id"] == temp.id).unwrap();
    assert_eq!(d["designated_by"], w.admin.id);
    assert_eq!(d["designated_at"], NOW);
    w.set_now("2026-12-02T10:00:00+09:00");
    let (_, me) = w.api.get("/api/v1/me", &temp).await;
    assert_eq!(me["roles"], json!([]));
}

// rule: NIS-3.3.2 — a lost PC is revoked and can no longer be used.
#[tokio::test]
async fn a_revoked_workstation_is_refused() {
    let w = World::new("nishiyodogawa", Backend::Sqlite, NOW).await;
    let chief = w.user("operations_chief");
    let (_, list) = w.api.get("/api/v1/workstations", &chief).await;
    let ws = list.as_array().unwrap().iter().find(|x| x["placement"] == "section").unwrap()["id"]
        .as_i64()
        .unwrap();
    w.api.ok(&format!("/api/v1/workstations/{ws}/custody-check"), &chief, json!({})).await;
    w.api
        .ok(&format!("/api/v1/workstations/{ws}/revoke"), &chief, json!({ "reason": "庁外で紛失" }))
        .await;
    let clerk = w.user("image_clerk");
    let (s, v) = w.api.get("/api/v1/me", &clerk).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("NIS-3.3.2")), "{v}");
    let mut off_pc = clerk.clone();
    off_pc.ws = None;
    assert_eq!(w.api.get("/api/v1/me", &off_pc).await.0, 200);
}

// rule: KIT-5.6, KAW-2.2.6イ; refused elsewhere with the profile's retention clause.
#[tokio::test]
async fn holds_only_where_a_seed_grants_them() {
    let hold = |reason: &str, inquiry: Option<&str>| {
        let mut b = json!({ "camera": "cam1", "from": "2026-11-23T09:00:00+09:00", "to": "2026-11-23T10:00:00+09:00", "until": "2027-02-01T00:00:00+09:00", "reason": reason });
        if let Some(i) = inquiry {
            b["inquiry_reference"] = json!(i);
        }
        b
    };
    let w = World::new("kitakyushu", Backend::Sqlite, NOW).await;
    let (s, v) = w.api.post("/api/v1/holds", &w.admin, hold(" ", None)).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("KIT-5.6")));
    let h = w.api.ok("/api/v1/holds", &w.admin, hold("捜査機関から保存要請", None)).await;
    assert_eq!(h["in_force"], true);
    // Held footage stays requestable past the 7-day period.
    w.set_now("2026-12-10T10:00:00+09:00");
    let mut w = w;
    let applicant = w.relogin("applicant").await;
    let body = json!({ "basis": "criminal_investigation", "purpose": "criminal_investigation", "recipient": "小倉北署", "case_summary": "強盗",
                       "documents": [{"form": "inquiry_letter", "reference": "照会第9号"}], "cameras": ["cam1"],
                       "from": "2026-11-23T09:00:00+09:00", "to": "2026-11-23T10:00:00+09:00" });
    w.api.ok("/api/v1/requests", &applicant, body.clone()).await;
    let mut other = body;
    other["cameras"] = json!(["cam2"]);
    let (s, v) = w.api.post("/api/v1/requests", &applicant, other).await;
    assert_eq!(
        (s.as_u16(), v["rule"].as_str()),
        (422, Some("KIT-5.6")),
        "unheld footage is gone: {v}"
    );
    let mgr = w.relogin("manager").await;
    w.api.ok(&format!("/api/v1/holds/{}/release", h["id"]), &mgr, json!({})).await;

    let w = World::new("kawaguchi", Backend::Sqlite, NOW).await;
    let mgr = w.user("manager");
    let (s, v) = w.api.post("/api/v1/holds", &mgr, hold("照会あり", None)).await;
    assert_eq!(
        (s.as_u16(), v["rule"].as_str(), v["errors"][0]["field"].as_str()),
        (422, Some("KAW-2.2.6イ"), Some("inquiry_reference"))
    );
    w.api.ok("/api/v1/holds", &mgr, hold("照会あり", Some("川口署照会第3号"))).await;

    for (profile, rule) in
        [("asahikawa", "ASA-3.3c"), ("saku", "SAK-9"), ("nishiyodogawa", "NIS-6")]
    {
        let w = World::new(profile, Backend::Sqlite, NOW).await;
        let (s, v) = w.api.post("/api/v1/holds", &w.admin, hold("x", Some("y"))).await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some(rule)), "{profile}: {v}");
    }
}

// rule: ASA-3.4a — viewing for management, with witnesses, on the dedicated PC.
#[tokio::test]
async fn management_viewings_record_witnesses() {
    let w = World::new("asahikawa", Backend::Sqlite, NOW).await;
    let officer = w.user("handling_officer");
    let body = json!({ "cameras": ["cam2"], "from": "2026-11-23T09:00:00+09:00", "to": "2026-11-23T09:30:00+09:00", "purpose": "system_management", "witnesses": ["交通防犯課 主査"], "witness_reason": "機器の専門的な確認" });
    let mut off_pc = officer.clone();
    off_pc.ws = None;
    assert_eq!(w.api.post("/api/v1/viewings", &off_pc, body.clone()).await.0, 403);
    w.api.ok("/api/v1/viewings", &officer, body).await;
    let (_, v) = w.api.get("/api/v1/viewings", &officer).await;
    assert_eq!(v[0]["witnesses"], json!(["交通防犯課 主査"]));
    let (_, log) = w.api.get("/api/v1/audit?action=footage.view", &w.admin).await;
    assert_eq!(log[0]["workstation"], "PC-city");
}

// rule: PROD-SOD-1 — the requester never decides their own request.
#[tokio::test]
async fn the_requester_cannot_approve_their_own_request() {
    let w = World::new("kitakyushu", Backend::Sqlite, NOW).await;
    // The manager also holds the handling-officer post (a second designation) and files a request.
    // No one designates himself (PROD-SOD-2): a second manager does it.
    let (_, v) = w
        .api
        .post(
            "/api/v1/designations",
            &w.admin,
            json!({ "account_id": w.admin.id, "role": "handling_officer" }),
        )
        .await;
    assert_eq!(v["rule"], "PROD-SOD-2", "{v}");
    w.api.ok("/api/v1/accounts", &w.admin, json!({ "login": "kanri2", "display_name": "管理 二郎", "organisation_id": w.admin.org, "initial_password": INITIAL })).await;
    let (_, list) = w.api.get("/api/v1/accounts", &w.admin).await;
    let second = list.as_array().unwrap().iter().find(|a| a["login"] == "kanri2").unwrap()["id"]
        .as_i64()
        .unwrap();
    w.api
        .ok("/api/v1/designations", &w.admin, json!({ "account_id": second, "role": "manager" }))
        .await;
    let kanri2 = onboard(&w.api, "kanri2", "manager", w.admin.org).await;
    w.api
        .ok(
            "/api/v1/designations",
            &kanri2,
            json!({ "account_id": w.admin.id, "role": "handling_officer" }),
        )
        .await;
    let body = json!({ "basis": "imminent_danger", "purpose": "imminent_danger", "recipient": "消防局", "case_summary": "行方不明者",
                       "cameras": ["cam1"], "from": "2026-11-23T09:00:00+09:00", "to": "2026-11-23T10:00:00+09:00" });
    let r = w.api.ok("/api/v1/requests", &w.admin, body).await;
    let (s, v) =
        w.api.post(&format!("/api/v1/requests/{}/approve", r["id"]), &w.admin, json!({})).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("PROD-SOD-1")), "{v}");
    // KIT-6.1(2) needs no review: the manager instructs directly.
    let h = w.user("handling_officer");
    let i = w
        .api
        .ok("/api/v1/instructions", &w.admin, json!({ "request_id": r["id"], "to_account": h.id }))
        .await;
    // Extraction needs an instruction naming that user, on a registered workstation.
    let temp = w.user("temporary_operator");
    let (s, _) =
        w.api.post(&format!("/api/v1/instructions/{}/extract", i["id"]), &temp, json!({})).await;
    assert_eq!(s, 403, "the instruction names someone else");
    let mut off_pc = h.clone();
    off_pc.ws = None;
    let (s, v) =
        w.api.post(&format!("/api/v1/instructions/{}/extract", i["id"]), &off_pc, json!({})).await;
    assert_eq!(s, 403, "{v}");
    // On the central room's terminal, after recording the entry (KIT-5.5).
    w.api.ok("/api/v1/room-entries", &h, json!({ "purpose": "画像の抽出" })).await;
    w.api.ok(&format!("/api/v1/instructions/{}/extract", i["id"]), &h, json!({})).await;
}

// rule: NIS-9.1 — internal use on the manager's judgement runs the same chain; other profiles refuse it.
#[tokio::test]
async fn internal_use_only_in_nishiyodogawa() {
    let w = World::new("nishiyodogawa", Backend::Sqlite, NOW).await;
    let chief = w.user("operations_chief");
    let body = |to: i64| json!({ "purpose": "crime_prevention", "cameras": ["cam1"], "from": "2026-11-23T09:00:00+09:00", "to": "2026-11-23T10:00:00+09:00", "to_account": to, "note": "ごみ不法投棄の確認" });
    let (s, v) =
        w.api.post("/api/v1/internal-uses", &w.admin, body(w.user("image_clerk").id)).await;
    assert_eq!(
        (s.as_u16(), v["rule"].as_str()),
        (422, Some("NIS-9.2")),
        "the manager instructs the operations chief: {v}"
    );
    let v: Value = w.api.ok("/api/v1/internal-uses", &w.admin, body(chief.id)).await;
    assert_eq!(v["request"]["kind"], "internal");
    let w = World::new("asahikawa", Backend::Sqlite, NOW).await;
    let (s, v) =
        w.api.post("/api/v1/internal-uses", &w.admin, body(w.user("handling_officer").id)).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("ASA-3.4c")));
}

// rule: ASA-3.2c — passwords are changed regularly, and a change is a change: none of the last
// five passwords comes back (A→B→A refused), on SQLite and PostgreSQL.
#[tokio::test]
async fn a_rotation_cannot_come_back_to_a_recent_password() {
    for backend in BACKENDS {
        let w = World::new("asahikawa", backend, NOW).await;
        let u = w.user("handling_officer");
        let change = |from: &str, to: &str| {
            let body = json!({ "current_password": from, "new_password": to });
            let (api, u) = (w.api.clone(), u.clone());
            async move { api.post("/api/v1/me/password", &u, body).await }
        };
        // A common password, even with digits added, is refused (PROD-AUTH-3, ASVS V2.1.7).
        let (s, v) = change(PASSWORD, "qwerty123456").await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("PROD-AUTH-3")), "{v}");
        let (s, _) = change(PASSWORD, "Sunshine!2026").await;
        assert_eq!(s, 422);
        // INITIAL → PASSWORD happened at onboarding. PASSWORD → B → back to PASSWORD: refused.
        let b = "second-password-bb";
        assert_eq!(change(PASSWORD, b).await.0, 200);
        let (s, v) = change(b, PASSWORD).await;
        assert_eq!(s, 422, "{backend:?}: {v}");
        assert_eq!(v["rule"], "ASA-3.2c", "{v}");
        assert!(v["detail"].as_str().unwrap().contains("last 5 passwords"), "{v}");
        let (s, _) = change(b, INITIAL).await;
        assert_eq!(s, 422, "the initial password is in the history too");
        // Four more changes push PASSWORD out of the last five.
        let mut current = b.to_owned();
        for i in 3..=6 {
            let next = format!("password-number-{i}x");
            assert_eq!(change(&current, &next).await.0, 200, "{backend:?}: change {i}");
            current = next;
        }
        let (s, v) = change(&current, PASSWORD).await;
        assert_eq!(s, 200, "{backend:?}: six changes later: {v}");
        // The history keeps only what it must.
        let kept: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM password_history WHERE account_id = $1")
                .bind(u.id)
                .fetch_one(w.srv.state.db.pool())
                .await
                .unwrap();
        assert_eq!(kept, 4, "{backend:?}");
    }
}

// issue 16, L8 — an enrolment link carries a one-time code, not the device token: opening the
// page spends nothing, the code is redeemed once within 24 hours on a workstation that is not
// revoked, the cookie is made by the server (Secure unless the server runs plain HTTP), an
// arbitrary value in the link enrols nothing, and every attempt is audited.
#[tokio::test]
async fn enrolment_links_are_one_time_codes() {
    let w = World::new("nishiyodogawa", Backend::Sqlite, NOW).await;
    let chief = w.user("operations_chief");
    let (_, list) = w.api.get("/api/v1/workstations", &chief).await;
    let ws = |placement: &str| {
        list.as_array().unwrap().iter().find(|x| x["placement"] == placement).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (section, agency) = (ws("section"), ws("police"));
    let link =
        w.api.ok(&format!("/api/v1/workstations/{section}/enrol-link"), &chief, json!({})).await;
    let href = link["href"].as_str().unwrap();
    let code = href.strip_prefix("/enrol/").unwrap().to_owned();
    assert_eq!(code.len(), 64, "{link}");
    assert!(!href.contains(chief.ws.as_deref().unwrap()), "no device token in a link");
    // Only the workstation manager issues links.
    let staff = w.user("agency_staff");
    let (s, _) =
        w.api.post(&format!("/api/v1/workstations/{agency}/enrol-link"), &staff, json!({})).await;
    assert_eq!(s, 403);

    let redeem = |code: String| {
        let http = w.api.http.clone();
        let url = format!("{}/api/v1/workstations/enrol", w.api.base);
        async move { http.post(url).json(&json!({ "code": code })).send().await.unwrap() }
    };
    // Made up, malformed or somebody else's device token: nothing is enrolled.
    for bogus in ["0".repeat(64), "../../etc".to_owned(), chief.ws.clone().unwrap()] {
        let r = redeem(bogus).await;
        assert_eq!(r.status(), 404);
        assert!(r.headers().get("set-cookie").is_none());
    }
    // The right code, once: the cookie is the server's new device token.
    let r = redeem(code.clone()).await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("mimamori_ws=") && cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=31536000"), "{cookie}");
    let token = cookie["mimamori_ws=".len()..].split(';').next().unwrap().to_owned();
    assert_ne!(token, code);
    let mut on_pc = w.user("image_clerk");
    on_pc.ws = Some(token);
    let (_, me) = w.api.get("/api/v1/me", &on_pc).await;
    assert_eq!(me["workstation"]["id"], section, "{me}");
    assert_eq!(redeem(code).await.status(), 404, "a link enrols one PC");

    // A link not redeemed within 24 hours has expired.
    let late =
        w.api.ok(&format!("/api/v1/workstations/{agency}/enrol-link"), &chief, json!({})).await;
    w.set_now("2026-11-25T12:00:00+09:00");
    let late_code = late["href"].as_str().unwrap().trim_start_matches("/enrol/").to_owned();
    assert_eq!(redeem(late_code).await.status(), 404, "expired");
    // A revoked workstation's link enrols nothing.
    let fresh =
        w.api.ok(&format!("/api/v1/workstations/{agency}/enrol-link"), &chief, json!({})).await;
    w.api
        .ok(&format!("/api/v1/workstations/{agency}/revoke"), &chief, json!({ "reason": "紛失" }))
        .await;
    let fresh_code = fresh["href"].as_str().unwrap().trim_start_matches("/enrol/").to_owned();
    assert_eq!(redeem(fresh_code).await.status(), 404, "revoked");

    // Every attempt is on the audit trail, the refused ones too.
    let auditor = w.holder(policy::Permission::AuditRead).clone();
    let (_, log) = w.api.get("/api/v1/audit?action=workstation.enrol&limit=50", &auditor).await;
    let entries = log["entries"].as_array().or(log.as_array()).unwrap().clone();
    let redeemed = |e: &&Value| {
        e["action"] == "workstation.enrol" && (e["actor"] == "device" || e["actor"] == "anonymous")
    };
    let denied = entries.iter().filter(redeemed).filter(|e| e["outcome"] == "denied").count();
    let ok = entries.iter().filter(redeemed).filter(|e| e["outcome"] == "ok").count();
    assert!(entries.iter().filter(redeemed).all(|e| e["client"] == "127.0.0.1"), "{log}");
    assert_eq!((ok, denied), (1, 6), "{log}");
}

// ASVS V2.8 (issue 16) — recovery codes: ten one-time codes come with TOTP, shown once; one
// stands in for a lost authenticator at login and for re-authentication, and is spent; a new set
// makes the old one useless; every use is on the audit trail.
#[tokio::test]
async fn recovery_codes_stand_in_for_a_lost_authenticator() {
    let w = World::new("kawaguchi", Backend::Sqlite, NOW).await;
    let u = w.user("operator");
    let v = w.api.ok("/api/v1/me/totp", &u, json!({ "password": PASSWORD })).await;
    let secret = Secret::Encoded(v["secret"].as_str().unwrap().into()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, secret).unwrap();
    let at = (w.srv.clock.now_ms() / 1000) as u64;
    let v = w.api.ok("/api/v1/me/totp/confirm", &u, json!({ "code": totp.generate(at) })).await;
    let codes: Vec<String> = v["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().into())
        .collect();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 29 && c.matches('-').count() == 5), "{codes:?}");
    let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);

    let login = |second: String| json!({ "login": u.login, "password": PASSWORD, "totp": second, "session": "bearer" });
    // The phone is lost: a recovery code (typed in lower case, without dashes) logs in, once.
    let typed = codes[0].replace('-', "").to_lowercase();
    let (s, v) = w.api.call("POST", "/api/v1/auth/login", None, Some(login(typed.clone()))).await;
    assert_eq!(s, 200, "{v}");
    let mut back = u.clone();
    back.token = v["token"].as_str().unwrap().into();
    let (s, _) = w.api.call("POST", "/api/v1/auth/login", None, Some(login(typed))).await;
    assert_eq!(s, 401, "a recovery code is spent by its use");
    let (_, me) = w.api.get("/api/v1/me", &back).await;
    assert_eq!(me["recovery_codes_left"], 9);
    // Another account's code, or a made-up one, is no second factor.
    let made_up = "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA".to_owned();
    let (s, _) = w.api.call("POST", "/api/v1/auth/login", None, Some(login(made_up))).await;
    assert_eq!(s, 401);

    // With a recovery code the holder re-authenticates to enrol a new authenticator.
    let (s, _) = w.api.post("/api/v1/me/totp", &back, json!({ "password": PASSWORD })).await;
    assert_eq!(s, 422, "TOTP is on: a second factor is asked");
    w.api.ok("/api/v1/me/totp", &back, json!({ "password": PASSWORD, "totp": codes[1] })).await;
    // Starting a re-enrolment (and abandoning it) never switches the second factor off.
    let (_, me) = w.api.get("/api/v1/me", &back).await;
    assert_eq!(me["totp_enabled"], true, "{me}");
    // A new set replaces the old: the old codes stop working.
    let fresh = w
        .api
        .ok("/api/v1/me/recovery-codes", &back, json!({ "password": PASSWORD, "totp": codes[2] }))
        .await;
    let fresh = fresh["recovery_codes"].as_array().unwrap().clone();
    assert_eq!(fresh.len(), 10);
    let (s, _) =
        w.api.call("POST", "/api/v1/auth/login", None, Some(login(codes[3].clone()))).await;
    assert_eq!(s, 401, "the old set is gone");
    let (s, _) = w
        .api
        .call("POST", "/api/v1/auth/login", None, Some(login(fresh[0].as_str().unwrap().into())))
        .await;
    assert_eq!(s, 200);

    // The audit trail says when a recovery code stood in, and how many are left.
    let auditor = w.holder(policy::Permission::AuditRead).clone();
    let (_, log) = w.api.get("/api/v1/audit?action=login&limit=100", &auditor).await;
    let uses = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "login" && e["detail"]["second_factor"] == "recovery_code")
        .count();
    assert_eq!(uses, 2, "{log}");
}

// rule: NIS-10.3 — agency staff act only once the head's 届出 of their names and affiliations
// is on file: a designation without its reference is refused and designates no one.
#[tokio::test]
async fn nishiyodogawa_agency_staff_rest_on_the_heads_notification() {
    for backend in BACKENDS {
        // Saturday 5 December 2026.
        let w = World::new("nishiyodogawa", backend, "2026-12-05T10:00:00+09:00").await;
        let head = w.user("agency_head");
        let station = head.org;
        let acc = w.api.ok("/api/v1/accounts", &w.admin, json!({ "login": "staff2", "display_name": "西淀署 巡査", "organisation_id": station, "initial_password": INITIAL })).await;
        common::activate_if_pending(&w.api, &acc, &w.registrar).await;
        let (_, list) = w.api.get("/api/v1/accounts", &w.admin).await;
        let id = list.as_array().unwrap().iter().find(|a| a["login"] == "staff2").unwrap()["id"]
            .as_i64()
            .unwrap();
        for missing in [json!(null), json!("  ")] {
            let (s, v) = w
                .api
                .post(
                    "/api/v1/designations",
                    &head,
                    json!({ "account_id": id, "role": "agency_staff", "document_ref": missing }),
                )
                .await;
            assert_eq!((s.as_u16(), v["rule"].as_str()), (422, Some("NIS-10.3")), "{v}");
            assert_eq!(v["errors"][0]["field"], "document_ref", "{v}");
        }
        let (_, ds) = w.api.get("/api/v1/designations", &head).await;
        assert!(!ds.as_array().unwrap().iter().any(|d| d["account_id"] == id), "no one designated");
        let d = w
            .api
            .ok(
                "/api/v1/designations",
                &head,
                json!({ "account_id": id, "role": "agency_staff", "document_ref": " 西淀警届第45号 " }),
            )
            .await;
        assert_eq!(d["document_ref"], "西淀警届第45号");
        let (_, ds) = w.api.get("/api/v1/designations", &head).await;
        let mine = ds.as_array().unwrap().iter().find(|d| d["account_id"] == id).unwrap().clone();
        assert_eq!(
            (mine["document_ref"].as_str(), mine["in_force"].as_bool()),
            (Some("西淀警届第45号"), Some(true))
        );
        // The reference is in the audit trail.
        let (_, a) = w.api.get("/api/v1/audit?action=designation.create", &w.user("manager")).await;
        assert!(a.to_string().contains("西淀警届第45号"), "the reference is in the audit trail");
    }
}

// rule: PROD-SOD-5 — the account administrator who is also the approver (Asahikawa's manager)
// makes a police applicant's account, files through it and tries to approve: refused, in the
// client's language, audited; a second manager decides it. On SQLite and PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoever_made_the_requesters_account_does_not_decide_its_request() {
    for backend in BACKENDS {
        let w = World::new("asahikawa", backend, "2026-12-01T10:00:00+09:00").await;
        let station = common::org(&w, "police", "旭川東警察署").await;
        let acc = w.api.ok("/api/v1/accounts", &w.admin, json!({ "login": "keisatsu9", "display_name": "警察 九郎", "organisation_id": station, "initial_password": INITIAL })).await;
        common::activate_if_pending(&w.api, &acc, &w.registrar).await;
        let (_, list) = w.api.get("/api/v1/accounts", &w.admin).await;
        let id = list.as_array().unwrap().iter().find(|a| a["login"] == "keisatsu9").unwrap()["id"]
            .as_i64()
            .unwrap();
        w.api
            .ok("/api/v1/designations", &w.admin, json!({ "account_id": id, "role": "applicant" }))
            .await;
        let made = common::onboard(&w.api, "keisatsu9", "applicant", station).await;
        let p = w.profile.clone();
        let basis = p
            .bases
            .iter()
            .find(|b| b.documents.is_empty() && b.documents_any_of.is_empty())
            .unwrap_or(&p.bases[0]);
        let r = w
            .api
            .ok("/api/v1/requests", &made, json!({ "basis": basis.id, "purpose": p.purposes[0].id, "recipient": "旭川東警察署",
                "case_summary": "自作自演の申請", "documents": common::documents(&w, basis), "cameras": ["cam1"],
                "from": "2026-11-30T08:00:00+09:00", "to": "2026-11-30T08:30:00+09:00" }))
            .await;
        let rid = r["id"].as_i64().unwrap();
        // Not even offered to him.
        let (_, seen) = w.api.get(&format!("/api/v1/requests/{rid}"), &w.admin).await;
        assert!(!seen["actions"].to_string().contains("approve"), "{}", seen["actions"]);
        let resp = w
            .api
            .http
            .post(format!("{}/api/v1/requests/{rid}/approve", w.api.base))
            .bearer_auth(&w.admin.token)
            .header("accept-language", "ja")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(matches!(status, 403 | 422), "{status} {body}");
        assert_eq!(body["rule"], "PROD-SOD-5", "{body}");
        assert!(body.to_string().contains("アカウントを作成したのはあなた"), "{body}");
        let (_, trail) = w.api.get("/api/v1/audit?action=request.approve&limit=20", &w.admin).await;
        assert!(trail.to_string().contains("PROD-SOD-5"), "the refusal is audited: {trail}");
        // Another manager — who made no part of it — decides.
        let (s, v) =
            w.api.post(&format!("/api/v1/requests/{rid}/approve"), &w.registrar, json!({})).await;
        assert_eq!(s.as_u16(), 200, "{v}");
    }
}

// rule: KIT-5.2 — Kitakyushu's O&M contractor operates recorders within the O&M scope only: a
// request list or an extraction is refused citing the city's own clause, not PROD-RBAC-1
// (issue 15, item 7).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contractor_is_refused_with_the_citys_own_clause() {
    let w = World::new("kitakyushu", Backend::Sqlite, "2026-12-01T10:00:00+09:00").await;
    let om = w.user("om_contractor");
    for path in ["/api/v1/requests", "/api/v1/ledger"] {
        let (s, v) = w.api.get(path, &om).await;
        assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("KIT-5.2")), "{path}: {v}");
    }
    let (s, v) = w.api.post("/api/v1/holds", &om, json!({ "camera": "cam1" })).await;
    assert_eq!((s.as_u16(), v["rule"].as_str()), (403, Some("KIT-5.2")), "{v}");
}
