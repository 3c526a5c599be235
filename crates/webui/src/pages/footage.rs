//! Requests, their review, instructions, extraction and the usage ledger.
use super::*;
use policy::workflow::{InstructionAction, RequestAction};
use server::api::admin::CameraView;
use server::api::extraction::{ExtractionPackages, PackageView};
use server::api::footage::{
    Certificate, InstructionView, LedgerView, Person, Recipient, RequestDetail, RequestView,
};
/// `GET /requests?state=&q=&before=`: a page of the requests, filtered, with the next page.
pub async fn requests(
    State(ui): State<Arc<Ui>>,
    s: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let Session { l, me, headers } = s;
    let pick = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut query: Vec<(&str, &str)> = Vec::new();
    for k in ["state", "q", "before"] {
        if let Some(v) = pick(k) {
            query.push((k, v));
        }
    }
    let qs = query
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let a = ui.api.get(&format!("/api/v1/requests?{qs}"), &headers).await;
    let next = a.next.as_deref().and_then(|n| n.strip_prefix("/api/v1")).map(str::to_owned);
    let rows = match a.read::<Vec<RequestView>>() {
        Ok(rows) => rows,
        Err(a) => return problem_page(l, Some(&me), &a),
    };
    // The filter offers every state the workflow has (typed in `policy`, named by the catalogue).
    let states = policy::workflow::RequestState::ALL.map(policy::workflow::RequestState::as_str);
    let chosen = pick("state").unwrap_or("");
    let body = html! {
        form.filters method="get" action="/requests" role="search" {
            label for="f-state" { (t(l, "state")) }
            select #f-state name="state" {
                option value="" { (t(l, "all_states")) }
                @for s in states { option value=(s) selected[chosen == s] { (state_label(l, s)) } }
            }
            label for="f-q" { (t(l, "filter_text")) }
            input #f-q name="q" type="search" value=(pick("q").unwrap_or(""));
            button type="submit" { (t(l, "search")) }
        }
        (request_list(l, &rows))
        @if let Some(n) = &next { p { a #next-page href=(n) rel="next" { (t(l, "next_page")) } } }
        p { a #csv href={ "/requests.csv?" (qs) } download { (t(l, "download_csv")) } }
    };
    page(l, Some(&me), &t(l, "requests"), body).into_response()
}

/// Values and errors of the request form, kept when it fails.
#[derive(Default)]
struct RequestDraft {
    values: HashMap<String, String>,
    errors: Vec<FieldProblem>,
    detail: Option<String>,
    rule: Option<String>,
}

fn field_error(d: &RequestDraft, field: &str) -> Option<String> {
    message_for(&d.errors, field)
}

/// The request form's input for an API field, for the summary's links.
fn request_input_id(field: &str) -> String {
    match base_field(field) {
        "documents" => "doc-0".to_owned(),
        "cameras" => "cameras-field".to_owned(),
        other => other.to_owned(),
    }
}

async fn request_form(ui: &Ui, headers: &HeaderMap, me: &Me, l: Lang, d: &RequestDraft) -> Markup {
    // The form is drawn whatever these answer; a read that fails leaves its choices empty and
    // the API says what is missing when the form is sent.
    let profile = ui.profile(headers).await.ok();
    let cams = ui.api.get_as::<Vec<CameraView>>("/api/v1/cameras", headers).await;
    let cams = cams.unwrap_or_default();
    let named = |ja: &str, en: &str| if l == Lang::Ja { ja.to_owned() } else { en.to_owned() };
    let v = |k: &str| d.values.get(k).cloned().unwrap_or_default();
    let err = |k: &str| field_error(d, k);
    let chosen: Vec<String> = v("cameras").split(',').map(str::to_owned).collect();
    let bases = profile.as_ref().map_or(&[][..], |p| &p.bases[..]);
    let purposes = profile.as_ref().map_or(&[][..], |p| &p.purposes[..]);
    // Every document a basis asks for, then the city's own request form, each once.
    let forms: Vec<&str> = {
        let mut f: Vec<&str> = Vec::new();
        let request_form = profile.as_ref().and_then(|p| p.workflow.request_form.as_deref());
        let named = bases.iter().flat_map(|b| b.documents.iter().chain(&b.documents_any_of));
        for x in named.map(String::as_str).chain(request_form) {
            if !f.contains(&x) {
                f.push(x);
            }
        }
        f
    };
    let form_label = |id: &str| match &profile {
        Some(p) => form_title(p, id, l),
        None => id.to_owned(),
    };
    html! {
        @if let Some(dt) = &d.detail {
            (error_summary(dt, d.rule.as_deref(), &d.errors, &request_input_id))
        }
        form method="post" action="/requests/new" novalidate {
            (form_head(me, "request"))
            label for="basis" { (t(l, "basis")) }
            select #basis name="basis" required aria-describedby="basis-err" {
                // No legal basis is assumed: the applicant chooses one (issue 19, item 7).
                option value="" { (t(l, "choose")) }
                @for b in bases {
                    option value=(b.id) selected[v("basis") == b.id] {
                            (named(&b.name_ja, &b.name_en))
                        " (" (b.rule.as_str()) ")" }
                }
            }
            @if let Some(e) = err("basis") { p.field-error #basis-err { (e) } }
            label for="purpose" { (t(l, "purpose")) }
            select #purpose name="purpose" required {
                option value="" { (t(l, "choose")) }
                @for p in purposes {
                    option value=(p.id) selected[v("purpose") == p.id] {
                            (named(&p.name_ja, &p.name_en)) }
                }
            }
            @if let Some(e) = err("purpose") { p.field-error { (e) } }
            label for="recipient" { (t(l, "recipient")) }
            input #recipient name="recipient" value=(v("recipient")) required;
            @if let Some(e) = err("recipient") { p.field-error { (e) } }
            label for="case_summary" { (t(l, "case_summary")) }
            textarea #case_summary name="case_summary" rows="3" { (v("case_summary")) }
            @if let Some(e) = err("case_summary") { p.field-error { (e) } }
            fieldset {
                legend { (t(l, "documents")) }
                @for (i, f) in forms.iter().enumerate() {
                    label for={ "doc-" (i) } { (form_label(f)) " — " (t(l, "document_reference")) }
                    input id={ "doc-" (i) } name={ "doc:" (f) } value=(v(&format!("doc:{f}")));
                }
                @if let Some(e) = err("documents") { p.field-error { (e) } }
            }
            fieldset #cameras-field {
                legend { (t(l, "cameras_field")) }
                @for c in &cams {
                    label.check {
                        input type="checkbox" name={ "cam:" (c.code) } value="1"
                            checked[chosen.contains(&c.code)];
                        (c.code) " " (c.name)
                    }
                }
                @if let Some(e) = err("cameras") { p.field-error { (e) } }
            }
            label for="from" { (t(l, "range_from")) }
            input #from name="from" type="datetime-local" step="1" value=(v("from")) required;
            @if let Some(e) = err("from") { p.field-error { (e) } }
            label for="to" { (t(l, "range_to")) }
            input #to name="to" type="datetime-local" step="1" value=(v("to")) required;
            @if let Some(e) = err("to").or_else(|| err("range")) { p.field-error { (e) } }
            button type="submit" { (t(l, "submit")) }
        }
    }
}

/// `GET /requests/new`.
pub async fn new_request(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    let Session { l, me, headers } = s;
    if !me.can("request.submit") {
        // The API would refuse the POST too; the page says so at once.
        let a = ui.api.post("/api/v1/requests", &headers, me.csrf(), json!({})).await;
        return problem_page(l, Some(&me), &a);
    }
    let form = request_form(&ui, &headers, &me, l, &RequestDraft::default()).await;
    page(l, Some(&me), &t(l, "new_request"), form).into_response()
}

/// `POST /requests/new`.
pub async fn create_request(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let Session { l, me, headers } = s;
    let get = |k: &str| field(&f, k);
    let cameras = checked_cameras(&f);
    let documents: Vec<Value> = f
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("doc:")
                .filter(|_| !v.trim().is_empty())
                .map(|form| json!({ "form": form, "reference": v.trim() }))
        })
        .collect();
    let body = json!({
        "basis": get("basis"), "purpose": get("purpose"), "recipient": get("recipient"),
        "case_summary": get("case_summary"), "documents": documents, "cameras": cameras,
        "from": jst_input(&get("from")), "to": jst_input(&get("to")),
    });
    // The form's one-time token: Back and submit again files once.
    let once = get("form_token");
    let key = Some(once.as_str()).filter(|k| !k.is_empty());
    let a = ui
        .api
        .call_once(Method::POST, "/api/v1/requests", &headers, Some(&get("csrf")), key, Some(body))
        .await;
    if a.ok() {
        let filed = or_problem!(a.read::<RequestView>(), l, &me);
        return Redirect::to(&format!("/requests/{}", filed.id)).into_response();
    }
    // Nothing typed is lost: the form comes back with the API's messages beside the fields.
    let mut values: HashMap<String, String> = f.iter().cloned().collect();
    values.insert("cameras".into(), cameras.join(","));
    let d =
        RequestDraft { values, errors: a.field_errors(), detail: Some(a.detail()), rule: a.rule() };
    let form = request_form(&ui, &headers, &me, l, &d).await;
    (a.status, page(l, Some(&me), &t(l, "new_request"), form)).into_response()
}

/// `GET /requests/{id}`: the request, its instructions, extractions and packages, and the
/// actions this user may take now.
pub async fn request(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let d = Draft { done: q.get("done").cloned(), ..Draft::default() };
    request_page(&ui, s, id, d, StatusCode::OK).await
}

/// The request page; `d` carries a refused form back, filled in, with the API's messages.
async fn request_page(ui: &Arc<Ui>, s: Session, id: i64, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let r = or_problem!(
        ui.api.get_as::<RequestDetail>(&format!("/api/v1/requests/{id}"), &headers).await,
        l,
        &me
    );
    // What this user may do now is the API's answer (`actions`, from `policy`); the page never
    // decides it from state names.
    let act = |action: RequestAction| r.actions.iter().flatten().any(|a| a.action == action);
    // The sections below are what this PC and person may also do; one the API refuses here (the
    // packages off the PC they were made on) is left out, and the case file still shows.
    let mut packages: Vec<(i64, PackageView)> = Vec::new();
    for e in r.extractions.iter().filter(|e| e.operator_id == me.id()) {
        let path = format!("/api/v1/extractions/{}/packages", e.id);
        if let Ok(p) = ui.api.get_as::<ExtractionPackages>(&path, &headers).await {
            packages.extend(p.packages.into_iter().map(|p| (e.id, p)));
        }
    }
    // rule: ALL-REC-2 — the extractor may look at a still of each camera (aim and masks) while
    // the request awaits its ledger entry.
    let camera_ids: HashMap<String, i64> = if !packages.is_empty() && r.awaits_ledger == Some(true)
    {
        let cams = ui.api.get_as::<Vec<CameraView>>("/api/v1/cameras", &headers).await;
        cams.into_iter().flatten().map(|c| (c.code, c.id)).collect()
    } else {
        HashMap::new()
    };
    // Instructions this user can act on now (`actions`, from `policy`).
    let offers = |i: &InstructionView, action: InstructionAction| {
        i.actions.iter().any(|a| a.action == action)
    };
    let my_open: Vec<&InstructionView> =
        r.instructions.iter().filter(|i| !i.actions.is_empty()).collect();
    let recipients = |step: i64| {
        let ui = ui.clone();
        let headers = headers.clone();
        async move {
            let path = format!("/api/v1/instructions/recipients?step={step}");
            ui.api.get_as::<Vec<Recipient>>(&path, &headers).await
        }
    };
    let first_recipients = match act(RequestAction::Instruct) {
        true => recipients(1).await.unwrap_or_default(),
        false => Vec::new(),
    };
    let mut relay_to = HashMap::new();
    for i in my_open.iter().filter(|i| offers(i, InstructionAction::PassOn)) {
        relay_to.insert(i.id, recipients(i.step + 1).await.unwrap_or_default());
    }
    let confirm = t(l, "confirm_irreversible");
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let footage = &r.footage;
    let q = &r.request;
    let person = |p: &Option<Person>| p.as_ref().map(|p| (p.name.clone(), p.organisation.clone()));
    let body = html! {
        (d.confirmation(l))
        dl.record {
            dt { (t(l, "number")) } dd #number { (q.number) }
            dt { (t(l, "applicant")) } dd #applicant {
                @if let Some((name, org)) = person(&r.applicant) { (name) "（" (org) "）" }
                @else { "（）" }
            }
            dt { (t(l, "state")) } dd #state { (state_label(l, q.state.as_str())) }
            dt { (t(l, "basis")) }
            dd { (q.basis_name_ja.as_deref().unwrap_or(""))
                " (" (q.basis_rule.as_deref().unwrap_or("")) ")" }
            dt { (t(l, "purpose")) } dd { (q.purpose_name_ja.as_deref().unwrap_or("")) }
            dt { (t(l, "recipient")) } dd { (q.recipient) }
            dt { (t(l, "case_summary")) } dd { (q.case_summary) }
            dt { (t(l, "cameras_field")) } dd { (q.cameras.join(", ")) }
            dt { (t(l, "range_from")) } dd { (when_at(l, &q.from)) }
            dt { (t(l, "range_to")) } dd { (when_at(l, &q.to)) }
            dt { (t(l, "submitted_at")) } dd { (when_at(l, &q.created_at)) }
            dt { (t(l, "documents")) } dd #documents {
                @for doc in &q.documents {
                    (form_title(&profile, &doc.form, l)) ": " (doc.reference) br;
                }
            }
            dt { (t(l, "footage_erased_at")) } dd #footage-erasure {
                (footage.erased_at.as_deref().map(|at| when_at(l, at)).unwrap_or_default())
                @if footage.held { " — " (t(l, "footage_held")) }
                @else if footage.erased { " — " (t(l, "footage_erased")) }
                " (" (footage.rule) ")"
            }
        }
        section #timeline {
            h2 { (t(l, "timeline")) }
            table {
                (head(l, &["when", "step", "step_by", "details"]))
                tbody {
                    @for x in &r.timeline {
                        tr {
                            td { (when_at(l, &x.at)) }
                            td { (label(l, "step", &code(&x.kind))) }
                            td {
                                @if let Some((name, org)) = person(&x.by) {
                                    (name)
                                    @if !org.is_empty() { "（" (org) "）" }
                                }
                                @if let Some(role) = x.role.as_deref().filter(|r| !r.is_empty()) {
                                    br;
                                    small { (role) } }
                            }
                            td {
                                @if let Some((name, org)) = person(&x.to) { (t(l, "to_person"))
                                    " " (name) "（" (org) "） " }
                                (x.note.as_deref().unwrap_or(""))
                            }
                        }
                    }
                }
            }
        }
        p { a #application-link href={ "/requests/" (id) "/application" } {
                (t(l, "application_print")) } }
        @if let Some(n) = &q.certificate_number {
            p { a href={ "/requests/" (id) "/certificate" } { (t(l, "certificate")) " " (n) } }
        }
        @if act(RequestAction::Relay) {
            (d.alert("relay"))
            form method="post" action={ "/requests/" (id) "/act/relay" } { (form_head(&me, "relay"))
                button #relay { (t(l, "relay")) } }
        }
        @if act(RequestAction::Approve) {
            section.actions {
                h2 { (t(l, "reviewed")) }
                form method="post" action={ "/requests/" (id) "/act/approve" } {
                        (form_head(&me, "approve"))
                    button #approve { (t(l, "approve")) } }
                (d.alert("approve"))
                (d.alert("refuse"))
                form method="post" action={ "/requests/" (id) "/act/refuse" } {
                    (form_head(&me, "refuse"))
                    label for="reason" { (t(l, "refuse_reason")) }
                    input #reason name="reason" value=(d.v("refuse", "reason")) required;
                    @if let Some(e) = d.err("refuse", "reason") { p.field-error { (e) } }
                    button #refuse { (t(l, "refuse")) }
                }
            }
        }
        @if act(RequestAction::Instruct) {
            section.actions {
                h2 { (t(l, "instruct")) }
                (d.alert("instruct"))
                form method="post" action={ "/requests/" (id) "/instruct" } {
                    (form_head(&me, "instruct"))
                    label for="to_account" { (t(l, "instruct_to")) }
                    select #to_account name="to_account" required {
                        @for a in &first_recipients {
                            option value=(a.id) { (a.display_name)
                                " (" (if l == Lang::Ja { &a.role_name_ja } else {
                                    &a.role_name_en }.as_deref().unwrap_or(""))
                                ")" }
                        }
                    }
                    label for="note" { (t(l, "instruction_note")) }
                    input #note name="note" value=(d.v("instruct", "note"));
                    button #instruct { (t(l, "instruct")) }
                }
            }
        }
        @for i in &my_open {
            section.actions {
                h2 { (t(l, "instructions")) " #" (i.id) }
                @if let Some(list) = relay_to.get(&i.id) {
                    (d.alert("relay_instruction"))
                    form method="post" action={ "/instructions/" (i.id) "/pass_on" } {
                        (form_head(&me, "relay_instruction"))
                        input type="hidden" name="request" value=(id);
                        label for="relay_to" { (t(l, "instruct_to")) }
                        select #relay_to name="to_account" {
                            @for a in list { option value=(a.id) { (a.display_name) } }
                        }
                        button #relay-instruction { (t(l, "relay")) }
                    }
                }
                @if offers(i, InstructionAction::Extract) {
                    (d.alert("extract"))
                    form method="post" action={ "/instructions/" (i.id) "/extract" }
                        data-confirm=(confirm) {
                        (form_head(&me, "extract"))
                        input type="hidden" name="request" value=(id);
                        label for="passphrase" { (t(l, "encrypt_passphrase")) }
                        input #passphrase name="passphrase" type="password"
                            autocomplete="new-password";
                        @if let Some(e) = d.err("extract", "encrypt") { p.field-error { (e) } }
                        button #extract { (t(l, "extract")) }
                    }
                }
            }
        }
        @if !packages.is_empty() {
            section {
                h2 { (t(l, "packages")) }
                table #packages {
                    thead { tr { th { "ID" } th { (t(l, "cameras_field")) }
                            th { "SHA-256 (manifest)" } th { "" } th { "" } } }
                    tbody {
                        @for (eid, p) in &packages {
                            tr {
                                td { code { (p.id) } }
                                td { (p.camera) }
                                td { code.hash { (p.manifest_sha256) } }
                                td { a href=(p.href) download=(p.file_name) { (t(l, "download")) }
                                    br; small { (p.file_name) } }
                                td {
                                    @if let Some(cid) = camera_ids.get(&p.camera) {
                                        a.still target="_blank"
                                            href={ "/api/v1/cameras/" (cid)
                                                "/still?extraction=" (eid) }
                                        { (t(l, "still_for_aim")) }
                                    }
                                }
                            }
                        }
                    }
                }
                // Every package of an extraction in one zip (issue 19, item 6), for its extractor.
                @for eid in package_extractions(&packages) {
                    p.download-all {
                        a #{ "download-all-" (eid) }
                        href={ "/api/v1/extractions/" (eid) "/packages.zip" } download {
                            (t(l, "download_all"))
                        }
                        " " small { (t(l, "download_all_note")) }
                    }
                }
            }
        }
        @if act(RequestAction::Report) {
            @for e in r.extractions.iter()
                .filter(|e| e.operator_id == me.id() && e.reported_at.is_none())
            {
                section.actions {
                    h2 { (t(l, "report_extraction")) }
                    (d.alert("report"))
                    form method="post" action={ "/requests/" (id) "/report/" (e.id) } {
                        (form_head(&me, "report"))
                        button #report { (t(l, "report_extraction")) }
                    }
                }
            }
        }
        @if act(RequestAction::Ledger) {
            section.actions {
                h2 { (t(l, "write_ledger")) }
                (d.alert("ledger"))
                form method="post" action={ "/requests/" (id) "/ledger" } novalidate {
                    (form_head(&me, "ledger"))
                    // 提供日時 (LEDGER-1, KIT-6.3): date and time, now unless changed.
                    label for="handed_over_at" { (t(l, "handover_date"))
                        " " span.req aria-hidden="true" { "*" } }
                    input #handed_over_at name="handed_over_at" type="datetime-local"
                        step="1" required
                        value=(if d.form == "ledger" { d.v("ledger", "handed_over_at") } else {
                            me.now().chars().take(19).collect::<String>() });
                    @if let Some(e) = d.err("ledger", "handed_over_at") {
                        p.field-error #handed_over_at-err { (e) } }
                    label for="data_hashes" { (t(l, "data_hashes")) }
                    textarea #data_hashes name="data_hashes" rows="3" {
                        @if d.form == "ledger" { (d.v("ledger", "data_hashes")) } @else {
                        @for e in &r.extractions {
                            @for h in e.manifest_hash.as_deref().unwrap_or("").split_whitespace() {
                                "sha256:" (h)
                                "\n" }
                        }
                        }
                    }
                    @if let Some(e) = d.err("ledger", "data_hashes") { p.field-error { (e) } }
                    button #write-ledger { (t(l, "write_ledger")) }
                }
            }
        }
        @if act(RequestAction::Withdraw) {
            (d.alert("withdraw"))
            form method="post" action={ "/requests/" (id) "/act/withdraw" } data-confirm=(confirm) {
                    (form_head(&me, "withdraw"))
                button { (t(l, "withdraw")) } }
        }
    };
    let title = format!("{} {}", t(l, "requests"), q.number);
    (status, page(l, Some(&me), &title, body)).into_response()
}

/// `GET /requests/{id}/application`: the request as the city's own printed application form
/// (ASA 申請書, NIS 様式第2号 利用申請書兼誓約書), addressed and pledged as the profile's form
/// says, A4, dates in the Japanese era, no rule IDs or codes (issue 18 item 6). Where the city
/// has no form of its own (the police send their inquiry letter), the page prints the request
/// as received, addressed to the role that decides it, with no pledge the rules do not state.
pub async fn application(State(ui): State<Arc<Ui>>, s: Session, Path(id): Path<i64>) -> Response {
    let Session { l, me, headers } = s;
    let r = or_problem!(
        ui.api.get_as::<RequestDetail>(&format!("/api/v1/requests/{id}"), &headers).await,
        l,
        &me
    )
    .request;
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let printed = |id: &str| profile.form(id).filter(|f| f.printed);
    // The profile's own application form, else a printed form among the documents attached.
    let form = profile
        .workflow
        .request_form
        .as_deref()
        .and_then(printed)
        .or_else(|| r.documents.iter().find_map(|d| printed(&d.form)));
    let title = form.map_or_else(|| "画像提供申請書".to_owned(), |f| f.name_ja.clone());
    // Addressed as the form says; else to the role that decides requests, by the rules' name.
    let addressee = form.and_then(|f| f.addressed_to.clone()).unwrap_or_else(|| {
        let decider = profile.workflow.reviewed_by.first().and_then(|id| profile.role(id));
        format!("{} {}", profile.profile.name_ja, decider.map_or("", |x| x.name_ja.as_str()))
    });
    let body = html! {
        article.print-a4.certificate #application {
            p.right { (wareki_day(&r.created_at)) }
            p.addressee { (addressee) " 様" }
            div.right.applicant {
                p { (r.recipient) }
                p { "申請者 ＿＿＿＿＿＿＿＿＿＿ 印" }
            }
            h2.center { (title) }
            p { "次のとおり、防犯カメラの画像の提供を申請します。" }
            p.center { "記" }
            table {
                tr { th { "提供を受ける者" } td { (r.recipient) } }
                tr { th { "提供を求める根拠" } td { (r.basis_name_ja.as_deref().unwrap_or("")) } }
                tr { th { "利用目的" } td { (r.purpose_name_ja.as_deref().unwrap_or("")) } }
                tr { th { "事件の概要" } td { (r.case_summary) } }
                tr { th { "防犯カメラ" } td { (r.cameras.join(", ")) } }
                tr { th { "画像の日時" } td { (wareki(&r.from)) " 〜 " (wareki(&r.to)) } }
                tr { th { "添付書類" }
                    td { @for d in &r.documents { (form_title(&profile, &d.form, Lang::Ja))
                            " " (d.reference) br; } } }
                tr { th { "整理番号" } td { (r.number) } }
            }
            @if let Some(pledge) = form.and_then(|f| f.pledge.as_deref()) { p.pledge { (pledge) } }
        }
        p.noprint { button type="button" data-print { (t(l, "print")) } }
    };
    page(l, Some(&me), &title, body).into_response()
}

/// `GET /requests/{id}/certificate`: the approval certificate, printable on A4.
pub async fn certificate(State(ui): State<Arc<Ui>>, s: Session, Path(id): Path<i64>) -> Response {
    let Session { l, me, headers } = s;
    let path = format!("/api/v1/requests/{id}/certificate");
    let c = or_problem!(ui.api.get_as::<Certificate>(&path, &headers).await, l, &me);
    let r = &c.request;
    let form = c.form.as_ref();
    // As a municipal office issues it (issue 18 item 6): 文書番号 and date top right, the
    // addressee top left, the issuing office and the signer, 記, the conditions in the rules'
    // own words; no rule IDs or codes.
    let body = html! {
        article.print-a4.certificate #certificate {
            div.right {
                p #cert-number { (c.document_number) }
                p { (wareki_day(c.approved_at.as_deref().unwrap_or(""))) }
            }
            p.addressee { (r.recipient) " 様" }
            div.right.applicant {
                p { (form.and_then(|f| f.issuer.as_deref()).unwrap_or("")) }
                p #cert-signer { (c.approved_by.as_deref().unwrap_or("")) " 印" }
            }
            h2.center { (form.map_or("", |f| f.name_ja.as_str())) }
            p { (wareki_day(&r.created_at)) "付けで申請のあった防犯カメラの画像の提供について、次のとおり承認します。" }
            p.center { "記" }
            table {
                tr { th { "申請の整理番号" } td { (r.number) } }
                tr { th { "提供を受ける者" } td { (r.recipient) } }
                tr { th { "提供の根拠" } td { (r.basis_name_ja.as_deref().unwrap_or("")) } }
                tr { th { "利用目的" } td { (r.purpose_name_ja.as_deref().unwrap_or("")) } }
                tr { th { "防犯カメラ" } td { (r.cameras.join(", ")) } }
                tr { th { "画像の日時" } td { (wareki(&r.from)) " 〜 " (wareki(&r.to)) } }
            }
            @if let Some(conditions) = form.and_then(|f| f.conditions.as_deref()) {
                p { "（条件）" }
                p.conditions { (conditions) }
            }
        }
        p.noprint { button type="button" data-print { (t(l, "print")) } }
    };
    page(l, Some(&me), &t(l, "certificate"), body).into_response()
}

/// Posts one of the request page's forms; on a refusal the request page comes back with the
/// form filled in and the API's reason beside it.
async fn act(
    ui: &Arc<Ui>,
    s: Session,
    request: i64,
    f: &Plain,
    path: &str,
    body: Value,
    back: &str,
) -> Response {
    match post_form(ui, &s.headers, f, path, body).await {
        Ok(_) => {
            // Said on the page it lands on (issue 19, item 6: every action confirmed).
            let form = txt(f, "form");
            let done: String =
                form.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            Redirect::to(&format!("{back}?done={done}#done")).into_response()
        }
        Err((status, d)) => request_page(ui, s, request, d, status).await,
    }
}

/// `POST /requests/{id}/act/{approve|refuse|relay|withdraw}`.
pub async fn request_action(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<Plain>,
) -> Response {
    // The decisions posted here; the others have their own forms (instruct, report, ledger).
    let Some(action) = super::forms::named::<RequestAction>(&action) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body = match action {
        RequestAction::Refuse => json!({ "reason": txt(&f, "reason") }),
        RequestAction::Approve | RequestAction::Relay | RequestAction::Withdraw => json!({}),
        RequestAction::Instruct | RequestAction::Report | RequestAction::Ledger => {
            return StatusCode::NOT_FOUND.into_response();
        }
    };
    let back = format!("/requests/{id}");
    let path = format!("/api/v1/requests/{id}/{}", code(&action));
    act(&ui, s, id, &f, &path, body, &back).await
}

/// `POST /requests/{id}/instruct`.
pub async fn instruct(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<Plain>,
) -> Response {
    let body =
        json!({ "request_id": id, "to_account": account_field(&f), "note": opt(&f, "note") });
    act(&ui, s, id, &f, "/api/v1/instructions", body, &format!("/requests/{id}")).await
}

/// `POST /instructions/{id}/{pass_on|extract}` (policy's [`InstructionAction`]): pass the
/// instruction on, or carry it out (the server makes the evidence packages, optionally
/// encrypted to a passphrase). Another action is a 404.
pub async fn instruction_action(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<Plain>,
) -> Response {
    let Some(action) = super::forms::named::<InstructionAction>(&action) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let request = txt(&f, "request").parse::<i64>().unwrap_or(0);
    let (step, body) = match action {
        InstructionAction::PassOn => ("relay", json!({ "to_account": account_field(&f) })),
        InstructionAction::Extract => (
            "extract",
            match f.fields.get("passphrase").filter(|p| !p.is_empty()) {
                Some(p) => json!({ "encrypt": { "passphrase": p } }),
                None => json!({}),
            },
        ),
    };
    let path = format!("/api/v1/instructions/{id}/{step}");
    act(&ui, s, request, &f, &path, body, &format!("/requests/{request}")).await
}

/// `POST /requests/{id}/report/{extraction}`: the extractor reports to the operations chief who
/// instructed (NIS-9.3), before the ledger entry.
pub async fn report(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path((id, extraction)): Path<(i64, i64)>,
    Form(f): Form<Plain>,
) -> Response {
    let path = format!("/api/v1/extractions/{extraction}/report");
    act(&ui, s, id, &f, &path, json!({}), &format!("/requests/{id}")).await
}

/// `POST /requests/{id}/ledger`.
pub async fn write_ledger(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<Plain>,
) -> Response {
    let hashes: Vec<String> = f
        .fields
        .get("data_hashes")
        .map(|s| s.lines().map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let body = json!({ "request_id": id, "data_hashes": hashes,
            "handed_over_at": local_instant(&f, "handed_over_at") });
    act(&ui, s, id, &f, "/api/v1/ledger", body, "/ledger").await
}

/// A ledger entry's reference (`ASA-2026-0001 / application:申-400`) in words: each
/// `form:reference` part as the form's name and the reference.
fn request_ref(profile: &policy::Profile, raw: &str, l: Lang) -> String {
    raw.split(" / ")
        .map(|part| match part.split_once(':') {
            Some((form, reference)) if profile.form(form).is_some() => {
                format!("{} {reference}", form_name(profile, form, l))
            }
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// `GET /ledger`: the usage ledger, printable.
pub async fn ledger(
    State(ui): State<Arc<Ui>>,
    s: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    // Dates in the Japanese era (令和) for the printed ledger, on request.
    let era = q.get("era").is_some_and(|v| v == "1");
    let l = s.l;
    let when = |v: &str| if era { wareki(v) } else { when_at(l, v) };
    let day = |d: &str| {
        if era && let Ok(day) = d.parse::<jiff::civil::Date>() {
            policy::jst::printed_day(day)
        } else if era && !d.is_empty() {
            wareki(d)
        } else if d.len() == 10 {
            // A handover recorded as a day (older entries): the day as this person writes it.
            day_text(l, d)
        } else {
            // A handover recorded with its time: as every other instant on the page.
            when(d)
        }
    };
    let Session { l, me, headers } = s;
    let before = q.get("before").and_then(|b| b.parse::<i64>().ok());
    // The filters (issue 19, item 5): text, camera, extraction dates; kept in the CSV link, the
    // next page and the era switch.
    let qs = super::csv_export::filters(&q, super::csv_export::LEDGER_FILTERS);
    let path = match before {
        Some(b) => format!("/api/v1/ledger?limit=500&before={b}&{qs}"),
        None => format!("/api/v1/ledger?limit=500&{qs}"),
    };
    let a = ui.api.get(&path, &headers).await;
    let next = a.next.clone();
    let entries = or_problem!(a.read::<Vec<LedgerView>>(), l, &me);
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let profile = &*profile;
    let purpose = |id: &str| match profile.purposes.iter().find(|p| p.id == id) {
        Some(p) if l == Lang::Ja => p.name_ja.clone(),
        Some(p) => p.name_en.clone(),
        None => id.to_owned(),
    };
    let cams = camera_choices(&ui, &headers).await;
    let pick = |k: &str| q.get(k).map(|v| v.trim()).unwrap_or("");
    let body = html! {
        form.filters method="get" action="/ledger" role="search" {
            label for="f-q" { (t(l, "ledger_search")) }
            input #f-q name="q" type="search" value=(pick("q"));
            label for="f-camera" { (t(l, "cameras_field")) }
            select #f-camera name="camera" {
                option value="" { (t(l, "all_cameras")) }
                @for (code, name)
                in &cams { option value=(code) selected[pick("camera") == code] { (name) } }
            }
            label for="f-from" { (t(l, "extracted_from")) }
            input #f-from name="from" type="date" value=(pick("from"));
            label for="f-to" { (t(l, "extracted_to")) }
            input #f-to name="to" type="date" value=(pick("to"));
            @if era { input type="hidden" name="era" value="1"; }
            button type="submit" { (t(l, "search")) }
        }
        p.noprint { a #csv href={ "/ledger.csv?" (qs) } download { (t(l, "download_csv")) } }
        // The ledger as the rules name it (NIS: 画像管理台帳（様式第1号）), A4 landscape on paper,
        // with who asked, who extracted and who received (issue 18 item 6).
        section.landscape #ledger-sheet {
        h2.ledger-title #ledger-title { (form_name(profile, &profile.workflow.ledger_form, l)) }
        table #ledger {
            thead { tr {
                th { "#" } th { (t(l, "ledger_request")) } th { (t(l, "cameras_field")) }
                th { (t(l, "ledger_range")) }
                th { (t(l, "ledger_extracted")) } th { (t(l, "recipient")) }
                th { (t(l, "purpose")) } th { (t(l, "handover_date")) }
                th { (t(l, "data_hashes")) }
            } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (e.id) }
                        td { (request_ref(profile, &e.request_ref, l)) }
                        td { (e.cameras.join(", ")) }
                        td { (when(&e.from)) " 〜 " (when(&e.to)) }
                        td { (when(&e.extracted_at)) br;
                            (e.operator_name.as_deref().unwrap_or("")) }
                        td { (e.recipient) }
                        td { (purpose(&e.purpose)) }
                        td { (day(e.handover_date.as_deref().unwrap_or(""))) }
                        td { code.hash { (e.data_hashes.join(", ")) } }
                    }
                }
            }
        }
        }
        p.noprint {
            @if era { a #era href={ "/ledger?" (qs) } { (t(l, "western_dates")) } }
            @else { a #era href={ "/ledger?era=1&" (qs) } { (t(l, "era_dates")) } }
            " "
            button type="button" data-print { (t(l, "print")) }
            @if let Some(n) = next.as_deref().and_then(|n| n.split("before=").nth(1)) {
                @let before = n.split('&').next().unwrap_or("");
                " " a #next-page rel="next"
                    href={ "/ledger?before=" (before) "&" (qs) @if era { "&era=1" } }
                { (t(l, "next_page")) }
            }
        }
    };
    page(l, Some(&me), &t(l, "ledger"), body).into_response()
}

/// The extractions the listed packages belong to, each once, in order.
fn package_extractions<P>(packages: &[(i64, P)]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for (eid, _) in packages {
        if !out.contains(eid) {
            out.push(*eid);
        }
    }
    out
}
