//! `/duties`: the recurring duties I do or oversee (issue 18 item 1) — what is owed, by when,
//! what was done and by whom — and the record of a duty done by a person.
use super::*;

/// `GET /duties`.
pub async fn duties(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    duties_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn duties_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let a = ui.api.get("/api/v1/duties", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let name = |x: &Value| js(&x[format!("name_{}", l.code())]).to_owned();
    let body = html! {
        p { (t(l, "duties_help")) }
        @if a.json.as_array().is_none_or(Vec::is_empty) { p #no-duties { (t(l, "no_duties")) } }
        @for duty in a.json.as_array().into_iter().flatten() {
            @let id = js(&duty["id"]);
            @let form = format!("duty-{id}");
            section.duty id=(form) aria-labelledby={ (form) "-h" } {
                h2 id={ (form) "-h" } { (name(duty)) }
                p.note {
                    (label(l, "cadence", js(&duty["cadence"])))
                    @if let Some(n) = duty["every_days"].as_u64() { " (" (n) (t(l, "days_suffix")) ")" }
                    " · " (label(l, "done_by", js(&duty["done_by"])))
                }
                @let owed = duty["owed"].as_array().cloned().unwrap_or_default();
                @if owed.is_empty() { p { (t(l, "duty_nothing_owed")) } } @else {
                    table.owed {
                        thead { tr { th { (t(l, "duty_subject")) } th { (t(l, "duty_period")) } th { (t(l, "due_by")) } th { (t(l, "duty_standing")) } th { "" } } }
                        tbody {
                            @for o in &owed {
                                tr.problem[o["lapsed"] == true] {
                                    td { (js(&o["label"])) } td { (js(&o["period"])) } td { (until(l, &o["due_at"])) }
                                    td { (label(l, "standing", js(&o["standing"]))) }
                                    td {
                                        @if o["can_record"] == true {
                                            form method="post" action="/duties" novalidate {
                                                (form_head(&me, &form))
                                                input type="hidden" name="duty" value=(id);
                                                input type="hidden" name="subject" value=(js(&o["subject"]));
                                                input type="hidden" name="period" value=(js(&o["period"]));
                                                label for={ (form) "-" (js(&o["subject"])) } { (t(l, "duty_note")) }
                                                input id={ (form) "-" (js(&o["subject"])) } name="note" required value=(d.v(&form, "note"));
                                                @if let Some(e) = d.err(&form, "note") { p.field-error { (e) } }
                                                button { (t(l, "duty_record")) }
                                            }
                                        } @else if o["mine"] == true {
                                            (t(l, "duty_by_action"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (d.alert(&form))
                @let done = duty["done"].as_array().cloned().unwrap_or_default();
                @if !done.is_empty() {
                    details {
                        summary { (t(l, "duty_done_list")) " (" (done.len()) ")" }
                        table.done {
                            thead { tr { th { (t(l, "duty_subject")) } th { (t(l, "duty_period")) } th { (t(l, "duty_done_at")) } th { (t(l, "detail")) } } }
                            tbody {
                                @for f in &done {
                                    tr { td { (js(&f["subject"])) } td { (js(&f["period"])) } td { (when(l, &f["fulfilled_at"])) } td { (js(&f["note"])) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "duties"), body)).into_response()
}

/// `POST /duties`: records a duty done.
pub async fn duties_post(State(ui): State<Arc<Ui>>, s: Session, Form(f): Form<Plain>) -> Response {
    let duty = txt(&f, "duty");
    if duty.is_empty() || !duty.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let body = json!({ "subject": txt(&f, "subject"), "period": opt(&f, "period"), "note": txt(&f, "note") });
    match post_form(&ui, &s.headers, &f, &format!("/api/v1/duties/{duty}/done"), body).await {
        Ok(_) => Redirect::to(&format!("/duties#duty-{duty}")).into_response(),
        Err((status, d)) => duties_page(&ui, s, d, status).await,
    }
}
