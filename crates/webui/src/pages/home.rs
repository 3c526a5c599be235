//! The dashboard: my tasks and the cameras.
use super::*;
use server::api::tasks::{Dashboard, Task, TaskKind};

/// `GET /`: my tasks and the cameras.
pub async fn dashboard(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    if me.must_acknowledge || me.must_change_password {
        return Redirect::to("/account").into_response();
    }
    // What this person must do now, computed by the server from the rules (issue 19).
    let Dashboard { tasks, recording: recorder } =
        or_problem!(ui.api.get_as::<Dashboard>("/api/v1/me/dashboard", &headers).await, l, &me);
    let of = |kind: TaskKind, action: &str| -> Vec<&Task> {
        tasks.iter().filter(|t| t.kind == kind && t.action == action).collect()
    };
    // Groups in the order a clerk works through them: (heading key, element id, tasks).
    let groups = [
        ("task_relay", "task-relay", of(TaskKind::Request, "relay")),
        ("task_review", "task-review", of(TaskKind::Request, "decide")),
        ("task_instruct", "task-instruct", of(TaskKind::Request, "instruct")),
        ("task_instruction", "task-instruction", {
            let mut v = of(TaskKind::Instruction, "extract");
            v.extend(of(TaskKind::Instruction, "pass_on"));
            v
        }),
        ("task_report", "task-report", of(TaskKind::Request, "report")),
        ("task_ledger", "task-ledger", of(TaskKind::Request, "ledger")),
        (
            "task_emergency_extract",
            "task-emergency-extract",
            of(TaskKind::EmergencyOrder, "extract"),
        ),
        ("task_filing", "filings", of(TaskKind::EmergencyOrder, "file")),
        ("task_emergency_ledger", "task-emergency-ledger", of(TaskKind::EmergencyOrder, "ledger")),
        ("task_emergency_report", "task-emergency-report", of(TaskKind::EmergencyOrder, "report")),
        ("task_review_flag", "task-review-flag", of(TaskKind::EmergencyOrder, "review_flag")),
        ("overdue_complaints", "overdue-complaints", of(TaskKind::Complaint, "respond")),
        ("open_incidents", "open-incidents", of(TaskKind::Incident, "close")),
        ("task_witnesses", "task-witnesses", of(TaskKind::Viewing, "judge_witnesses")),
        ("duties_due", "duties-due", tasks.iter().filter(|t| t.kind == TaskKind::Duty).collect()),
        ("password_rotate_soon", "rotate", of(TaskKind::Account, "change_password")),
    ];
    let body = html! {
        p { (me.display_name) "（" (me.roles(l)) "）" }
        p.ws {
            (t(l, "workstation")) ": "
            @match me.workstation.as_ref().map(|w| w.name.as_str()) {
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
                            li.problem[x.overdue] {
                                @if let Some(title) = &x.title { (if l == Lang::Ja {
                                            &title.ja } else { &title.en })
                                    ": " }
                                a href=(x.href) { (x.label) }
                                @if !x.detail.is_empty() { " — " (task_detail(l, x)) }
                                @if let Some(range) = &x.range {
                                    " — " (x.cameras.join(", ")) " " (when_at(l, &range.from))
                                    " 〜 " (when_at(l, &range.to))
                                }
                                @if let Some(due) = &x.due_at {
                                    " — " (until_at(l, due))
                                    @if x.overdue { " (" (t(l, "follow_up_due")) ")" }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="cams" {
            h2 #cams { (t(l, "cameras")) }
            (recorder_table(l, recorder.as_ref()))
        }
    };
    page(l, Some(&me), &t(l, "dashboard"), body).into_response()
}

/// A task's line in words: a code the catalogue names (a complaint's category, an incident's
/// kind) is said by its name, never shown raw (issue 19, item 4).
fn task_detail(l: Lang, x: &Task) -> String {
    match x.detail_key.as_deref() {
        Some(key) if t(l, key) != key => t(l, key),
        _ => x.detail.clone(),
    }
}
