//! The dashboard: my tasks and the cameras.
use super::*;
/// `GET /`: my tasks and the cameras.
pub async fn dashboard(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    if me.0["must_acknowledge"] == true || me.0["must_change_password"] == true {
        return Redirect::to("/account").into_response();
    }
    // One read of the requests for every list built from them.
    let (mut review, mut relay, mut approved) = (Vec::new(), Vec::new(), Vec::new());
    if me.can("request.review") || me.can("request.relay") || me.can("instruction.issue") {
        let a = ui.api.get("/api/v1/requests", &headers).await;
        for r in a.json.as_array().into_iter().flatten() {
            match r["state"].as_str() {
                Some("submitted") if me.can("request.relay") => relay.push(r.clone()),
                Some("submitted" | "relayed") if me.can("request.review") => review.push(r.clone()),
                Some("approved") if me.can("instruction.issue") => approved.push(r.clone()),
                _ => {}
            }
        }
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
    let recorder = ui.api.get("/api/v1/recorder/status", &headers).await;
    let nothing = review.is_empty() && relay.is_empty() && mine.is_empty() && approved.is_empty();
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
