//! The police emergency path: orders, extraction, the post-hoc filing.
use super::*;
use policy::emergency::OrderAction;
use server::api::admin::{CameraView, SiteView};
use server::api::emergency::{EmergencyDesk, OrderView};
use server::api::extraction::PackageView;
/// rule: ASA-3.5b, NIS-10.4 (the rules themselves are the API's; this page shows them).
/// `GET /emergency`: emergency orders of my organisation (the city sees all), with the actions
/// this user may take, and the order form for those who may order.
pub async fn emergency(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    emergency_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn emergency_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    // Orders, executors, cameras and my packages: one answer (issue 23, item 6).
    let EmergencyDesk { orders, executors, cameras: cams, packages } =
        or_problem!(ui.api.get_as::<EmergencyDesk>("/api/v1/emergency", &headers).await, l, &me);
    let packages: HashMap<i64, Vec<PackageView>> =
        packages.into_iter().map(|p| (p.order, p.packages)).collect();
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let name = |ja: &str, en: &str| if l == Lang::Ja { ja.to_owned() } else { en.to_owned() };
    let no_forms = Vec::new();
    let filing_forms = profile.emergency.as_ref().map_or(&no_forms, |e| &e.filing.forms);
    // Only the purposes the emergency path serves (ASA-3.5b).
    let served = profile.emergency.as_ref().map(|e| &e.purposes);
    let purposes: Vec<_> = profile
        .purposes
        .iter()
        .filter(|p| served.is_none_or(|v| v.is_empty() || v.contains(&p.id)))
        .collect();
    let confirm = t(l, "confirm_irreversible");
    let body = html! {
        @if orders.is_empty() { p { (t(l, "no_orders")) } }
        @for o in &orders {
            @let id = o.id;
            // What this user may do now is the API's answer (`actions`, from `policy`).
            @let act = |action: OrderAction| o.actions.iter().any(|a| a.action == action);
            section.actions id={ "order-" (id) } {
                h2 { (o.number) " — " span.state { (state_label(l, o.state.as_str())) } }
                p { (o.cameras.join(", ")) " " (when_at(l, &o.from)) " 〜 " (when_at(l, &o.to)) }
                p { (t(l, "urgency_reason")) ": " (o.urgency_reason) }
                @if let Some(due) = &o.filing_due_at { p { (t(l, "filing_due"))
                        ": " (until_at(l, due)) } }
                @if o.follow_up_due { p.problem { (t(l, "follow_up_due")) } }
                // PROD-EMERG-1: given outside night and closed days, with its written reason.
                @if o.flagged {
                    p.flagged { strong { (t(l, "flagged_order")) } " " (t(l, "outside_reason"))
                        ": " (o.outside_reason.as_deref().unwrap_or("")) }
                    @if let Some(at) = &o.flag_reviewed_at {
                        p.flag-reviewed { (t(l, "flag_reviewed")) ": " (when_at(l, at))
                            " — " (o.flag_review_note.as_deref().unwrap_or("")) }
                    }
                }
                @let fv = format!("review-flag-{id}");
                @if act(OrderAction::ReviewFlag) {
                    (d.alert(&fv))
                    form method="post" action={ "/emergency/" (id) "/review-flag" } {
                        (form_head(&me, &fv))
                        label for={ "flag-note-" (id) } { (t(l, "flag_note")) }
                        textarea id={ "flag-note-" (id) } name="note" rows="2" required {
                                (d.v(&fv, "note")) }
                        @if let Some(e) = d.err(&fv, "note") { p.field-error { (e) } }
                        button.review-flag { (t(l, "review_flag")) }
                    }
                }
                @let fx = format!("extract-{id}");
                @let ff = format!("file-{id}");
                (d.alert(&fx)) (d.alert(&ff))
                @if act(OrderAction::Extract) {
                    form method="post" action={ "/emergency/" (id) "/extract" }
                        data-confirm=(confirm) {
                        (form_head(&me, &fx))
                        button.extract-order { (t(l, "extract_order")) }
                    }
                }
                @if o.extraction_id.is_some() { p {
                        a.order-application href={ "/emergency/" (id) "/application" } {
                            (t(l, "application_print")) } } }
                @if let Some(pk) = packages.get(&id) {
                    ul.packages { @for p in pk { li { code { (p.id) }
                                " " a href=(p.href) download { (t(l, "download")) } } } }
                }
                @if act(OrderAction::File) {
                    form method="post" action={ "/emergency/" (id) "/file" } {
                        (form_head(&me, &ff))
                        label for={ "form-" (id) } { (t(l, "form")) }
                        select id={ "form-" (id) } name="filing_form" {
                            @for fid in filing_forms {
                                option value=(fid) selected[d.v(&ff, "filing_form") == *fid] {
                                        (form_title(&profile, fid, l)) }
                            }
                        }
                        label for={ "ref-" (id) } { (t(l, "document_reference")) }
                        input id={ "ref-" (id) } name="reference" value=(d.v(&ff, "reference"))
                            required;
                        @if let Some(e) = d.err(&ff, "reference") { p.field-error { (e) } }
                        @if o.follow_up_due || d.err(&ff, "delay_reason").is_some() {
                            label for={ "delay-" (id) } { (t(l, "delay_reason")) }
                            input id={ "delay-" (id) } name="delay_reason"
                                value=(d.v(&ff, "delay_reason"));
                            @if let Some(e) = d.err(&ff, "delay_reason") { p.field-error { (e) } }
                        }
                        button.file-order { (t(l, "file_order")) }
                    }
                }
                @let fl = format!("ledger-{id}");
                @if act(OrderAction::Ledger) {
                    (d.alert(&fl))
                    form method="post" action={ "/emergency/" (id) "/ledger" } {
                        (form_head(&me, &fl))
                        // Blank: handed over at the extraction (the agency made it on its own PC).
                        label for={ "handover-" (id) } { (t(l, "handover_date")) }
                        input id={ "handover-" (id) } name="handed_over_at" type="datetime-local"
                            value=(d.v(&fl, "handed_over_at"));
                        @if let Some(e) = d.err(&fl, "handed_over_at") { p.field-error { (e) } }
                        label for={ "hashes-" (id) } { (t(l, "data_hashes")) }
                        textarea id={ "hashes-" (id) } name="data_hashes" rows="3" {
                                (d.v(&fl, "data_hashes")) }
                        @if let Some(e) = d.err(&fl, "data_hashes") { p.field-error { (e) } }
                        button.ledger-order { (t(l, "write_ledger")) }
                    }
                }
                // NIS-11.2: the entry is reported to the operations chief, which closes the order.
                @let fr = format!("report-{id}");
                @if act(OrderAction::Report) {
                    (d.alert(&fr))
                    form method="post" action={ "/emergency/" (id) "/report" } {
                        (form_head(&me, &fr))
                        button.report-order { (t(l, "report_order")) }
                    }
                }
                @if let Some(at) = &o.reported_at { p.reported { (t(l, "reported_at"))
                        ": " (when_at(l, at)) } }
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
                        @for e in &executors { option value=(e.id)
                            selected[d.v("order", "executor").parse::<i64>().ok() == Some(e.id)] {
                                (e.display_name) } }
                    }
                    @if let Some(e) = d.err("order", "executor_account") { p.field-error { (e) } }
                    fieldset {
                        legend { (t(l, "cameras_field")) }
                        @for c in &cams {
                            label.check { input type="checkbox" name={ "cam:" (c.code) } value="1"
                                checked[!d.v("order", &format!("cam:{}", c.code)).is_empty()];
                                (c.code) " " (c.name) }
                        }
                        @if let Some(e) = d.err("order", "cameras") { p.field-error { (e) } }
                    }
                    label for="from" { (t(l, "range_from")) }
                    input #from name="from" type="datetime-local" step="1"
                        value=(d.v("order", "from")) required;
                    @if let Some(e) = d.err("order", "from") { p.field-error { (e) } }
                    label for="to" { (t(l, "range_to")) }
                    input #to name="to" type="datetime-local" step="1" value=(d.v("order", "to"))
                        required;
                    @if let Some(e) = d.err("order", "to").or_else(|| d.err("order", "range")) {
                        p.field-error { (e) } }
                    label for="purpose" { (t(l, "purpose")) }
                    select #purpose name="purpose" {
                        @for p in &purposes { option value=(p.id)
                            selected[d.v("order", "purpose") == p.id] {
                                (name(&p.name_ja, &p.name_en)) } }
                    }
                    label for="urgency_reason" { (t(l, "urgency_reason")) }
                    input #urgency_reason name="urgency_reason"
                        value=(d.v("order", "urgency_reason")) required;
                    @if let Some(e) = d.err("order", "urgency_reason") { p.field-error { (e) } }
                    label for="outside_reason" { (t(l, "outside_reason")) }
                    input #outside_reason name="outside_reason"
                        value=(d.v("order", "outside_reason"));
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
    let orders = or_problem!(
        ui.api.get_as::<Vec<OrderView>>("/api/v1/emergency/orders", &headers).await,
        l,
        &me
    );
    let Some(o) = orders.iter().find(|o| o.id == id) else {
        return (StatusCode::NOT_FOUND, page(l, Some(&me), &t(l, "not_found"), html! {}))
            .into_response();
    };
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let printed = |id: &str| profile.form(id).filter(|f| f.printed);
    // The form filed, when the city prints it; else the city's own form among those that file.
    let filed = o.filing_form.as_deref();
    let form = match filed {
        Some(f) => printed(f),
        None => profile.emergency.iter().flat_map(|e| &e.filing.forms).find_map(|f| printed(f)),
    };
    let Some(form) = form else {
        let doc = filed.map_or_else(String::new, |f| form_title(&profile, f, l));
        let body = html! { p.notice #not-printed { (t(l, "filing_not_printed")) " " (doc) } };
        return page(l, Some(&me), &t(l, "application_print"), body).into_response();
    };
    let title = form.name_ja.clone();
    let cams = ui.api.get_as::<Vec<CameraView>>("/api/v1/cameras", &headers).await;
    let sites = ui.api.get_as::<Vec<SiteView>>("/api/v1/sites", &headers).await;
    let (cams, sites) = (cams.unwrap_or_default(), sites.unwrap_or_default());
    let place = |code: &str| {
        let cam = cams.iter().find(|c| c.code == code);
        match cam.and_then(|c| sites.iter().find(|x| x.id == c.site_id)) {
            Some(x) => format!("{}（{}、カメラ {code}）", x.address, x.name),
            None => code.to_owned(),
        }
    };
    let purpose =
        profile.purpose(&o.purpose).map_or_else(|| o.purpose.clone(), |p| p.name_ja.clone());
    // Dated the day it was filed; before that, the day it is printed to be filled in.
    let dated = o.filed_at.as_deref().unwrap_or(me.now());
    let extracted_at = o.extracted_at.clone().flatten().unwrap_or_default();
    let body = html! {
        article.print-a4.certificate #order-application {
            p.right { (wareki_day(dated)) }
            p.addressee { (form.addressed_to.as_deref().unwrap_or("")) " 様" }
            div.right.applicant {
                p { "所属 ＿＿＿＿＿＿＿＿＿＿＿＿" }
                p { "職・氏名 ＿＿＿＿＿＿＿＿＿＿ 印" }
            }
            h2.center { (title) }
            p { "次のとおり、緊急を要するため画像を取り出したので、申請します。" }
            p.center { "記" }
            table {
                tr { th { "利用目的" } td { (purpose) } }
                tr { th { "緊急を要した理由" } td { (o.urgency_reason) } }
                tr { th { "防犯カメラ設置場所" } td { @for c in &o.cameras { (place(c)) br; } } }
                tr { th { "画像の日時" } td { (wareki(&o.from)) " 〜 " (wareki(&o.to)) } }
                tr { th { "画像取出日" } td { (wareki_day(&extracted_at)) } }
                tr { th { "整理番号" } td { (o.number) } }
            }
            @if let Some(pledge) = &form.pledge { p.pledge { (pledge) } }
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
    // The path writes the action with a hyphen (`review-flag`), as the API's path does.
    let Some(action) = super::forms::named::<OrderAction>(&action.replace('-', "_")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = match action {
        OrderAction::Extract | OrderAction::Report => json!({}),
        OrderAction::ReviewFlag => json!({ "note": txt(&f, "note") }),
        OrderAction::File => {
            json!({ "form": txt(&f, "filing_form"), "reference": txt(&f, "reference"),
                    "delay_reason": opt(&f, "delay_reason") })
        }
        OrderAction::Ledger => {
            let raw = txt(&f, "data_hashes");
            let hashes: Vec<&str> = raw.lines().map(str::trim).filter(|x| !x.is_empty()).collect();
            json!({ "handed_over_at": local_instant(&f, "handed_over_at"), "data_hashes": hashes })
        }
    };
    let path = format!("/api/v1/emergency/orders/{id}/{}", code(&action).replace('_', "-"));
    post_order(&ui, s, &f, &path, body).await
}
