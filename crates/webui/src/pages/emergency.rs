//! The police emergency path: orders, extraction, the post-hoc filing.
use super::*;
/// rule: ASA-3.5b, NIS-10.4 (the rules themselves are the API's; this page shows them).
/// `GET /emergency`: emergency orders of my organisation (the city sees all), with the actions
/// this user may take, and the order form for those who may order.
pub async fn emergency(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    emergency_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn emergency_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get("/api/v1/emergency/orders", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let name = if l == Lang::Ja { "name_ja" } else { "name_en" };
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
            // What this user may do now is the API's answer (`actions`, from `policy`).
            @let act = |action: &str| o["actions"].as_array().into_iter().flatten().any(|a| a["action"] == action);
            section.actions id={ "order-" (id) } {
                h2 { (o["number"].as_str().unwrap_or("")) " — " span.state { (state_label(l, o["state"].as_str().unwrap_or(""))) } }
                p { (list(&o["cameras"])) " " (when(l, &o["from"])) " 〜 " (when(l, &o["to"])) }
                p { (t(l, "urgency_reason")) ": " (o["urgency_reason"].as_str().unwrap_or("")) }
                @if !o["filing_due_at"].is_null() { p { (t(l, "filing_due")) ": " (until(l, &o["filing_due_at"])) } }
                @if o["follow_up_due"] == true { p.problem { (t(l, "follow_up_due")) } }
                // PROD-EMERG-1: given outside night and closed days, with its written reason.
                @if o["flagged"] == true {
                    p.flagged { strong { (t(l, "flagged_order")) } " " (t(l, "outside_reason")) ": " (js(&o["outside_reason"])) }
                    @if o["flag_reviewed_at"].is_string() {
                        p.flag-reviewed { (t(l, "flag_reviewed")) ": " (when(l, &o["flag_reviewed_at"])) " — " (js(&o["flag_review_note"])) }
                    }
                }
                @let fv = format!("review-flag-{id}");
                @if act("review_flag") {
                    (d.alert(&fv))
                    form method="post" action={ "/emergency/" (id) "/review-flag" } {
                        (form_head(&me, &fv))
                        label for={ "flag-note-" (id) } { (t(l, "flag_note")) }
                        textarea id={ "flag-note-" (id) } name="note" rows="2" required { (d.v(&fv, "note")) }
                        @if let Some(e) = d.err(&fv, "note") { p.field-error { (e) } }
                        button.review-flag { (t(l, "review_flag")) }
                    }
                }
                @let fx = format!("extract-{id}");
                @let ff = format!("file-{id}");
                (d.alert(&fx)) (d.alert(&ff))
                @if act("extract") {
                    form method="post" action={ "/emergency/" (id) "/extract" } data-confirm=(confirm) {
                        (form_head(&me, &fx))
                        button.extract-order { (t(l, "extract_order")) }
                    }
                }
                @if !o["extraction_id"].is_null() { p { a.order-application href={ "/emergency/" (id) "/application" } { (t(l, "application_print")) } } }
                @if let Some(pk) = packages.get(&id) {
                    ul.packages { @for p in pk { li { code { (p["id"].as_str().unwrap_or("")) } " " a href=(p["href"].as_str().unwrap_or("")) download { (t(l, "download")) } } } }
                }
                @if act("file") {
                    form method="post" action={ "/emergency/" (id) "/file" } {
                        (form_head(&me, &ff))
                        label for={ "form-" (id) } { (t(l, "form")) }
                        select id={ "form-" (id) } name="filing_form" {
                            @for f in profile["emergency"]["filing"]["forms"].as_array().into_iter().flatten() {
                                @let fid = f.as_str().unwrap_or("");
                                option value=(fid) selected[d.v(&ff, "filing_form") == fid] { (form_name(&profile, fid, name)) }
                            }
                        }
                        label for={ "ref-" (id) } { (t(l, "document_reference")) }
                        input id={ "ref-" (id) } name="reference" value=(d.v(&ff, "reference")) required;
                        @if let Some(e) = d.err(&ff, "reference") { p.field-error { (e) } }
                        @if o["follow_up_due"] == true || d.err(&ff, "delay_reason").is_some() {
                            label for={ "delay-" (id) } { (t(l, "delay_reason")) }
                            input id={ "delay-" (id) } name="delay_reason" value=(d.v(&ff, "delay_reason"));
                            @if let Some(e) = d.err(&ff, "delay_reason") { p.field-error { (e) } }
                        }
                        button.file-order { (t(l, "file_order")) }
                    }
                }
                @let fl = format!("ledger-{id}");
                @if act("ledger") {
                    (d.alert(&fl))
                    form method="post" action={ "/emergency/" (id) "/ledger" } {
                        (form_head(&me, &fl))
                        // Blank: handed over at the extraction (the agency made it on its own PC).
                        label for={ "handover-" (id) } { (t(l, "handover_date")) }
                        input id={ "handover-" (id) } name="handed_over_at" type="datetime-local" value=(d.v(&fl, "handed_over_at"));
                        @if let Some(e) = d.err(&fl, "handed_over_at") { p.field-error { (e) } }
                        label for={ "hashes-" (id) } { (t(l, "data_hashes")) }
                        textarea id={ "hashes-" (id) } name="data_hashes" rows="3" { (d.v(&fl, "data_hashes")) }
                        @if let Some(e) = d.err(&fl, "data_hashes") { p.field-error { (e) } }
                        button.ledger-order { (t(l, "write_ledger")) }
                    }
                }
                // NIS-11.2: the entry is reported to the operations chief, which closes the order.
                @let fr = format!("report-{id}");
                @if act("report") {
                    (d.alert(&fr))
                    form method="post" action={ "/emergency/" (id) "/report" } {
                        (form_head(&me, &fr))
                        button.report-order { (t(l, "report_order")) }
                    }
                }
                @if !o["reported_at"].is_null() { p.reported { (t(l, "reported_at")) ": " (when(l, &o["reported_at"])) } }
            }
        }
        @if me.can("emergency.order") {
            section.actions {
                h2 { (t(l, "new_order")) }
                (d.alert("order"))
                form method="post" action="/emergency/new" novalidate {
                    (form_head(&me, "order"))
                    label for="executor" { (t(l, "executor")) }
                    select #executor name="executor" {
                        @for e in executors.as_array().into_iter().flatten() { option value=(e["id"]) selected[d.v("order", "executor").parse::<i64>().ok() == e["id"].as_i64()] { (e["display_name"].as_str().unwrap_or("")) } }
                    }
                    @if let Some(e) = d.err("order", "executor_account") { p.field-error { (e) } }
                    fieldset {
                        legend { (t(l, "cameras_field")) }
                        @for c in cams.as_array().into_iter().flatten() {
                            @let code = c["code"].as_str().unwrap_or("");
                            label.check { input type="checkbox" name={ "cam:" (code) } value="1" checked[!d.v("order", &format!("cam:{code}")).is_empty()]; (code) " " (c["name"].as_str().unwrap_or("")) }
                        }
                        @if let Some(e) = d.err("order", "cameras") { p.field-error { (e) } }
                    }
                    label for="from" { (t(l, "range_from")) }
                    input #from name="from" type="datetime-local" step="1" value=(d.v("order", "from")) required;
                    @if let Some(e) = d.err("order", "from") { p.field-error { (e) } }
                    label for="to" { (t(l, "range_to")) }
                    input #to name="to" type="datetime-local" step="1" value=(d.v("order", "to")) required;
                    @if let Some(e) = d.err("order", "to").or_else(|| d.err("order", "range")) { p.field-error { (e) } }
                    label for="purpose" { (t(l, "purpose")) }
                    select #purpose name="purpose" {
                        @for p in profile["purposes"].as_array().into_iter().flatten().filter(|p| {
                            // Only the purposes the emergency path serves (ASA-3.5b).
                            let served = profile["emergency"]["purposes"].as_array();
                            served.is_none_or(|v| v.is_empty() || v.contains(&p["id"]))
                        }) { option value=(p["id"].as_str().unwrap_or("")) selected[d.v("order", "purpose") == p["id"].as_str().unwrap_or("")] { (p[name].as_str().unwrap_or("")) } }
                    }
                    label for="urgency_reason" { (t(l, "urgency_reason")) }
                    input #urgency_reason name="urgency_reason" value=(d.v("order", "urgency_reason")) required;
                    @if let Some(e) = d.err("order", "urgency_reason") { p.field-error { (e) } }
                    label for="outside_reason" { (t(l, "outside_reason")) }
                    input #outside_reason name="outside_reason" value=(d.v("order", "outside_reason"));
                    @if let Some(e) = d.err("order", "outside_reason") { p.field-error { (e) } }
                    button #order { (t(l, "order")) }
                }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "emergency"), body)).into_response()
}

/// `GET /emergency/{id}/application`: the post-hoc filing as the city's own printed form (NIS
/// 様式第3号 緊急利用申請書兼誓約書: purpose, camera location, extraction date, the pledge in the
/// rules' words; ASA 申請書), addressed as the profile says, A4, dates in the Japanese era.
/// rule: NIS-11.1, ASA-3.5b. A filing made with another body's document (a police 捜査関係事項
/// 照会書) is never printed as if it were the city's: the page says so.
pub async fn order_application(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get("/api/v1/emergency/orders", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let Some(o) = a.json.as_array().into_iter().flatten().find(|o| o["id"].as_i64() == Some(id))
    else {
        return (StatusCode::NOT_FOUND, page(l, Some(&me), &t(l, "not_found"), html! {}))
            .into_response();
    };
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let filing: Vec<&str> = profile["emergency"]["filing"]["forms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    // The form filed, when the city prints it; else the city's own form among those that file.
    let filed = o["filing_form"].as_str();
    let form = match filed {
        Some(f) => printed_form(&profile, f),
        None => filing.iter().find_map(|f| printed_form(&profile, f)),
    };
    let Some(form) = form else {
        let name = if l == Lang::Ja { "name_ja" } else { "name_en" };
        let doc = filed.map_or_else(String::new, |f| form_name(&profile, f, name));
        let body = html! { p.notice #not-printed { (t(l, "filing_not_printed")) " " (doc) } };
        return page(l, Some(&me), &t(l, "application_print"), body).into_response();
    };
    let title = js(&form["name_ja"]).to_owned();
    let cams = ui.api.get("/api/v1/cameras", &headers).await.json;
    let sites = ui.api.get("/api/v1/sites", &headers).await.json;
    let place = |code: &str| {
        let cam = cams.as_array().into_iter().flatten().find(|c| c["code"] == code);
        let site = cam
            .and_then(|c| sites.as_array().into_iter().flatten().find(|x| x["id"] == c["site_id"]));
        match site {
            Some(x) => format!("{}（{}、カメラ {code}）", js(&x["address"]), js(&x["name"])),
            None => code.to_owned(),
        }
    };
    let purpose = profile["purposes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"] == o["purpose"])
        .map_or_else(|| js(&o["purpose"]).to_owned(), |p| js(&p["name_ja"]).to_owned());
    // Dated the day it was filed; before that, the day it is printed to be filled in.
    let dated = if o["filed_at"].is_string() { &o["filed_at"] } else { &me.0["now"] };
    let body = html! {
        article.print-a4.certificate #order-application {
            p.right { (wareki_day(js(dated))) }
            p.addressee { (js(&form["addressed_to"])) " 様" }
            div.right.applicant {
                p { "所属 ＿＿＿＿＿＿＿＿＿＿＿＿" }
                p { "職・氏名 ＿＿＿＿＿＿＿＿＿＿ 印" }
            }
            h2.center { (title) }
            p { "次のとおり、緊急を要するため画像を取り出したので、申請します。" }
            p.center { "記" }
            table {
                tr { th { "利用目的" } td { (purpose) } }
                tr { th { "緊急を要した理由" } td { (js(&o["urgency_reason"])) } }
                tr { th { "防犯カメラ設置場所" } td { @for c in o["cameras"].as_array().into_iter().flatten() { (place(js(c))) br; } } }
                tr { th { "画像の日時" } td { (wareki(js(&o["from"]))) " 〜 " (wareki(js(&o["to"]))) } }
                tr { th { "画像取出日" } td { (wareki_day(js(&o["extracted_at"]))) } }
                tr { th { "整理番号" } td { (js(&o["number"])) } }
            }
            @if let Some(pledge) = form["pledge"].as_str() { p.pledge { (pledge) } }
        }
        p.noprint { button type="button" data-print { (t(l, "print")) } }
    };
    page(l, Some(&me), &title, body).into_response()
}

/// Posts one of the emergency page's forms; a refusal brings the page back filled in.
async fn post_order(ui: &Ui, s: Session, f: &Plain, path: &str, body: Value) -> Response {
    match post_form(ui, &s.headers, f, path, body).await {
        Ok(_) => Redirect::to("/emergency").into_response(),
        Err((status, d)) => emergency_page(ui, s, d, status).await,
    }
}

/// `POST /emergency/new`.
pub async fn create_order(State(ui): State<Arc<Ui>>, s: Session, Form(f): Form<Plain>) -> Response {
    let cameras: Vec<&str> = f.fields.keys().filter_map(|k| k.strip_prefix("cam:")).collect();
    let body = json!({
        "executor_account": num(&f, "executor"), "cameras": cameras,
        "from": jst_input(&txt(&f, "from")), "to": jst_input(&txt(&f, "to")),
        "purpose": txt(&f, "purpose"), "urgency_reason": txt(&f, "urgency_reason"),
        "outside_reason": opt(&f, "outside_reason"),
    });
    post_order(&ui, s, &f, "/api/v1/emergency/orders", body).await
}

/// `POST /emergency/{id}/{extract|file|ledger|report|review-flag}`: the actions the API offers
/// on an order.
pub async fn order_action(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<Plain>,
) -> Response {
    let body = match action.as_str() {
        "extract" | "report" => json!({}),
        "review-flag" => json!({ "note": txt(&f, "note") }),
        "file" => {
            json!({ "form": txt(&f, "filing_form"), "reference": txt(&f, "reference"), "delay_reason": opt(&f, "delay_reason") })
        }
        "ledger" => {
            let raw = txt(&f, "data_hashes");
            let hashes: Vec<&str> = raw.lines().map(str::trim).filter(|x| !x.is_empty()).collect();
            json!({ "handed_over_at": local_instant(&f, "handed_over_at"), "data_hashes": hashes })
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    post_order(&ui, s, &f, &format!("/api/v1/emergency/orders/{id}/{action}"), body).await
}
