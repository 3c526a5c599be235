//! The police emergency path: orders, extraction, the post-hoc filing.
use super::*;
/// rule: ASA-3.5b, NIS-10.4 (the rules themselves are the API's; this page shows them).
/// `GET /emergency`: emergency orders of my organisation (the city sees all), with the actions
/// this user may take, and the order form for those who may order.
pub async fn emergency(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get("/api/v1/emergency/orders", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let name = if l == Lang::Ja { "name_ja" } else { "name_en" };
    let csrf = me.csrf();
    let executors = if me.can("emergency.order") {
        ui.api.get("/api/v1/emergency/executors", &headers).await.json
    } else {
        Value::Null
    };
    let cams = ui.api.get("/api/v1/cameras", &headers).await.json;
    let mut packages: HashMap<i64, Vec<Value>> = HashMap::new();
    for o in a.json.as_array().into_iter().flatten() {
        if let Some(x) = o["extraction_id"].as_i64()
            && o["executor_id"].as_i64() == Some(me.id())
        {
            let p = ui.api.get(&format!("/api/v1/extractions/{x}/packages"), &headers).await;
            packages.insert(
                o["id"].as_i64().unwrap_or(0),
                p.json["packages"].as_array().cloned().unwrap_or_default(),
            );
        }
    }
    let confirm = t(l, "confirm_irreversible");
    let body = html! {
        @if a.json.as_array().is_none_or(Vec::is_empty) { p { (t(l, "no_orders")) } }
        @for o in a.json.as_array().into_iter().flatten() {
            @let id = o["id"].as_i64().unwrap_or(0);
            section.actions id={ "order-" (id) } {
                h2 { (o["number"].as_str().unwrap_or("")) " — " span.state { (state_label(l, o["state"].as_str().unwrap_or(""))) } }
                p { (list(&o["cameras"])) " " (o["from"].as_str().unwrap_or("")) " 〜 " (o["to"].as_str().unwrap_or("")) }
                p { (t(l, "urgency_reason")) ": " (o["urgency_reason"].as_str().unwrap_or("")) }
                @if let Some(due) = o["filing_due_at"].as_str() { p { (t(l, "filing_due")) ": " (due) } }
                @if o["follow_up_due"] == true { p.problem { (t(l, "follow_up_due")) } }
                @if o["state"] == "ordered" && o["executor_id"].as_i64() == Some(me.id()) {
                    form method="post" action={ "/emergency/" (id) "/extract" } onsubmit={ "return confirm('" (confirm) "')" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button.extract-order { (t(l, "extract_order")) }
                    }
                }
                @if let Some(pk) = packages.get(&id) {
                    ul.packages { @for p in pk { li { code { (p["id"].as_str().unwrap_or("")) } " " a href=(p["href"].as_str().unwrap_or("")) download { (t(l, "download")) } } } }
                }
                @if o["state"] == "extracted" && me.can("emergency.file") {
                    form method="post" action={ "/emergency/" (id) "/file" } {
                        input type="hidden" name="csrf" value=(csrf);
                        label for={ "form-" (id) } { (t(l, "form")) }
                        select id={ "form-" (id) } name="form" {
                            @for f in profile["emergency"]["filing"]["forms"].as_array().into_iter().flatten() {
                                @let fid = f.as_str().unwrap_or("");
                                option value=(fid) { (form_name(&profile, fid, name)) }
                            }
                        }
                        label for={ "ref-" (id) } { (t(l, "document_reference")) }
                        input id={ "ref-" (id) } name="reference" required;
                        button.file-order { (t(l, "file_order")) }
                    }
                }
            }
        }
        @if me.can("emergency.order") {
            section.actions {
                h2 { (t(l, "new_order")) }
                form method="post" action="/emergency/new" {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="executor" { (t(l, "executor")) }
                    select #executor name="executor" {
                        @for e in executors.as_array().into_iter().flatten() { option value=(e["id"]) { (e["display_name"].as_str().unwrap_or("")) } }
                    }
                    fieldset {
                        legend { (t(l, "cameras_field")) }
                        @for c in cams.as_array().into_iter().flatten() {
                            @let code = c["code"].as_str().unwrap_or("");
                            label.check { input type="checkbox" name={ "cam:" (code) } value="1"; (code) " " (c["name"].as_str().unwrap_or("")) }
                        }
                    }
                    label for="from" { (t(l, "range_from")) }
                    input #from name="from" type="datetime-local" step="1" required;
                    label for="to" { (t(l, "range_to")) }
                    input #to name="to" type="datetime-local" step="1" required;
                    label for="purpose" { (t(l, "purpose")) }
                    select #purpose name="purpose" {
                        @for p in profile["purposes"].as_array().into_iter().flatten() { option value=(p["id"].as_str().unwrap_or("")) { (p[name].as_str().unwrap_or("")) } }
                    }
                    label for="urgency_reason" { (t(l, "urgency_reason")) }
                    input #urgency_reason name="urgency_reason" required;
                    button #order { (t(l, "order")) }
                }
            }
        }
    };
    page(l, Some(&me), &t(l, "emergency"), body).into_response()
}

/// `POST /emergency/new`.
pub async fn create_order(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| field(&f, k);
    let cameras = checked_cameras(&f);
    let body = json!({
        "executor_account": get("executor").parse::<i64>().ok(), "cameras": cameras,
        "from": jst_input(&get("from")), "to": jst_input(&get("to")),
        "purpose": get("purpose"), "urgency_reason": get("urgency_reason"),
    });
    submit(&ui, &headers, &get("csrf"), "/api/v1/emergency/orders", body, "/emergency").await
}

/// `POST /emergency/{id}/{extract|file}`.
pub async fn order_action(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<Plain>,
) -> Response {
    let body = match action.as_str() {
        "extract" => json!({}),
        "file" => json!({ "form": f.fields.get("form"), "reference": f.fields.get("reference") }),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    submit(
        &ui,
        &headers,
        &f.csrf,
        &format!("/api/v1/emergency/orders/{id}/{action}"),
        body,
        "/emergency",
    )
    .await
}
