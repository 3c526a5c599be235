//! The dashboard: my tasks and the cameras.
use super::*;

/// `GET /`: my tasks and the cameras.
pub async fn dashboard(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    if me.0["must_acknowledge"] == true || me.0["must_change_password"] == true {
        return Redirect::to("/account").into_response();
    }
    // What this person must do now, computed by the server from the rules (issue 19).
    let a = ui.api.get("/api/v1/me/tasks", &headers).await;
    let tasks: Vec<Value> = a.json["tasks"].as_array().cloned().unwrap_or_default();
    let of = |kind: &str, action: &str| -> Vec<&Value> {
        tasks.iter().filter(|t| t["kind"] == kind && t["action"] == action).collect()
    };
    // Groups in the order a clerk works through them: (heading key, element id, tasks).
    let groups = [
        ("task_relay", "task-relay", of("request", "relay")),
        ("task_review", "task-review", of("request", "decide")),
        ("task_instruct", "task-instruct", of("request", "instruct")),
        ("task_instruction", "task-instruction", {
            let mut v = of("instruction", "extract");
            v.extend(of("instruction", "pass_on"));
            v
        }),
        ("task_report", "task-report", of("request", "report")),
        ("task_ledger", "task-ledger", of("request", "ledger")),
        ("task_emergency_extract", "task-emergency-extract", of("emergency_order", "extract")),
        ("task_filing", "filings", of("emergency_order", "file")),
        ("task_emergency_ledger", "task-emergency-ledger", of("emergency_order", "ledger")),
        ("task_emergency_report", "task-emergency-report", of("emergency_order", "report")),
        ("task_review_flag", "task-review-flag", of("emergency_order", "review_flag")),
        ("overdue_complaints", "overdue-complaints", of("complaint", "respond")),
        ("open_incidents", "open-incidents", of("incident", "close")),
        ("task_witnesses", "task-witnesses", of("viewing", "judge_witnesses")),
        ("duties_due", "duties-due", tasks.iter().filter(|t| t["kind"] == "duty").collect()),
        ("password_rotate_soon", "rotate", of("account", "change_password")),
    ];
    let recorder = ui.api.get("/api/v1/recorder/status", &headers).await;
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
            h2 #tasks { (t(l, "my_tasks")) " (" (tasks.len()) ")" }
            @if tasks.is_empty() { p { (t(l, "no_tasks")) } }
            @for (heading, id, items) in &groups {
                @if !items.is_empty() {
                    h3 { (t(l, heading)) " (" (items.len()) ")" }
                    ul.tasks id=(id) {
                        @for x in items {
                            li.problem[x["overdue"] == true] {
                                @if let Some(title) = x["title"][l.code()].as_str() { (title) ": " }
                                a href=(js(&x["href"])) { (js(&x["label"])) }
                                @if !js(&x["detail"]).is_empty() { " — " (task_detail(l, x)) }
                                @if x["range"].is_object() {
                                    " — " (list(&x["cameras"])) " " (when(l, &x["range"]["from"])) " 〜 " (when(l, &x["range"]["to"]))
                                }
                                @if !x["due_at"].is_null() {
                                    " — " (until(l, &x["due_at"]))
                                    @if x["overdue"] == true { " (" (t(l, "follow_up_due")) ")" }
                                }
                            }
                        }
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

/// A task's line in words: a code the catalogue names (a complaint's category, an incident's
/// kind) is said by its name, never shown raw (issue 19, item 4).
fn task_detail(l: Lang, x: &Value) -> String {
    match x["detail_key"].as_str() {
        Some(key) if t(l, key) != key => t(l, key),
        _ => js(&x["detail"]).to_owned(),
    }
}
