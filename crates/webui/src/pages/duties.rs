//! `/duties`: the recurring duties I do or oversee (issue 18 item 1) — what is owed, by when,
//! what was done and by whom — and the record of a duty done by a person.
use super::*;
use server::api::duties::DutyView;

/// `GET /duties`.
pub async fn duties(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    duties_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn duties_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let duties =
        or_problem!(ui.api.get_as::<Vec<DutyView>>("/api/v1/duties", &headers).await, l, &me);
    let name = |x: &DutyView| if l == Lang::Ja { x.name_ja.clone() } else { x.name_en.clone() };
    let body = html! {
        p { (t(l, "duties_help")) }
        @if duties.is_empty() { p #no-duties { (t(l, "no_duties")) } }
        @for duty in &duties {
            @let id = &duty.id;
            @let form = format!("duty-{id}");
            section.duty id=(form) aria-labelledby={ (form) "-h" } {
                h2 id={ (form) "-h" } { (name(duty)) }
                p.note {
                    (label(l, "cadence", &code(&duty.cadence)))
                    @if let Some(n) = duty.every_days { " (" (n) (t(l, "days_suffix")) ")" }
                    " · " (label(l, "done_by", &code(&duty.done_by)))
                }
                @if duty.owed.is_empty() { p { (t(l, "duty_nothing_owed")) } } @else {
                    table.owed {
                        (head(l, &["duty_subject", "duty_period", "due_by", "duty_standing", ""]))
                        tbody {
                            @for o in &duty.owed {
                                tr.problem[o.lapsed] {
                                    td { (o.label) } td { (o.period) }
                                    td { (until_at(l, &o.due_at)) }
                                    td { (label(l, "standing", &code(&o.standing))) }
                                    td {
                                        @if o.can_record {
                                            form method="post" action="/duties" novalidate {
                                                (form_head(&me, &form))
                                                input type="hidden" name="duty" value=(id);
                                                input type="hidden" name="subject"
                                                    value=(o.subject);
                                                input type="hidden" name="period" value=(o.period);
                                                label for={ (form) "-" (o.subject) } {
                                                    (t(l, "duty_note")) }
                                                input id={ (form) "-" (o.subject) } name="note"
                                                    required value=(d.v(&form, "note"));
                                                @if let Some(e) = d.err(&form, "note") {
                                                    p.field-error { (e) } }
                                                button { (t(l, "duty_record")) }
                                            }
                                        } @else if o.mine {
                                            (t(l, "duty_by_action"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (d.alert(&form))
                @if !duty.done.is_empty() {
                    details {
                        summary { (t(l, "duty_done_list")) " (" (duty.done.len()) ")" }
                        table.done {
                            (head(l, &["duty_subject", "duty_period", "duty_done_at", "detail"]))
                            tbody {
                                @for f in &duty.done {
                                    tr { td { (f.subject) } td { (f.period) }
                                        td { (when_at(l, &f.fulfilled_at)) } td { (f.note) } }
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
    let body = json!({ "subject": txt(&f, "subject"), "period": opt(&f, "period"),
            "note": txt(&f, "note") });
    match post_form(&ui, &s.headers, &f, &format!("/api/v1/duties/{duty}/done"), body).await {
        Ok(_) => Redirect::to(&format!("/duties#duty-{duty}")).into_response(),
        Err((status, d)) => duties_page(&ui, s, d, status).await,
    }
}
