//! The camera and site registry (with signage and coverage), dedicated workstations, and
//! contractors' contracts with their clause checklist.

use super::*;
use policy::profile::OrgKind;
use server::api::admin::{
    CameraView, ContractView, EnrolLink, MasksView, OrganisationView, Registry, WorkstationView,
};
use server::api::fleet::{Nodes, RegisteredNode};
use server::api::room::RoomEntries;
use server::fleet::NodeAlert;

/// Organisations of the kinds `kinds` accepts (a `policy` question, asked by the caller), as
/// select options, when this user may list them (accounts administrators).
pub(super) async fn organisations(
    ui: &Ui,
    headers: &HeaderMap,
    kinds: impl Fn(OrgKind) -> bool,
) -> Option<Vec<(String, String)>> {
    let orgs = ui.api.get_as::<Vec<OrganisationView>>("/api/v1/organisations", headers).await;
    let orgs = orgs.ok()?;
    let option =
        |o: OrganisationView| (o.id.to_string(), format!("{} ({})", o.name, o.kind.as_str()));
    Some(orgs.into_iter().filter(|o| kinds(o.kind)).map(option).collect())
}

/// An organisation field: a select when the organisations can be listed, else the id.
pub(super) fn organisation_field(
    l: Lang,
    d: &Draft,
    form: &str,
    orgs: &Option<Vec<(String, String)>>,
) -> Markup {
    match orgs {
        Some(o) => select(d, form, "organisation_id", &t(l, "organisation"), o),
        None => input(d, form, "organisation_id", &t(l, "organisation_id"), "number", true),
    }
}

fn yes(l: Lang, v: bool) -> String {
    t(l, if v { "yes" } else { "no" })
}

/// `GET /cameras`: sites with their signage, cameras with coverage and recording state; the
/// registration forms for those who keep the registry. Never a picture (ALL-REC-2).
pub async fn cameras(
    State(ui): State<Arc<Ui>>,
    s: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let d = Draft { done: q.get("done").cloned(), ..Draft::default() };
    cameras_page(&ui, s, d, StatusCode::OK).await
}

async fn cameras_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    // Sites, cameras, their recording state and the recorder nodes: one answer (issue 23).
    let Registry { sites, cameras: cams, recording: rec, nodes } =
        or_problem!(ui.api.get_as::<Registry>("/api/v1/registry", &headers).await, l, &me);
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    // Where the profile names a body that reviews street sites first (SAK-M), the site form
    // asks for its review.
    let review_body = profile
        .sites
        .street_review
        .as_ref()
        .map(|r| if l == Lang::Ja { r.body_ja.clone() } else { r.body_en.clone() });
    let placements = vec![
        ("public_facility".to_owned(), t(l, "placement_public_facility")),
        ("street".to_owned(), t(l, "placement_street")),
    ];
    let manage = me.can("registry.manage");
    let see_masks = me.can("mask.manage") || manage;
    // NIS-2: where each camera holds its own footage, its cycle and the checks of its oldest day.
    let camera_held = profile.recording.camera_holds_footage && manage;
    // The recorder nodes a camera may be given to (issue 21): this centre's own recorder, or an
    // enrolled node.
    let mut recorder_options = vec![(String::new(), t(l, "recorder_node_here"))];
    if manage && let Some(nodes) = nodes {
        recorder_options.extend(
            nodes
                .nodes
                .into_iter()
                .filter(|n| n.revoked_at.is_none())
                .map(|n| (n.name.clone(), format!("{} ({})", n.name, n.site))),
        );
    }
    let site_name = |id: i64| sites.iter().find(|x| x.id == id).map(|x| x.name.clone());
    let site_options: Vec<(String, String)> =
        sites.iter().map(|x| (x.id.to_string(), format!("{} {}", x.code, x.name))).collect();
    // The sites on a map (issue 19, item 11), each with its cameras.
    let points: Vec<(f64, f64, String)> = sites
        .iter()
        .filter_map(|x| {
            let on_site: Vec<&str> =
                cams.iter().filter(|c| c.site_id == x.id).map(|c| c.code.as_str()).collect();
            Some((
                x.latitude?,
                x.longitude?,
                format!("{} {} ({})", x.code, x.name, on_site.join(", ")),
            ))
        })
        .collect();
    let body = html! {
        (d.confirmation(l))
        (camera_map(l, &ui.map_tiles, &points))
        h2 #sites-h { (t(l, "sites")) }
        table #sites aria-labelledby="sites-h" {
            thead { tr { th { (t(l, "code")) } th { (t(l, "name")) } th { (t(l, "address")) }
                    th { (t(l, "signage_text")) } th { (t(l, "signage_checked")) }
                    @if manage { th { "" } } } }
            tbody {
                @for x in &sites {
                    tr {
                        td { (x.code) } td { (x.name) } td { (x.address) }
                        td { (x.signage_text) } td { (at(l, &x.signage_checked_at)) }
                        @if manage {
                            td { form.inline method="post" action="/cameras" {
                                (form_head(&me, "signage"))
                                input type="hidden" name="id" value=(x.id);
                                button { (t(l, "record_signage_check")) }
                            } }
                        }
                    }
                }
            }
        }
        h2 #registry-h { (t(l, "cameras_field")) }
        table #registry aria-labelledby="registry-h" {
            thead { tr { th { (t(l, "code")) } th { (t(l, "name")) } th { (t(l, "site")) }
                    th { (t(l, "install_date")) } th { (t(l, "public_share")) }
                    th { (t(l, "coverage_exemption")) } th { (t(l, "masks_native")) }
                    th { (t(l, "anti_removal")) } th { (t(l, "recorder_node")) }
                    @if camera_held { th { (t(l, "camera_footage")) } } th { (t(l, "state")) }
                    @if see_masks { th { (t(l, "privacy_masks")) } } } }
            tbody {
                @for c in &cams {
                    @let cid = c.id;
                    tr {
                        td { (c.code) } td { (c.name) }
                        td { (site_name(c.site_id).unwrap_or_default()) }
                        td { (c.install_date) }
                        td {
                            (c.public_share_permille
                                .map(|p| format!("{:.1} %", p as f64 / 10.0))
                                .unwrap_or_default()) }
                        td { (c.coverage_exemption) }
                        td { (yes(l, c.masks_native)) } td { (yes(l, c.anti_removal)) }
                        td.recorder {
                            (c.recorder)
                            @if c.credentials_node.is_some() {
                                br; span.badge.sealed { (t(l, "credentials_sealed")) }
                            }
                            // The camera's user and password, sealed to the node that records it.
                            @if manage && !c.decommissioned && !c.recorder.is_empty() {
                                details {
                                    summary { (t(l, "stream_credentials")) }
                                    form.credentials method="post" action="/cameras"
                                        autocomplete="off" {
                                        (form_head(&me, "credentials"))
                                        input type="hidden" name="id" value=(cid);
                                        label for={ "cu-" (cid) } { (t(l, "stream_username")) }
                                        input id={ "cu-" (cid) } name="username" autocomplete="off";
                                        label for={ "cp-" (cid) } { (t(l, "stream_password")) }
                                        input id={ "cp-" (cid) } name="password" type="password"
                                            autocomplete="new-password";
                                        button { (t(l, "seal_credentials")) }
                                        p { small { (t(l, "credentials_help")) } }
                                    }
                                }
                            }
                            // Where its masks are applied: the camera's ONVIF service (issue 24).
                            @if manage && !c.decommissioned {
                                details.onvif {
                                    summary { (t(l, "camera_onvif")) }
                                    form.onvif method="post" action="/cameras" {
                                        (form_head(&me, "onvif"))
                                        input type="hidden" name="id" value=(cid);
                                        label for={ "ov-" (cid) } { (t(l, "onvif_url")) }
                                        input id={ "ov-" (cid) } name="onvif_url" type="url"
                                            value=(c.onvif_url.as_deref().unwrap_or(""));
                                        label for={ "or-" (cid) } { (t(l, "reason")) }
                                        input id={ "or-" (cid) } name="reason" required;
                                        button { (t(l, "save_onvif")) }
                                        p { small { (t(l, "onvif_help")) } }
                                    }
                                }
                            }
                        }
                        @if camera_held {
                            td.camera-footage {
                                @if let Some(days) = c.overwrite_cycle_days {
                                    (t(l, "overwrite_cycle"))
                                    ": " (days) (t(l, "days_unit")) br; }
                                @if let Some(k) = &c.footage_check {
                                    @let verdict = &k.verdict;
                                    (t(l, "oldest_on_camera")) ": " (k.oldest_day) "（" (k.age_days)
                                    (t(l, "days_unit")) "）"
                                    " " span class={ "badge verdict-" (verdict) } {
                                            (label(l, "verdict", verdict)) }
                                    br; small { (t(l, "checked_on")) " " (k.checked_on) }
                                }
                                @if !c.decommissioned {
                                    details {
                                        summary { (t(l, "record_footage_check")) }
                                        form.footage-check method="post" action="/cameras" {
                                            (form_head(&me, "footage_check"))
                                            input type="hidden" name="id" value=(cid);
                                            label for={ "fo-" (cid) } {
                                                (t(l, "oldest_footage_day")) }
                                            input id={ "fo-" (cid) } name="oldest_day" type="date"
                                                required;
                                            label for={ "fn-" (cid) } {
                                                (t(l, "footage_check_note")) }
                                            input id={ "fn-" (cid) } name="note" required;
                                            button { (t(l, "record")) }
                                        }
                                    }
                                }
                            }
                        }
                        td {
                            @if c.decommissioned {
                                (t(l, "decommissioned")) " " (at(l, &c.decommissioned_at))
                                " " (c.decommission_reason)
                                @if c.decommissioned_early { br;
                                    strong.problem { (t(l, "decommissioned_early")) } }
                            } @else if manage {
                                form method="post" action="/cameras"
                                    data-confirm=(t(l, "confirm_irreversible")) {
                                    (form_head(&me, "decommission"))
                                    input type="hidden" name="id" value=(cid);
                                    label for={ "decom-" (cid) } { (t(l, "decommission_reason")) }
                                    input id={ "decom-" (cid) } name="reason" required;
                                    button.decommission { (t(l, "decommission")) }
                                }
                            } @else { (t(l, "in_operation")) }
                        }
                        @if see_masks { td { a.masks href={ "/cameras/" (cid) "/masks" } {
                                    (t(l, "masks_link")) } } }
                    }
                }
            }
        }
        (d.alert("decommission"))
        (d.alert("credentials"))
        (d.alert("footage_check"))
        h2 { (t(l, "recorder_state")) }
        (recorder_table(l, rec.as_ref()))
        @if manage {
            section.actions {
                h2 { (t(l, "new_site")) }
                (d.alert("site"))
                form method="post" action="/cameras" novalidate {
                    (form_head(&me, "site"))
                    (input(&d, "site", "code", &t(l, "code"), "text", true))
                    (input(&d, "site", "name", &t(l, "name"), "text", true))
                    (input(&d, "site", "address", &t(l, "address"), "text", true))
                    (input(&d, "site", "latitude", &t(l, "latitude"), "text", false))
                    (input(&d, "site", "longitude", &t(l, "longitude"), "text", false))
                    (input(&d, "site", "system", &t(l, "site_system"), "text", false))
                    (input(&d, "site", "reason", &t(l, "site_reason"), "text", false))
                    (select(&d, "site", "placement", &t(l, "site_placement"), &placements))
                    @if let Some(body) = &review_body {
                        p { small { (t(l, "street_review_help")) " (" (body) ")" } }
                        (input(
                            &d, "site", "council_review_date", &t(l, "council_review_date"),
                            "date", false,
                        ))
                        (input(
                            &d, "site", "council_review_minutes", &t(l, "council_review_minutes"),
                            "text", false,
                        ))
                    }
                    (input(&d, "site", "signage_text", &t(l, "signage_text"), "textarea", true))
                    button #create-site { (t(l, "register")) }
                }
            }
            section.actions {
                h2 { (t(l, "new_camera")) }
                (d.alert("camera"))
                form method="post" action="/cameras" novalidate {
                    (form_head(&me, "camera"))
                    (input(&d, "camera", "code", &t(l, "code"), "text", true))
                    (select(&d, "camera", "site_id", &t(l, "site"), &site_options))
                    (input(&d, "camera", "name", &t(l, "name"), "text", true))
                    (input(&d, "camera", "install_date", &t(l, "install_date"), "date", true))
                    (input(&d, "camera", "rtsp_url", &t(l, "rtsp_url"), "text", false))
                    (input(&d, "camera", "onvif_url", &t(l, "onvif_url"), "text", false))
                    (select(&d, "camera", "recorder", &t(l, "recorder_node"), &recorder_options))
                    (input(
                        &d, "camera", "public_share_percent", &t(l, "public_share"), "number", false
                    ))
                    @if let Some(e) = d.err("camera", "public_share_permille") { p.field-error {
                            (e) } }
                    (input(
                        &d, "camera", "coverage_exemption", &t(l, "coverage_exemption"), "text",
                        false,
                    ))
                    (input(&d, "camera", "consensus_note", &t(l, "consensus_note"), "text", false))
                    (input(
                        &d, "camera", "owner_permission", &t(l, "owner_permission"), "text", false
                    ))
                    label.check { input type="checkbox" name="anti_removal" value="1"
                        checked[!d.v("camera", "anti_removal").is_empty()];
                        (t(l, "anti_removal")) }
                    label.check { input type="checkbox" name="masks_native" value="1"
                        checked[!d.v("camera", "masks_native").is_empty()];
                        (t(l, "masks_native")) }
                    button #create-camera { (t(l, "register")) }
                }
            }
        }
    };
    with_map_csp(
        &ui.map_tiles,
        (status, page(l, Some(&me), &t(l, "cameras"), body)).into_response(),
    )
}

/// `POST /cameras`: register a site or a camera, or record a signage check.
pub async fn cameras_post(State(ui): State<Arc<Ui>>, s: Session, Form(f): Form<Plain>) -> Response {
    let form = f.form();
    let (path, body) = match form {
        Some(PageForm::Signage) => {
            (format!("/api/v1/sites/{}/signage-check", txt(&f, "id")), json!({}))
        }
        Some(PageForm::Decommission) => (
            format!("/api/v1/cameras/{}/decommission", txt(&f, "id")),
            json!({ "reason": txt(&f, "reason") }),
        ),
        Some(PageForm::Onvif) => (
            format!("/api/v1/cameras/{}/onvif", txt(&f, "id")),
            json!({ "onvif_url": txt(&f, "onvif_url"), "reason": txt(&f, "reason") }),
        ),
        Some(PageForm::Credentials) => (
            format!("/api/v1/cameras/{}/stream-credentials", txt(&f, "id")),
            json!({ "username": txt(&f, "username"), "password": txt(&f, "password") }),
        ),
        Some(PageForm::FootageCheck) => (
            format!("/api/v1/cameras/{}/footage-checks", txt(&f, "id")),
            json!({ "oldest_day": txt(&f, "oldest_day"), "note": txt(&f, "note") }),
        ),
        Some(PageForm::Site) => {
            let coord = |k: &str| txt(&f, k).parse::<f64>().ok();
            (
                "/api/v1/sites".to_owned(),
                json!({ "code": txt(&f, "code"), "name": txt(&f, "name"),
                        "address": txt(&f, "address"),
                        "latitude": coord("latitude"), "longitude": coord("longitude"),
                        "reason": opt(&f, "reason"),
                        "system": opt(&f, "system"),
                        "placement": opt(&f, "placement"),
                        "council_review_date": opt(&f, "council_review_date"),
                        "council_review_minutes": opt(&f, "council_review_minutes"),
                        "signage_text": txt(&f, "signage_text") }),
            )
        }
        Some(PageForm::Camera) => {
            let share = txt(&f, "public_share_percent");
            let permille = match share.parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => json!((p * 10.0).round() as i64),
                _ if share.is_empty() => Value::Null,
                _ => {
                    let mut d = Draft {
                        form: "camera".into(),
                        values: f.fields.clone(),
                        ..Draft::default()
                    };
                    d.errors.push(FieldProblem::local(
                        "public_share_percent",
                        t(s.l, "percent_expected"),
                    ));
                    return cameras_page(&ui, s, d, StatusCode::UNPROCESSABLE_ENTITY).await;
                }
            };
            (
                "/api/v1/cameras".to_owned(),
                json!({ "code": txt(&f, "code"), "site_id": num(&f, "site_id"),
                        "name": txt(&f, "name"),
                        "install_date": txt(&f, "install_date"), "rtsp_url": opt(&f, "rtsp_url"),
                        "onvif_url": opt(&f, "onvif_url"), "recorder": opt(&f, "recorder"),
                        "public_share_permille": permille,
                        "coverage_exemption": opt(&f, "coverage_exemption"),
                        "consensus_note": opt(&f, "consensus_note"),
                        "owner_permission": opt(&f, "owner_permission"),
                        "anti_removal": f.fields.contains_key("anti_removal"),
                        "masks_native": f.fields.contains_key("masks_native") }),
            )
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        // The confirmation says whether the recorder took the change now (`done_onvif`) or
        // reads it when it next records the camera (`done_onvif_later`).
        Ok(a) if form == Some(PageForm::Onvif) => match a.read::<server::api::admin::CameraOnvif>()
        {
            Ok(c) if c.sent_to_recorder => Redirect::to("/cameras?done=onvif#done"),
            _ => Redirect::to("/cameras?done=onvif_later#done"),
        }
        .into_response(),
        Ok(_) => Redirect::to("/cameras").into_response(),
        Err((status, d)) => cameras_page(&ui, s, d, status).await,
    }
}

/// `GET /workstations`: the dedicated PCs (NIS-3.3, KIT-5.4): enrolment, custody checks,
/// revocation of a lost one.
pub async fn workstations(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    workstations_page(&ui, s, Draft::default(), StatusCode::OK, None).await
}

async fn workstations_page(
    ui: &Ui,
    s: Session,
    d: Draft,
    status: StatusCode,
    enrolled: Option<(String, String)>,
) -> Response {
    let Session { l, me, headers } = s;
    let list = ui.api.get_as::<Vec<WorkstationView>>("/api/v1/workstations", &headers).await;
    let workstations = or_problem!(list, l, &me);
    // The placements this city's rules allow (ASA-3.2e, KIT-5.5, NIS-8, SAK-M), and the
    // organisations that may hold a PC at one (never a contractor: PROD-CONTRACTOR-1).
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let orgs = organisations(ui, &headers, |k| profile.may_hold_workstation(k)).await;
    let confirm = t(l, "confirm_irreversible");
    let body = html! {
        @if let Some((code, href)) = &enrolled {
            section.actions #enrolment role="status" {
                h2 { (t(l, "enrol_link")) " — " (code) }
                p { (t(l, "enrol_link_help")) }
                p { code.hash { (href) } }
            }
        }
        table #workstations {
            (head(l, &[
                "code", "name", "placement", "storage", "enrolled_at", "custody_checked",
                "revoked", "",
            ]))
            tbody {
                @for w in &workstations {
                    @let id = w.id;
                    tr {
                        td { (w.code) } td { (w.name) } td { (w.placement) } td { (w.storage) }
                        td { (at(l, &w.enrolled_at)) } td { (at(l, &w.last_custody_check_at)) }
                        td { (at(l, &w.revoked_at)) " " (w.revoked_reason) }
                        td {
                            @if w.revoked_at.is_none() {
                                form.inline method="post" action="/workstations" {
                                        (form_head(&me, "enrol"))
                                    input type="hidden" name="id" value=(id);
                                    button { (t(l, "enrol")) } }
                                " "
                                form.inline method="post" action="/workstations" {
                                        (form_head(&me, "custody"))
                                    input type="hidden" name="id" value=(id);
                                    button { (t(l, "custody_check")) } }
                                form method="post" action="/workstations" data-confirm=(confirm) {
                                    (form_head(&me, "revoke"))
                                    input type="hidden" name="id" value=(id);
                                    label for={ "revoke-" (id) } { (t(l, "revoke_reason")) }
                                    input id={ "revoke-" (id) } name="reason" required;
                                    button { (t(l, "revoke")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        (d.alert("enrol")) (d.alert("custody")) (d.alert("revoke"))
        section.actions {
            h2 { (t(l, "new_workstation")) }
            (d.alert("workstation"))
            form method="post" action="/workstations" novalidate {
                (form_head(&me, "workstation"))
                (input(&d, "workstation", "code", &t(l, "code"), "text", true))
                (input(&d, "workstation", "name", &t(l, "name"), "text", true))
                label for="placement" { (t(l, "placement")) }
                select #placement name="placement" {
                    @for pl in &profile.workstations.placements {
                        option value=(pl.id) selected[d.v("workstation", "placement") == pl.id] {
                                (label(l, "placement", &pl.id)) }
                    }
                }
                @if let Some(e) = d.err("workstation", "placement") { p.field-error { (e) } }
                (organisation_field(l, &d, "workstation", &orgs))
                (input(&d, "workstation", "storage", &t(l, "storage"), "text", true))
                button #create-workstation { (t(l, "register")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "workstations"), body)).into_response()
}

/// `POST /workstations`.
pub async fn workstations_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    let id = txt(&f, "id");
    let form = f.form();
    let (path, body) = match form {
        Some(PageForm::Workstation) => (
            "/api/v1/workstations".to_owned(),
            json!({ "code": txt(&f, "code"), "name": txt(&f, "name"),
                    "placement": txt(&f, "placement"),
                    "organisation_id": num(&f, "organisation_id"), "storage": txt(&f, "storage") }),
        ),
        Some(PageForm::Enrol) => (format!("/api/v1/workstations/{id}/enrol-link"), json!({})),
        Some(PageForm::Custody) => (format!("/api/v1/workstations/{id}/custody-check"), json!({})),
        Some(PageForm::Revoke) => {
            (format!("/api/v1/workstations/{id}/revoke"), json!({ "reason": txt(&f, "reason") }))
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(a) if form == Some(PageForm::Enrol) => {
            // A one-time link (24 h), shown once to the manager; the PC that opens it is
            // enrolled (issue 16, L8). Only its hash is stored.
            let link = or_problem!(a.read::<EnrolLink>(), s.l, &s.me);
            let e = (link.workstation, link.href);
            workstations_page(&ui, s, Draft::default(), StatusCode::OK, Some(e)).await
        }
        Ok(_) => Redirect::to("/workstations").into_response(),
        Err((status, d)) => workstations_page(&ui, s, d, status, None).await,
    }
}

/// Bytes as GiB with one decimal.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// `GET /nodes`: the recorder nodes (issue 21) — state, site, cameras, last contact, disk,
/// oldest footage, keys held, clock — with registration (its one-time token shown once) and
/// revocation.
pub async fn nodes(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    nodes_page(&ui, s, Draft::default(), StatusCode::OK, None).await
}

async fn nodes_page(
    ui: &Ui,
    s: Session,
    d: Draft,
    status: StatusCode,
    token: Option<(String, String)>,
) -> Response {
    let Session { l, me, headers } = s;
    let nodes = or_problem!(ui.api.get_as::<Nodes>("/api/v1/nodes", &headers).await, l, &me);
    let confirm = t(l, "confirm_irreversible");
    let manage = me.can("registry.manage");
    // KIT-5.1: where the profile sets site conditions, each recorder's are confirmed here.
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let site_kinds = profile.recorder_sites.as_ref().map_or(&[][..], |r| &r.kinds[..]);
    let named = |ja: &str, en: &str| if l == Lang::Ja { ja.to_owned() } else { en.to_owned() };
    let kind_name =
        |id: &str| site_kinds.iter().find(|k| k.id == id).map(|k| named(&k.name_ja, &k.name_en));
    let body = html! {
        @if let Some((name, token)) = &token {
            section.actions #node-token role="status" {
                h2 { (t(l, "node_token")) " — " (name) }
                p { (t(l, "node_token_help")) }
                p { code.hash { (token) } }
            }
        }
        @if let Some(local) = &nodes.in_process {
            p #in-process { (t(l, "node_in_process")) ": " (local.name)
                " — " (local.cameras.join("、")) }
        }
        table #nodes {
            thead { tr {
                th { (t(l, "name")) } th { (t(l, "site")) } th { (t(l, "state")) }
                th { (t(l, "node_cameras")) }
                th { (t(l, "last_contact")) } th { (t(l, "disk_free")) }
                th { (t(l, "oldest_footage")) }
                th { (t(l, "keys_held")) } th { (t(l, "clock_offset")) }
                th { (t(l, "last_erasures")) } th { "" }
            } }
            tbody {
                @for n in &nodes.nodes {
                    @let id = n.id;
                    @let state = code(&n.state);
                    @let health = n.health.as_ref();
                    tr data-node=(n.name) {
                        td { (n.name) br; small { (n.address) } }
                        td { (n.site)
                             @if let Some(k) = &n.site_kind { br;
                                 small.site-kind { (kind_name(k).unwrap_or_default()) } } }
                        td { span class={ "badge node-" (state) } {
                                (label(l, "node_state", &state)) }
                             @for a in n.alerts.iter().filter(|a| **a != NodeAlert::Stale) {
                                 br; span.badge.alert { (label(l, "node_alert", a.as_str())) } }
                             @if !n.revoked_reason.is_empty() { br; small { (n.revoked_reason) } } }
                        td { (n.cameras.join("、")) }
                        td { (at(l, &n.last_contact_at)) }
                        td { (health.and_then(|h| h.disk_free_bytes).map(gib).unwrap_or_default()) }
                        td { (health.map(|h| at(l, &h.oldest_footage_at)).unwrap_or_default()) }
                        td { (health.map(|h| h.keys_held.to_string()).unwrap_or_default()) }
                        td {
                            (health.and_then(|h| h.clock_offset_ms)
                                .map(|o| format!("{o} ms"))
                                .unwrap_or_default()) }
                        td.erasures {
                            @for e in n.erasures.iter().take(3) {
                                (e.camera) " " (e.day) " " small { (when_at(l, &e.erased_at)) } br;
                            }
                        }
                        td {
                            @if manage && n.revoked_at.is_none() {
                                form method="post" action="/nodes" data-confirm=(confirm) {
                                    (form_head(&me, "revoke"))
                                    input type="hidden" name="id" value=(id);
                                    label for={ "revoke-" (id) } { (t(l, "revoke_reason")) }
                                    input id={ "revoke-" (id) } name="reason" required;
                                    button { (t(l, "revoke")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { small { (t(l, "node_stale_help")) } }
        (d.alert("revoke"))
        @if manage {
            section.actions {
                h2 { (t(l, "new_node")) }
                (d.alert("node"))
                form method="post" action="/nodes" novalidate {
                    (form_head(&me, "node"))
                    (input(&d, "node", "name", &t(l, "node_name"), "text", true))
                    (input(&d, "node", "site", &t(l, "site"), "text", true))
                    (input(&d, "node", "address", &t(l, "node_address"), "text", true))
                    @if !site_kinds.is_empty() {
                        fieldset #site-conditions {
                            legend { (t(l, "recorder_site")) }
                            @for k in site_kinds {
                                label.check { input type="radio" name="site_kind" value=(k.id)
                                    checked[d.v("node", "site_kind") == k.id];
                                    strong { (named(&k.name_ja, &k.name_en)) } }
                                ul.conditions {
                                    @for c in &k.conditions {
                                        @let key = format!("cond:{}:{}", k.id, c.id);
                                        li { label.check { input type="checkbox" name=(key)
                                                value="1" checked[!d.v("node", &key).is_empty()];
                                                (named(&c.name_ja, &c.name_en)) } }
                                    }
                                }
                            }
                            @if let Some(e) = d.err("node", "site_kind")
                                .or_else(|| d.err("node", "site_conditions"))
                            {
                                p.field-error { (e) } }
                        }
                    }
                    button #register-node { (t(l, "register")) }
                }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "nodes"), body)).into_response()
}

/// `POST /nodes`.
pub async fn nodes_post(State(ui): State<Arc<Ui>>, s: Session, Form(f): Form<Plain>) -> Response {
    let id = txt(&f, "id");
    let form = f.form();
    let (path, body) = match form {
        Some(PageForm::Node) => {
            // The conditions ticked under the chosen kind (`cond:{kind}:{id}`).
            let kind = txt(&f, "site_kind");
            let prefix = format!("cond:{kind}:");
            let conditions: Vec<&str> =
                f.fields.keys().filter_map(|k| k.strip_prefix(prefix.as_str())).collect();
            (
                "/api/v1/nodes".to_owned(),
                json!({ "name": txt(&f, "name"), "site": txt(&f, "site"),
                        "address": txt(&f, "address"),
                        "site_kind": opt(&f, "site_kind"), "site_conditions": conditions }),
            )
        }
        Some(PageForm::Revoke) => {
            (format!("/api/v1/nodes/{id}/revoke"), json!({ "reason": txt(&f, "reason") }))
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(a) if form == Some(PageForm::Node) => {
            // Shown once: only its hash is kept (issue 21).
            let node = or_problem!(a.read::<RegisteredNode>(), s.l, &s.me);
            let e = (node.node.name, node.enrolment_token);
            nodes_page(&ui, s, Draft::default(), StatusCode::OK, Some(e)).await
        }
        Ok(_) => Redirect::to("/nodes").into_response(),
        Err((status, d)) => nodes_page(&ui, s, d, status, None).await,
    }
}

/// `GET /room`: entries to the central room (KIT-5.5) — one's own entry and leaving, and for
/// the manager every entry and the entry of a person they approve.
pub async fn room(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    room_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn room_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let room =
        or_problem!(ui.api.get_as::<RoomEntries>("/api/v1/room-entries", &headers).await, l, &me);
    let name = if l == Lang::Ja { &room.room.ja } else { &room.room.en };
    let body = html! {
        p { (t(l, "room_help")) }
        table #room-entries {
            (head(l, &["person", "purpose", "room_ground", "room_entered", "room_left"]))
            tbody {
                @for e in &room.entries {
                    tr {
                        td { (e.name) }
                        td { (e.purpose) }
                        td { (label(l, "room_ground", &e.ground))
                             @if let Some(by) = &e.approved_by { br; small { (by) } } }
                        td { (when_at(l, &e.entered_at)) }
                        td {
                            @match &e.left_at {
                                None => form method="post" action="/room" {
                                    (form_head(&me, "leave"))
                                    input type="hidden" name="id" value=(e.id);
                                    button { (t(l, "room_leave")) }
                                },
                                Some(left) => (when_at(l, left)),
                            }
                        }
                    }
                }
            }
        }
        (d.alert("leave"))
        section.actions {
            h2 { (t(l, "room_enter")) " — " (name) }
            (d.alert("enter"))
            form method="post" action="/room" novalidate {
                (form_head(&me, "enter"))
                (input(&d, "enter", "login", &t(l, "room_other_login"), "text", false))
                (input(&d, "enter", "purpose", &t(l, "purpose"), "text", true))
                button #room-enter { (t(l, "room_enter")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "room_entries"), body)).into_response()
}

/// `POST /room`.
pub async fn room_post(State(ui): State<Arc<Ui>>, s: Session, Form(f): Form<Plain>) -> Response {
    let (path, body) = match f.form() {
        Some(PageForm::Enter) => (
            "/api/v1/room-entries".to_owned(),
            json!({ "purpose": txt(&f, "purpose"), "login": opt(&f, "login") }),
        ),
        Some(PageForm::Leave) => {
            (format!("/api/v1/room-entries/{}/leave", txt(&f, "id")), json!({}))
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/room").into_response(),
        Err((status, d)) => room_page(&ui, s, d, status).await,
    }
}

/// The seven clauses a contract must carry or explain (ASA-3.7 ①–⑦).
const CLAUSES: [&str; 7] = ["①", "②", "③", "④", "⑤", "⑥", "⑦"];

/// `GET /contracts`: contractors' contracts, their clause checklist and the manager's sign-off
/// (ASA-3.7, KIT-5.2).
pub async fn contracts(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    contracts_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn contracts_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let contracts = or_problem!(
        ui.api.get_as::<Vec<ContractView>>("/api/v1/contracts", &headers).await,
        l,
        &me
    );
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let orgs = organisations(ui, &headers, |k| profile.needs_contract(Some(k))).await;
    // The clause the checklist rests on in the running profile (ASA-3.7 in Asahikawa; a product
    // rule elsewhere), never another city's.
    let gate_rule = profile.accounts.contractor_gate_rule.as_str();
    let body = html! {
        table #contracts {
            (head(l, &["#", "contract_title", "scope", "clauses", "valid", "signed_off"]))
            tbody {
                @for c in &contracts {
                    tr {
                        td { (c.id) } td { (c.title) } td { (c.scope) }
                        td { ul.clauses { @for k in &c.clauses {
                            li {
                                (CLAUSES
                                    .get(usize::from(k.clause).saturating_sub(1))
                                    .copied()
                                    .unwrap_or("?"))
                                " "
                                 @if k.included { (t(l, "included")) }
                                 @else { (t(l, "left_out"))
                                     ": " (k.reason.as_deref().unwrap_or("")) } }
                        } } }
                        td { (when_at(l, &c.valid_from)) " 〜 " (when_at(l, &c.valid_until)) }
                        td {
                            @match &c.signed_off_at {
                                None => form.inline method="post" action="/contracts" {
                                        (form_head(&me, "sign_off"))
                                    input type="hidden" name="id" value=(c.id);
                                    button.sign-off { (t(l, "sign_off")) } },
                                Some(at) => (when_at(l, at)),
                            }
                        }
                    }
                }
            }
        }
        (d.alert("sign_off"))
        section.actions {
            h2 { (t(l, "new_contract")) }
            (d.alert("contract"))
            form method="post" action="/contracts" novalidate {
                (form_head(&me, "contract"))
                (organisation_field(l, &d, "contract", &orgs))
                (input(&d, "contract", "title", &t(l, "contract_title"), "text", true))
                (input(&d, "contract", "scope", &t(l, "scope"), "text", true))
                (input(&d, "contract", "valid_from", &t(l, "valid_from"), "date", true))
                (input(&d, "contract", "valid_until", &t(l, "valid_until"), "date", true))
                fieldset {
                    legend { (t(l, "clauses")) " (" (gate_rule) ")" }
                    @if let Some(e) = d.err("contract", "clauses") { p.field-error { (e) } }
                    @for (i, mark) in CLAUSES.iter().enumerate() {
                        @let n = i + 1;
                        label.check { input type="checkbox" name={ "clause" (n) } value="1"
                            checked[d.form != "contract"
                                || !d.v("contract", &format!("clause{n}")).is_empty()];
                            (mark) " " (t(l, &format!("clause_{n}"))) }
                        label for={ "contract-reason" (n) } { (mark) " " (t(l, "left_out_reason")) }
                        input id={ "contract-reason" (n) } name={ "reason" (n) }
                            value=(d.v("contract", &format!("reason{n}")));
                    }
                }
                button #create-contract { (t(l, "register")) }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "contracts"), body)).into_response()
}

/// `POST /contracts`.
pub async fn contracts_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    let (path, body) = match f.form() {
        Some(PageForm::Contract) => {
            let clauses: Vec<Value> = (1..=7)
                .map(|n| {
                    let included = f.fields.contains_key(&format!("clause{n}"));
                    json!({ "clause": n, "included": included,
                            "reason": match included {
                                true => Value::Null,
                                false => opt(&f, &format!("reason{n}")),
                            } })
                })
                .collect();
            let day = |k: &str| {
                let v = txt(&f, k);
                if v.is_empty() { v } else { format!("{v}T00:00:00+09:00") }
            };
            (
                "/api/v1/contracts".to_owned(),
                json!({ "organisation_id": num(&f, "organisation_id"), "title": txt(&f, "title"),
                        "scope": txt(&f, "scope"),
                        "clauses": clauses, "valid_from": day("valid_from"),
                        "valid_until": day("valid_until") }),
            )
        }
        Some(PageForm::SignOff) => {
            (format!("/api/v1/contracts/{}/sign-off", txt(&f, "id")), json!({}))
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/contracts").into_response(),
        Err((status, d)) => contracts_page(&ui, s, d, status).await,
    }
}

/// Points as typed on the masks page: `x,y x,y x,y` in normalised picture coordinates (0–1).
fn parse_points(line: &str) -> Result<Vec<Vec<f64>>, String> {
    line.split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').ok_or_else(|| p.to_owned())?;
            match (x.trim().parse::<f64>(), y.trim().parse::<f64>()) {
                (Ok(x), Ok(y)) => Ok(vec![x, y]),
                _ => Err(p.to_owned()),
            }
        })
        .collect()
}

/// The `[x, y]` of a polygon's point (a short one reads as the origin's missing part).
fn xy(p: &[f64]) -> (f64, f64) {
    (p.first().copied().unwrap_or(0.0), p.get(1).copied().unwrap_or(0.0))
}

/// A polygon written back the way the form takes it.
fn points_text(poly: &[Vec<f64>]) -> String {
    let point = |p: &Vec<f64>| {
        let (x, y) = xy(p);
        format!("{x},{y}")
    };
    poly.iter().map(point).collect::<Vec<_>>().join(" ")
}

/// `points` of an SVG polygon in a 1000 × 562.5 (16:9) picture box.
fn svg_points(poly: &[Vec<f64>]) -> String {
    let point = |p: &Vec<f64>| {
        let (x, y) = xy(p);
        format!("{:.1},{:.1}", x * 1000.0, y * 562.5)
    };
    poly.iter().map(point).collect::<Vec<_>>().join(" ")
}

/// `GET /cameras/{id}/masks`: a camera's privacy masks, every version with who, when and why,
/// drawn as a diagram of the picture (never the picture: ALL-REC-2), and for the manager the form
/// for a new version (ASA-2.1, KAW-2.1.3).
pub async fn masks(State(ui): State<Arc<Ui>>, s: Session, Path(id): Path<i64>) -> Response {
    masks_page(&ui, s, id, Draft::default(), StatusCode::OK).await
}

async fn masks_page(ui: &Ui, s: Session, id: i64, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let path = format!("/api/v1/cameras/{id}/masks");
    let list = or_problem!(ui.api.get_as::<Vec<MasksView>>(&path, &headers).await, l, &me);
    let cams =
        or_problem!(ui.api.get_as::<Vec<CameraView>>("/api/v1/cameras", &headers).await, l, &me);
    let cam = cams.iter().find(|c| c.id == id);
    let current = list.first();
    // A fresh form starts from the version in force.
    let mut d = d;
    if d.form != "masks" {
        d.form = "masks".into();
        if let Some(m) = current {
            let text = m.polygons.iter().map(|p| points_text(p)).collect::<Vec<_>>().join("\n");
            d.values.insert("polygons".into(), text);
            if let Some(area) = &m.public_area {
                d.values.insert("public_area".into(), points_text(area));
            }
            if m.in_recorder {
                d.values.insert("in_recorder".into(), "1".into());
            }
        }
    }
    let (code, name) = cam.map_or(("", ""), |c| (c.code.as_str(), c.name.as_str()));
    let title = format!("{code} {name} — {}", t(l, "privacy_masks"));
    // The running profile's own clauses, never another city's (issue 15, item 7).
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let masks_rule = profile.recording.masks_rule.as_str();
    let coverage_rule = match profile.coverage.as_ref().map(|c| c.rule.as_str()) {
        Some(r) if l == Lang::Ja => format!("（{r}）"),
        Some(r) => format!(" ({r})"),
        None => String::new(),
    };
    let share = |p: Option<i64>| p.map(|p| format!("{:.1} %", p as f64 / 10.0));
    let body = html! {
        p { a href="/cameras" { (t(l, "cameras")) } }
        p.note { (t(l, "masks_note").replace("{rule}", masks_rule)) }
        @if let Some(current) = current {
            figure {
                svg #mask-diagram viewBox="0 0 1000 562.5" width="480" role="img"
                    aria-label=(t(l, "mask_diagram")) {
                    rect x="0" y="0" width="1000" height="562.5" fill="#9aa4ad" {}
                    @if let Some(area) = &current.public_area {
                        polygon points=(svg_points(area)) fill="#cfe8cf" stroke="#2e7d32"
                            stroke-width="4" {}
                    }
                    @for p in &current.polygons { polygon.mask points=(svg_points(p))
                        fill="#000" {} }
                }
                figcaption {
                    (t(l, "version")) " " (current.version) " · "
                    (t(l, "public_share")) " "
                    (share(current.public_share_permille).unwrap_or_else(|| "—".into()))
                    " · " @if current.in_recorder { (t(l, "mask_in_recorder")) }
                    @else { (t(l, "masks_native")) }
                }
            }
        }
        @if cam.is_some_and(|c| c.awaiting_commission) {
            section #commissioning {
                h2 { (t(l, "commissioning_still")) }
                p.note { (t(l, "commissioning_still_note")) }
                img #still src={ "/api/v1/cameras/" (id) "/still" } width="480"
                    alt=(t(l, "commissioning_still"));
                (d.alert("commission"))
                @if me.can("registry.manage") {
                    form method="post" action={ "/cameras/" (id) "/masks" }
                        data-confirm=(t(l, "confirm_irreversible")) {
                        (form_head(&me, "commission"))
                        // NIS-2, NIS-6: the camera keeps the footage; its cycle is recorded now.
                        @if profile.recording.camera_holds_footage {
                            label for="overwrite_cycle_days" { (t(l, "overwrite_cycle"))
                                " (" (t(l, "days_unit")) ")" }
                            input #overwrite_cycle_days name="overwrite_cycle_days" type="number"
                                min="1" required value=(d.v("commission", "overwrite_cycle_days"));
                            @if let Some(e) = d.err("commission", "overwrite_cycle_days") {
                                p.field-error { (e) } }
                        }
                        button #commission { (t(l, "commission")) }
                    }
                }
            }
        } @else if let Some(at) = cam.and_then(|c| c.commissioned_at.as_deref()) {
            p #commissioned { (t(l, "commissioned_at")) " " (when_at(l, at))
                " — " (t(l, "still_through_chain")) }
        }
        table #mask-versions {
            (head(l, &[
                "version", "mask_polygons", "public_share", "mask_in_recorder", "reason", "by",
                "at",
            ]))
            tbody {
                @for v in &list {
                    tr {
                        td { (v.version) }
                        td { (v.polygons.len()) }
                        td { (share(v.public_share_permille).unwrap_or_default()) }
                        td { (yes(l, v.in_recorder)) }
                        td { (v.reason) } td { (v.created_by) } td { (when_at(l, &v.created_at)) }
                    }
                }
            }
        }
        @if me.can("mask.manage") {
            section.actions {
                h2 { (t(l, "new_mask_version")) }
                (d.alert("masks"))
                form method="post" action={ "/cameras/" (id) "/masks" } novalidate {
                    (form_head(&me, "masks"))
                    (input(&d, "masks", "polygons", &t(l, "mask_polygons_help"), "textarea", false))
                    (input(
                        &d, "masks", "public_area",
                        &t(l, "public_area_help").replace("{rule}", &coverage_rule), "text", false,
                    ))
                    label.check { input type="checkbox" name="in_recorder" value="1"
                        checked[!d.v("masks", "in_recorder").is_empty()];
                        (t(l, "mask_in_recorder")) }
                    (input(
                        &d, "masks", "coverage_exemption", &t(l, "coverage_exemption"), "text",
                        false,
                    ))
                    (input(&d, "masks", "reason", &t(l, "mask_reason"), "text", true))
                    button #save-masks { (t(l, "register")) }
                }
            }
        }
    };
    (status, page(l, Some(&me), &title, body)).into_response()
}

/// `POST /cameras/{id}/masks`: a new version of the masks; the recorder burns it in from the next
/// keyframe.
pub async fn masks_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Path(id): Path<i64>,
    Form(f): Form<Plain>,
) -> Response {
    if f.form() == Some(PageForm::Commission) {
        let path = format!("/api/v1/cameras/{id}/commission");
        let cycle = txt(&f, "overwrite_cycle_days").trim().parse::<u32>().ok();
        let body = match cycle {
            Some(days) => json!({ "overwrite_cycle_days": days }),
            None => json!({}),
        };
        return match post_form(&ui, &s.headers, &f, &path, body).await {
            Ok(_) => Redirect::to(&format!("/cameras/{id}/masks")).into_response(),
            Err((status, d)) => masks_page(&ui, s, id, d, status).await,
        };
    }
    let refuse = |field: &str, msg: String| {
        let mut d = Draft { form: "masks".into(), values: f.fields.clone(), ..Draft::default() };
        d.errors.push(FieldProblem::local(field, msg));
        d
    };
    let mut polygons = Vec::new();
    for line in txt(&f, "polygons").lines().filter(|x| !x.trim().is_empty()) {
        match parse_points(line) {
            Ok(p) => polygons.push(p),
            Err(bad) => {
                let d = refuse("polygons", format!("{}: {bad}", t(s.l, "points_expected")));
                return masks_page(&ui, s, id, d, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    }
    let area = txt(&f, "public_area");
    let public_area = if area.is_empty() {
        Value::Null
    } else {
        match parse_points(&area) {
            Ok(p) => json!(p),
            Err(bad) => {
                let d = refuse("public_area", format!("{}: {bad}", t(s.l, "points_expected")));
                return masks_page(&ui, s, id, d, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        }
    };
    let body = json!({ "polygons": polygons, "public_area": public_area,
                       "in_recorder": f.fields.contains_key("in_recorder"),
                       "coverage_exemption": opt(&f, "coverage_exemption"),
                       "reason": txt(&f, "reason") });
    match post_form(&ui, &s.headers, &f, &format!("/api/v1/cameras/{id}/masks"), body).await {
        Ok(_) => Redirect::to(&format!("/cameras/{id}/masks")).into_response(),
        Err((status, d)) => masks_page(&ui, s, id, d, status).await,
    }
}
