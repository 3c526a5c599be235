//! The dashboard: my tasks and the cameras.
use super::*;

/// Days after which a site's sign is due for a check.
const SIGNAGE_CHECK_DAYS: i64 = 180;
/// `GET /`: my tasks and the cameras.
pub async fn dashboard(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    if me.0["must_acknowledge"] == true || me.0["must_change_password"] == true {
        return Redirect::to("/account").into_response();
    }
    // One read of the requests for every list built from them.
    let (mut review, mut relay, mut approved, mut to_ledger) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if me.can("request.review")
        || me.can("request.relay")
        || me.can("instruction.issue")
        || me.can("ledger.write")
    {
        let a = ui.api.get("/api/v1/requests", &headers).await;
        for r in a.json.as_array().into_iter().flatten() {
            match r["state"].as_str() {
                Some("submitted") if me.can("request.relay") => relay.push(r.clone()),
                Some("submitted" | "relayed") if me.can("request.review") => review.push(r.clone()),
                Some("approved") if me.can("instruction.issue") => approved.push(r.clone()),
                Some("extracted") if me.can("ledger.write") => to_ledger.push(r.clone()),
                _ => {}
            }
        }
    }
    // Emergency filings due (the police) and open reconciliation incidents (the city).
    let mut filings = Vec::new();
    if me.0["emergency_path"] == true && me.can("emergency.file") {
        let a = ui.api.get("/api/v1/emergency/orders", &headers).await;
        for o in a.json.as_array().into_iter().flatten() {
            if o["state"] == "extracted" {
                filings.push(o.clone());
            }
        }
    }
    let mut incidents = 0;
    if me.0["emergency_path"] == true && me.can("reconciliation.review") {
        let a = ui.api.get("/api/v1/reconciliation/incidents", &headers).await;
        incidents =
            a.json.as_array().map_or(0, |v| v.iter().filter(|i| i["closed_at"].is_null()).count());
    }
    let mut mine = Vec::new();
    if me.can("instruction.issue") || me.can("instruction.relay") || me.can("footage.extract") {
        let a = ui.api.get("/api/v1/instructions", &headers).await;
        for i in a.json.as_array().into_iter().flatten() {
            if i["state"] == "open" && i["issued_to"].as_i64() == Some(me.id()) {
                mine.push(i.clone());
            }
        }
    }
    // Complaints past their deadline (escalated to the handlers). rule: KIT-7
    let mut overdue_complaints = 0;
    if me.can("complaint.handle") {
        let a = ui.api.get("/api/v1/complaints", &headers).await;
        overdue_complaints =
            a.json.as_array().map_or(0, |v| v.iter().filter(|c| c["overdue"] == true).count());
    }
    // Signs not checked for half a year (ASA-3.2b, KIT-4.2, KAW-2.2.1, NIS-4.2).
    let mut signage_due = Vec::new();
    if me.can("registry.manage") {
        let now = policy::jst::parse_rfc3339(js(&me.0["now"])).ok();
        let a = ui.api.get("/api/v1/sites", &headers).await;
        for x in a.json.as_array().into_iter().flatten() {
            let checked = policy::jst::parse_rfc3339(js(&x["signage_checked_at"]))
                .or_else(|_| policy::jst::parse_rfc3339(js(&x["created_at"])))
                .ok();
            if let (Some(n), Some(c)) = (now, checked)
                && n.duration_since(c) > jiff::SignedDuration::from_hours(24 * SIGNAGE_CHECK_DAYS)
            {
                signage_due.push(format!("{} {}", js(&x["code"]), js(&x["name"])));
            }
        }
    }
    // A password due within 14 days (an expired one sends the user to the account page).
    let due = js(&me.0["password_due_at"]).to_owned();
    let rotate_soon = policy::jst::parse_rfc3339(&due)
        .ok()
        .zip(policy::jst::parse_rfc3339(js(&me.0["now"])).ok())
        .is_some_and(|(d, n)| d.duration_since(n) < jiff::SignedDuration::from_hours(24 * 14));
    let recorder = ui.api.get("/api/v1/recorder/status", &headers).await;
    let nothing = review.is_empty()
        && relay.is_empty()
        && mine.is_empty()
        && approved.is_empty()
        && to_ledger.is_empty()
        && filings.is_empty()
        && incidents == 0
        && !rotate_soon
        && overdue_complaints == 0
        && signage_due.is_empty();
    let body = html! {
        p { (me.0["display_name"].as_str().unwrap_or("")) "（" (me.roles(l)) "）" }
        p.ws {
            (t(l, "workstation")) ": "
            @match me.0["workstation"]["name"].as_str() {
                Some(n) => (n),
                None => (t(l, "no_workstation")),
            }
        }
        section aria-labelledby="tasks" {
            h2 #tasks { (t(l, "my_tasks")) }
            @if nothing { p { (t(l, "no_tasks")) } }
            @if !relay.is_empty() { h3 { (t(l, "task_relay")) } (request_list(l, &relay)) }
            @if !review.is_empty() { h3 { (t(l, "task_review")) } (request_list(l, &review)) }
            @if !approved.is_empty() { h3 { (t(l, "instruct")) } (request_list(l, &approved)) }
            @if !to_ledger.is_empty() { h3 { (t(l, "task_ledger")) } (request_list(l, &to_ledger)) }
            @if !filings.is_empty() {
                h3 { (t(l, "task_filing")) }
                ul.tasks #filings {
                    @for o in &filings {
                        li.problem[o["follow_up_due"] == true] {
                            a href={ "/emergency#order-" (o["id"]) } { (js(&o["number"])) }
                            " — " (t(l, "filing_due")) ": " (js(&o["filing_due_at"]))
                            @if o["follow_up_due"] == true { " (" (t(l, "follow_up_due")) ")" }
                        }
                    }
                }
            }
            @if overdue_complaints > 0 {
                p #overdue-complaints.problem { a href="/complaints" { (t(l, "overdue_complaints")) ": " (overdue_complaints) } }
            }
            @if !signage_due.is_empty() {
                h3 { (t(l, "signage_due")) }
                ul #signage-due { @for x in &signage_due { li { a href="/cameras" { (x) } } } }
            }
            @if rotate_soon {
                p #rotate { a href="/account" { (t(l, "password_rotate_soon")) } " (" (due) ")" }
            }
            @if incidents > 0 {
                h3 { (t(l, "incidents")) }
                p #open-incidents { a href="/reconciliation" { (t(l, "open_incidents")) ": " (incidents) } }
            }
            @if !mine.is_empty() {
                h3 { (t(l, "task_instruction")) }
                ul.tasks {
                    @for i in &mine {
                        li { a href={ "/requests/" (i["request_id"]) } { (t(l, "instructions")) " #" (i["id"]) " — " (i["from"].as_str().unwrap_or("")) " 〜 " (i["to"].as_str().unwrap_or("")) } }
                    }
                }
            }
        }
        section aria-labelledby="cams" {
            h2 #cams { (t(l, "cameras")) }
            (recorder_table(l, &recorder))
        }
    };
    page(l, Some(&me), &t(l, "dashboard"), body).into_response()
}
