//! The camera and site registry (with signage and coverage), dedicated workstations, and
//! contractors' contracts with their clause checklist.

use super::*;

/// Organisations of the kinds `kinds` accepts, as select options, when this user may list them
/// (accounts administrators).
pub(super) async fn organisations(
    ui: &Ui,
    headers: &HeaderMap,
    kinds: fn(&str) -> bool,
) -> Option<Vec<(String, String)>> {
    let a = ui.api.get("/api/v1/organisations", headers).await;
    a.ok().then(|| {
        a.json
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| kinds(js(&o["kind"])))
            .map(|o| (o["id"].to_string(), format!("{} ({})", js(&o["name"]), js(&o["kind"]))))
            .collect()
    })
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

fn yes(l: Lang, v: &Value) -> String {
    if v.as_i64().is_some_and(|x| x != 0) || v == &Value::Bool(true) {
        t(l, "yes")
    } else {
        t(l, "no")
    }
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
    let cams = ui.api.get("/api/v1/cameras", &headers).await;
    if !cams.ok() {
        return problem_page(l, Some(&me), &cams);
    }
    let sites = ui.api.get("/api/v1/sites", &headers).await.json;
    let rec = ui.api.get("/api/v1/recorder/status", &headers).await;
    // Where the profile names a body that reviews street sites first (SAK-M), the site form
    // asks for its review.
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let review_body = profile["sites"]["street_review"]
        [if l.code() == "ja" { "body_ja" } else { "body_en" }]
    .as_str()
    .map(str::to_owned);
    let placements = vec![
        ("public_facility".to_owned(), t(l, "placement_public_facility")),
        ("street".to_owned(), t(l, "placement_street")),
    ];
    let manage = me.can("registry.manage");
    let see_masks = me.can("mask.manage") || manage;
    // NIS-2: where each camera holds its own footage, its cycle and the checks of its oldest day.
    let camera_held = profile["recording"]["camera_holds_footage"] == true && manage;
    // The recorder nodes a camera may be given to (issue 21): this centre's own recorder, or an
    // enrolled node.
    let mut recorder_options = vec![(String::new(), t(l, "recorder_node_here"))];
    if manage {
        let nodes = ui.api.get("/api/v1/nodes", &headers).await.json;
        recorder_options.extend(
            nodes["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|n| n["revoked_at"].is_null())
                .map(|n| {
                    (js(&n["name"]).to_owned(), format!("{} ({})", js(&n["name"]), js(&n["site"])))
                }),
        );
    }
    let site_name = |id: &Value| {
        sites
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["id"] == *id)
            .map(|x| js(&x["name"]).to_owned())
            .unwrap_or_default()
    };
    let site_options: Vec<(String, String)> = sites
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| (x["id"].to_string(), format!("{} {}", js(&x["code"]), js(&x["name"]))))
        .collect();
    // The sites on a map (issue 19, item 11), each with its cameras.
    let points: Vec<(f64, f64, String)> = sites
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| {
            let on_site: Vec<&str> = cams
                .json
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["site_id"] == x["id"])
                .filter_map(|c| c["code"].as_str())
                .collect();
            Some((
                x["latitude"].as_f64()?,
                x["longitude"].as_f64()?,
                format!("{} {} ({})", js(&x["code"]), js(&x["name"]), on_site.join(", ")),
            ))
        })
        .collect();
    let body = html! {
        (d.confirmation(l))
        (camera_map(l, &ui.map_tiles, &points))
        h2 #sites-h { (t(l, "sites")) }
        table #sites aria-labelledby="sites-h" {
            thead { tr { th { (t(l, "code")) } th { (t(l, "name")) } th { (t(l, "address")) } th { (t(l, "signage_text")) } th { (t(l, "signage_checked")) } @if manage { th { "" } } } }
            tbody {
                @for x in sites.as_array().into_iter().flatten() {
                    tr {
                        td { (js(&x["code"])) } td { (js(&x["name"])) } td { (js(&x["address"])) }
                        td { (js(&x["signage_text"])) } td { (when(l, &x["signage_checked_at"])) }
                        @if manage {
                            td { form.inline method="post" action="/cameras" {
                                (form_head(&me, "signage")) input type="hidden" name="id" value=(x["id"]);
                                button { (t(l, "record_signage_check")) }
                            } }
                        }
                    }
                }
            }
        }
        h2 #registry-h { (t(l, "cameras_field")) }
        table #registry aria-labelledby="registry-h" {
            thead { tr { th { (t(l, "code")) } th { (t(l, "name")) } th { (t(l, "site")) } th { (t(l, "install_date")) } th { (t(l, "public_share")) } th { (t(l, "coverage_exemption")) } th { (t(l, "masks_native")) } th { (t(l, "anti_removal")) } th { (t(l, "recorder_node")) } @if camera_held { th { (t(l, "camera_footage")) } } th { (t(l, "state")) } @if see_masks { th { (t(l, "privacy_masks")) } } } }
            tbody {
                @for c in cams.json.as_array().into_iter().flatten() {
                    tr {
                        td { (js(&c["code"])) } td { (js(&c["name"])) } td { (site_name(&c["site_id"])) }
                        td { (js(&c["install_date"])) }
                        td { (c["public_share_permille"].as_i64().map(|p| format!("{:.1} %", p as f64 / 10.0)).unwrap_or_default()) }
                        td { (js(&c["coverage_exemption"])) }
                        td { (yes(l, &c["masks_native"])) } td { (yes(l, &c["anti_removal"])) }
                        td.recorder {
                            (js(&c["recorder"]))
                            @if c["credentials_node"].is_string() {
                                br; span.badge.sealed { (t(l, "credentials_sealed")) }
                            }
                            // The camera's user and password, sealed to the node that records it.
                            @if manage && c["decommissioned"] != true && !js(&c["recorder"]).is_empty() {
                                details {
                                    summary { (t(l, "stream_credentials")) }
                                    form.credentials method="post" action="/cameras" autocomplete="off" {
                                        (form_head(&me, "credentials")) input type="hidden" name="id" value=(c["id"]);
                                        label for={ "cu-" (c["id"]) } { (t(l, "stream_username")) }
                                        input id={ "cu-" (c["id"]) } name="username" autocomplete="off";
                                        label for={ "cp-" (c["id"]) } { (t(l, "stream_password")) }
                                        input id={ "cp-" (c["id"]) } name="password" type="password" autocomplete="new-password";
                                        button { (t(l, "seal_credentials")) }
                                        p { small { (t(l, "credentials_help")) } }
                                    }
                                }
                            }
                            // Where its masks are applied: the camera's ONVIF service (issue 24).
                            @if manage && c["decommissioned"] != true {
                                details.onvif {
                                    summary { (t(l, "camera_onvif")) }
                                    form.onvif method="post" action="/cameras" {
                                        (form_head(&me, "onvif")) input type="hidden" name="id" value=(c["id"]);
                                        label for={ "ov-" (c["id"]) } { (t(l, "onvif_url")) }
                                        input id={ "ov-" (c["id"]) } name="onvif_url" type="url" value=(js(&c["onvif_url"]));
                                        label for={ "or-" (c["id"]) } { (t(l, "reason")) }
                                        input id={ "or-" (c["id"]) } name="reason" required;
                                        button { (t(l, "save_onvif")) }
                                        p { small { (t(l, "onvif_help")) } }
                                    }
                                }
                            }
                        }
                        @if camera_held {
                            td.camera-footage {
                                @if let Some(days) = c["overwrite_cycle_days"].as_i64() { (t(l, "overwrite_cycle")) ": " (days) (t(l, "days_unit")) br; }
                                @let k = &c["footage_check"];
                                @if k.is_object() {
                                    (t(l, "oldest_on_camera")) ": " (js(&k["oldest_day"])) "（" (k["age_days"]) (t(l, "days_unit")) "）"
                                    " " span class={ "badge verdict-" (js(&k["verdict"])) } { (label(l, "verdict", js(&k["verdict"]))) }
                                    br; small { (t(l, "checked_on")) " " (js(&k["checked_on"])) }
                                }
                                @if c["decommissioned"] != true {
                                    details {
                                        summary { (t(l, "record_footage_check")) }
                                        form.footage-check method="post" action="/cameras" {
                                            (form_head(&me, "footage_check")) input type="hidden" name="id" value=(c["id"]);
                                            label for={ "fo-" (c["id"]) } { (t(l, "oldest_footage_day")) }
                                            input id={ "fo-" (c["id"]) } name="oldest_day" type="date" required;
                                            label for={ "fn-" (c["id"]) } { (t(l, "footage_check_note")) }
                                            input id={ "fn-" (c["id"]) } name="note" required;
                                            button { (t(l, "record")) }
                                        }
                                    }
                                }
                            }
                        }
                        td {
                            @if c["decommissioned"] == true {
                                (t(l, "decommissioned")) " " (when(l, &c["decommissioned_at"])) " " (js(&c["decommission_reason"]))
                                @if c["decommissioned_early"] == true { br; strong.problem { (t(l, "decommissioned_early")) } }
                            } @else if manage {
                                form method="post" action="/cameras" data-confirm=(t(l, "confirm_irreversible")) {
                                    (form_head(&me, "decommission")) input type="hidden" name="id" value=(c["id"]);
                                    label for={ "decom-" (c["id"]) } { (t(l, "decommission_reason")) }
                                    input id={ "decom-" (c["id"]) } name="reason" required;
                                    button.decommission { (t(l, "decommission")) }
                                }
                            } @else { (t(l, "in_operation")) }
                        }
                        @if see_masks { td { a.masks href={ "/cameras/" (c["id"]) "/masks" } { (t(l, "masks_link")) } } }
                    }
                }
            }
        }
        (d.alert("decommission"))
        (d.alert("credentials"))
        (d.alert("footage_check"))
        h2 { (t(l, "recorder_state")) }
        (recorder_table(l, &rec))
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
                        (input(&d, "site", "council_review_date", &t(l, "council_review_date"), "date", false))
                        (input(&d, "site", "council_review_minutes", &t(l, "council_review_minutes"), "text", false))
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
                    (input(&d, "camera", "public_share_percent", &t(l, "public_share"), "number", false))
                    @if let Some(e) = d.err("camera", "public_share_permille") { p.field-error { (e) } }
                    (input(&d, "camera", "coverage_exemption", &t(l, "coverage_exemption"), "text", false))
                    (input(&d, "camera", "consensus_note", &t(l, "consensus_note"), "text", false))
                    (input(&d, "camera", "owner_permission", &t(l, "owner_permission"), "text", false))
                    label.check { input type="checkbox" name="anti_removal" value="1" checked[!d.v("camera", "anti_removal").is_empty()]; (t(l, "anti_removal")) }
                    label.check { input type="checkbox" name="masks_native" value="1" checked[!d.v("camera", "masks_native").is_empty()]; (t(l, "masks_native")) }
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
    let form = f.fields.get("form").cloned().unwrap_or_default();
    let (path, body) = match form.as_str() {
        "signage" => (format!("/api/v1/sites/{}/signage-check", txt(&f, "id")), json!({})),
        "decommission" => (
            format!("/api/v1/cameras/{}/decommission", txt(&f, "id")),
            json!({ "reason": txt(&f, "reason") }),
        ),
        "onvif" => (
            format!("/api/v1/cameras/{}/onvif", txt(&f, "id")),
            json!({ "onvif_url": txt(&f, "onvif_url"), "reason": txt(&f, "reason") }),
        ),
        "credentials" => (
            format!("/api/v1/cameras/{}/stream-credentials", txt(&f, "id")),
            json!({ "username": txt(&f, "username"), "password": txt(&f, "password") }),
        ),
        "footage_check" => (
            format!("/api/v1/cameras/{}/footage-checks", txt(&f, "id")),
            json!({ "oldest_day": txt(&f, "oldest_day"), "note": txt(&f, "note") }),
        ),
        "site" => {
            let coord = |k: &str| txt(&f, k).parse::<f64>().ok();
            (
                "/api/v1/sites".to_owned(),
                json!({ "code": txt(&f, "code"), "name": txt(&f, "name"), "address": txt(&f, "address"),
                        "latitude": coord("latitude"), "longitude": coord("longitude"), "reason": opt(&f, "reason"),
                        "system": opt(&f, "system"),
                        "placement": opt(&f, "placement"), "council_review_date": opt(&f, "council_review_date"),
                        "council_review_minutes": opt(&f, "council_review_minutes"),
                        "signage_text": txt(&f, "signage_text") }),
            )
        }
        "camera" => {
            let share = txt(&f, "public_share_percent");
            let permille = match share.parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => json!((p * 10.0).round() as i64),
                _ if share.is_empty() => Value::Null,
                _ => {
                    let mut d =
                        Draft { form: form.clone(), values: f.fields.clone(), ..Draft::default() };
                    d.errors.push(FieldProblem::local(
                        "public_share_percent",
                        t(s.l, "percent_expected"),
                    ));
                    return cameras_page(&ui, s, d, StatusCode::UNPROCESSABLE_ENTITY).await;
                }
            };
            (
                "/api/v1/cameras".to_owned(),
                json!({ "code": txt(&f, "code"), "site_id": num(&f, "site_id"), "name": txt(&f, "name"),
                        "install_date": txt(&f, "install_date"), "rtsp_url": opt(&f, "rtsp_url"), "onvif_url": opt(&f, "onvif_url"), "recorder": opt(&f, "recorder"),
                        "public_share_permille": permille, "coverage_exemption": opt(&f, "coverage_exemption"),
                        "consensus_note": opt(&f, "consensus_note"), "owner_permission": opt(&f, "owner_permission"),
                        "anti_removal": f.fields.contains_key("anti_removal"), "masks_native": f.fields.contains_key("masks_native") }),
            )
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        // A form with a confirmation in the catalogue (`done_onvif`) shows it on the page.
        Ok(_) if form == "onvif" => Redirect::to("/cameras?done=onvif#done").into_response(),
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
    let a = ui.api.get("/api/v1/workstations", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    // Contractors get no dedicated PC: they never extract footage (PROD-CONTRACTOR-1).
    let orgs = organisations(ui, &headers, |k| k != "contractor").await;
    // The placements this city's rules allow (ASA-3.2e, KIT-5.5, NIS-8, SAK-M).
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
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
            thead { tr { th { (t(l, "code")) } th { (t(l, "name")) } th { (t(l, "placement")) } th { (t(l, "storage")) } th { (t(l, "enrolled_at")) } th { (t(l, "custody_checked")) } th { (t(l, "revoked")) } th { "" } } }
            tbody {
                @for w in a.json.as_array().into_iter().flatten() {
                    @let id = w["id"].to_string();
                    tr {
                        td { (js(&w["code"])) } td { (js(&w["name"])) } td { (js(&w["placement"])) } td { (js(&w["storage"])) }
                        td { (when(l, &w["enrolled_at"])) } td { (when(l, &w["last_custody_check_at"])) }
                        td { (when(l, &w["revoked_at"])) " " (js(&w["revoked_reason"])) }
                        td {
                            @if w["revoked_at"].is_null() {
                                form.inline method="post" action="/workstations" { (form_head(&me, "enrol")) input type="hidden" name="id" value=(id); button { (t(l, "enrol")) } }
                                " "
                                form.inline method="post" action="/workstations" { (form_head(&me, "custody")) input type="hidden" name="id" value=(id); button { (t(l, "custody_check")) } }
                                form method="post" action="/workstations" data-confirm=(confirm) {
                                    (form_head(&me, "revoke")) input type="hidden" name="id" value=(id);
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
                    @for pl in profile["workstations"]["placements"].as_array().into_iter().flatten() {
                        @let id = js(&pl["id"]);
                        option value=(id) selected[d.v("workstation", "placement") == id] { (label(l, "placement", id)) }
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
    let (path, body) = match f.fields.get("form").map(String::as_str) {
        Some("workstation") => (
            "/api/v1/workstations".to_owned(),
            json!({ "code": txt(&f, "code"), "name": txt(&f, "name"), "placement": txt(&f, "placement"),
                    "organisation_id": num(&f, "organisation_id"), "storage": txt(&f, "storage") }),
        ),
        Some("enrol") => (format!("/api/v1/workstations/{id}/enrol-link"), json!({})),
        Some("custody") => (format!("/api/v1/workstations/{id}/custody-check"), json!({})),
        Some("revoke") => {
            (format!("/api/v1/workstations/{id}/revoke"), json!({ "reason": txt(&f, "reason") }))
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(a) if a.json["href"].is_string() => {
            // A one-time link (24 h), shown once to the manager; the PC that opens it is
            // enrolled (issue 16, L8). Only its hash is stored.
            let e = (s_owned(&a.json["workstation"]), s_owned(&a.json["href"]));
            workstations_page(&ui, s, Draft::default(), StatusCode::OK, Some(e)).await
        }
        Ok(_) => Redirect::to("/workstations").into_response(),
        Err((status, d)) => workstations_page(&ui, s, d, status, None).await,
    }
}

/// Bytes as GiB with one decimal.
fn gib(v: &Value) -> String {
    v.as_u64().map(|b| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)).unwrap_or_default()
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
    let a = ui.api.get("/api/v1/nodes", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let confirm = t(l, "confirm_irreversible");
    let manage = me.can("registry.manage");
    // KIT-5.1: where the profile sets site conditions, each recorder's are confirmed here.
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let site_kinds: Vec<Value> =
        profile["recorder_sites"]["kinds"].as_array().cloned().unwrap_or_default();
    let name_key = if l == Lang::Ja { "name_ja" } else { "name_en" };
    let kind_name = |id: &str| {
        site_kinds
            .iter()
            .find(|k| k["id"] == id)
            .map(|k| js(&k[name_key]).to_owned())
            .unwrap_or_default()
    };
    let body = html! {
        @if let Some((name, token)) = &token {
            section.actions #node-token role="status" {
                h2 { (t(l, "node_token")) " — " (name) }
                p { (t(l, "node_token_help")) }
                p { code.hash { (token) } }
            }
        }
        @if let Some(local) = a.json["in_process"].as_object() {
            p #in-process { (t(l, "node_in_process")) ": " (js(&local["name"].clone())) " — "
                (local["cameras"].as_array().into_iter().flatten().map(|c| js(c).to_owned()).collect::<Vec<_>>().join("、")) }
        }
        table #nodes {
            thead { tr {
                th { (t(l, "name")) } th { (t(l, "site")) } th { (t(l, "state")) } th { (t(l, "node_cameras")) }
                th { (t(l, "last_contact")) } th { (t(l, "disk_free")) } th { (t(l, "oldest_footage")) }
                th { (t(l, "keys_held")) } th { (t(l, "clock_offset")) } th { (t(l, "last_erasures")) } th { "" }
            } }
            tbody {
                @for n in a.json["nodes"].as_array().into_iter().flatten() {
                    @let id = n["id"].to_string();
                    @let state = js(&n["state"]).to_owned();
                    tr data-node=(js(&n["name"])) {
                        td { (js(&n["name"])) br; small { (js(&n["address"])) } }
                        td { (js(&n["site"]))
                             @if let Some(k) = n["site_kind"].as_str() { br; small.site-kind { (kind_name(k)) } } }
                        td { span class={ "badge node-" (state) } { (label(l, "node_state", &state)) }
                             @for a in n["alerts"].as_array().into_iter().flatten().filter(|a| a.as_str() != Some("stale")) {
                                 br; span.badge.alert { (label(l, "node_alert", js(a))) } }
                             @if !n["revoked_reason"].as_str().unwrap_or_default().is_empty() { br; small { (js(&n["revoked_reason"])) } } }
                        td { (n["cameras"].as_array().into_iter().flatten().map(|c| js(c).to_owned()).collect::<Vec<_>>().join("、")) }
                        td { (when(l, &n["last_contact_at"])) }
                        td { (gib(&n["health"]["disk_free_bytes"])) }
                        td { (when(l, &n["health"]["oldest_footage_at"])) }
                        td { (n["health"]["keys_held"].as_u64().map(|k| k.to_string()).unwrap_or_default()) }
                        td { (n["health"]["clock_offset_ms"].as_i64().map(|o| format!("{o} ms")).unwrap_or_default()) }
                        td.erasures {
                            @for e in n["erasures"].as_array().into_iter().flatten().take(3) {
                                (js(&e["camera"])) " " (js(&e["day"])) " " small { (when(l, &e["erased_at"])) } br;
                            }
                        }
                        td {
                            @if manage && n["revoked_at"].is_null() {
                                form method="post" action="/nodes" data-confirm=(confirm) {
                                    (form_head(&me, "revoke")) input type="hidden" name="id" value=(id);
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
                            @for k in &site_kinds {
                                @let kid = js(&k["id"]);
                                label.check { input type="radio" name="site_kind" value=(kid) checked[d.v("node", "site_kind") == kid]; strong { (js(&k[name_key])) } }
                                ul.conditions {
                                    @for c in k["conditions"].as_array().into_iter().flatten() {
                                        @let key = format!("cond:{}:{}", kid, js(&c["id"]));
                                        li { label.check { input type="checkbox" name=(key) value="1" checked[!d.v("node", &key).is_empty()]; (js(&c[name_key])) } }
                                    }
                                }
                            }
                            @if let Some(e) = d.err("node", "site_kind").or_else(|| d.err("node", "site_conditions")) { p.field-error { (e) } }
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
    let (path, body) = match f.fields.get("form").map(String::as_str) {
        Some("node") => {
            // The conditions ticked under the chosen kind (`cond:{kind}:{id}`).
            let kind = txt(&f, "site_kind");
            let prefix = format!("cond:{kind}:");
            let conditions: Vec<&str> =
                f.fields.keys().filter_map(|k| k.strip_prefix(prefix.as_str())).collect();
            (
                "/api/v1/nodes".to_owned(),
                json!({ "name": txt(&f, "name"), "site": txt(&f, "site"), "address": txt(&f, "address"),
                        "site_kind": opt(&f, "site_kind"), "site_conditions": conditions }),
            )
        }
        Some("revoke") => {
            (format!("/api/v1/nodes/{id}/revoke"), json!({ "reason": txt(&f, "reason") }))
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(a) if a.json["enrolment_token"].is_string() => {
            // Shown once: only its hash is kept (issue 21).
            let e = (s_owned(&a.json["name"]), s_owned(&a.json["enrolment_token"]));
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
    let a = ui.api.get("/api/v1/room-entries", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let name = js(&a.json["room"][l.code()]).to_owned();
    let body = html! {
        p { (t(l, "room_help")) }
        table #room-entries {
            thead { tr { th { (t(l, "person")) } th { (t(l, "purpose")) } th { (t(l, "room_ground")) } th { (t(l, "room_entered")) } th { (t(l, "room_left")) } } }
            tbody {
                @for e in a.json["entries"].as_array().into_iter().flatten() {
                    tr {
                        td { (js(&e["name"])) }
                        td { (js(&e["purpose"])) }
                        td { (label(l, "room_ground", js(&e["ground"])))
                             @if let Some(by) = e["approved_by"].as_str() { br; small { (by) } } }
                        td { (when(l, &e["entered_at"])) }
                        td {
                            @if e["left_at"].is_null() {
                                form method="post" action="/room" {
                                    (form_head(&me, "leave")) input type="hidden" name="id" value=(e["id"]);
                                    button { (t(l, "room_leave")) }
                                }
                            } @else { (when(l, &e["left_at"])) }
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
    let (path, body) = match f.fields.get("form").map(String::as_str) {
        Some("enter") => (
            "/api/v1/room-entries".to_owned(),
            json!({ "purpose": txt(&f, "purpose"), "login": opt(&f, "login") }),
        ),
        Some("leave") => (format!("/api/v1/room-entries/{}/leave", txt(&f, "id")), json!({})),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/room").into_response(),
        Err((status, d)) => room_page(&ui, s, d, status).await,
    }
}

fn s_owned(v: &Value) -> String {
    js(v).to_owned()
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
    let a = ui.api.get("/api/v1/contracts", &headers).await;
    if !a.ok() {
        return problem_page(l, Some(&me), &a);
    }
    let orgs = organisations(ui, &headers, |k| k == "contractor").await;
    // The clause the checklist rests on in the running profile (ASA-3.7 in Asahikawa; a product
    // rule elsewhere), never another city's.
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    // Always in the profile's answer (the policy crate gives it a default).
    let gate_rule = js(&profile["accounts"]["contractor_gate_rule"]).to_owned();
    let body = html! {
        table #contracts {
            thead { tr { th { "#" } th { (t(l, "contract_title")) } th { (t(l, "scope")) } th { (t(l, "clauses")) } th { (t(l, "valid")) } th { (t(l, "signed_off")) } } }
            tbody {
                @for c in a.json.as_array().into_iter().flatten() {
                    @let clauses: Vec<Value> = serde_json::from_str(js(&c["clauses"])).unwrap_or_default();
                    tr {
                        td { (c["id"]) } td { (js(&c["title"])) } td { (js(&c["scope"])) }
                        td { ul.clauses { @for k in &clauses {
                            li { (CLAUSES.get((k["clause"].as_u64().unwrap_or(1) as usize).saturating_sub(1)).copied().unwrap_or("?")) " "
                                 @if k["included"] == true { (t(l, "included")) } @else { (t(l, "left_out")) ": " (js(&k["reason"])) } }
                        } } }
                        td { (when(l, &c["valid_from"])) " 〜 " (when(l, &c["valid_until"])) }
                        td {
                            @if c["signed_off_at"].is_null() {
                                form.inline method="post" action="/contracts" { (form_head(&me, "sign_off")) input type="hidden" name="id" value=(c["id"]); button.sign-off { (t(l, "sign_off")) } }
                            } @else { (when(l, &c["signed_off_at"])) }
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
                        label.check { input type="checkbox" name={ "clause" (n) } value="1" checked[d.form != "contract" || !d.v("contract", &format!("clause{n}")).is_empty()]; (mark) " " (t(l, &format!("clause_{n}"))) }
                        label for={ "contract-reason" (n) } { (mark) " " (t(l, "left_out_reason")) }
                        input id={ "contract-reason" (n) } name={ "reason" (n) } value=(d.v("contract", &format!("reason{n}")));
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
    let (path, body) = match f.fields.get("form").map(String::as_str) {
        Some("contract") => {
            let clauses: Vec<Value> = (1..=7)
                .map(|n| {
                    let included = f.fields.contains_key(&format!("clause{n}"));
                    json!({ "clause": n, "included": included, "reason": if included { Value::Null } else { opt(&f, &format!("reason{n}")) } })
                })
                .collect();
            let day = |k: &str| {
                let v = txt(&f, k);
                if v.is_empty() { v } else { format!("{v}T00:00:00+09:00") }
            };
            (
                "/api/v1/contracts".to_owned(),
                json!({ "organisation_id": num(&f, "organisation_id"), "title": txt(&f, "title"), "scope": txt(&f, "scope"),
                        "clauses": clauses, "valid_from": day("valid_from"), "valid_until": day("valid_until") }),
            )
        }
        Some("sign_off") => (format!("/api/v1/contracts/{}/sign-off", txt(&f, "id")), json!({})),
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

/// A polygon written back the way the form takes it.
fn points_text(poly: &Value) -> String {
    poly.as_array()
        .into_iter()
        .flatten()
        .map(|p| format!("{},{}", p[0], p[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `points` of an SVG polygon in a 1000 × 562.5 (16:9) picture box.
fn svg_points(poly: &Value) -> String {
    poly.as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{:.1},{:.1}",
                p[0].as_f64().unwrap_or(0.0) * 1000.0,
                p[1].as_f64().unwrap_or(0.0) * 562.5
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /cameras/{id}/masks`: a camera's privacy masks, every version with who, when and why,
/// drawn as a diagram of the picture (never the picture: ALL-REC-2), and for the manager the form
/// for a new version (ASA-2.1, KAW-2.1.3).
pub async fn masks(State(ui): State<Arc<Ui>>, s: Session, Path(id): Path<i64>) -> Response {
    masks_page(&ui, s, id, Draft::default(), StatusCode::OK).await
}

async fn masks_page(ui: &Ui, s: Session, id: i64, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let versions = ui.api.get(&format!("/api/v1/cameras/{id}/masks"), &headers).await;
    if !versions.ok() {
        return problem_page(l, Some(&me), &versions);
    }
    let cams = ui.api.get("/api/v1/cameras", &headers).await.json;
    let cam = cams.as_array().into_iter().flatten().find(|c| c["id"] == id).cloned();
    let cam = cam.unwrap_or(Value::Null);
    let list: Vec<Value> = versions.json.as_array().cloned().unwrap_or_default();
    let current = list.first().cloned().unwrap_or(Value::Null);
    let polys: Vec<Value> = current["polygons"].as_array().cloned().unwrap_or_default();
    // A fresh form starts from the version in force.
    let mut d = d;
    if d.form != "masks" {
        d.form = "masks".into();
        d.values.insert(
            "polygons".into(),
            polys.iter().map(points_text).collect::<Vec<_>>().join("\n"),
        );
        if !current["public_area"].is_null() {
            d.values.insert("public_area".into(), points_text(&current["public_area"]));
        }
        if current["in_recorder"] == true {
            d.values.insert("in_recorder".into(), "1".into());
        }
    }
    let title = format!("{} {} — {}", js(&cam["code"]), js(&cam["name"]), t(l, "privacy_masks"));
    // The running profile's own clauses, never another city's (issue 15, item 7).
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let masks_rule = js(&profile["recording"]["masks_rule"]).to_owned();
    let coverage_rule = match profile["coverage"]["rule"].as_str() {
        Some(r) if l == Lang::Ja => format!("（{r}）"),
        Some(r) => format!(" ({r})"),
        None => String::new(),
    };
    let body = html! {
        p { a href="/cameras" { (t(l, "cameras")) } }
        p.note { (t(l, "masks_note").replace("{rule}", &masks_rule)) }
        @if !current.is_null() {
            figure {
                svg #mask-diagram viewBox="0 0 1000 562.5" width="480" role="img" aria-label=(t(l, "mask_diagram")) {
                    rect x="0" y="0" width="1000" height="562.5" fill="#9aa4ad" {}
                    @if !current["public_area"].is_null() {
                        polygon points=(svg_points(&current["public_area"])) fill="#cfe8cf" stroke="#2e7d32" stroke-width="4" {}
                    }
                    @for p in &polys { polygon.mask points=(svg_points(p)) fill="#000" {} }
                }
                figcaption {
                    (t(l, "version")) " " (current["version"]) " · "
                    (t(l, "public_share")) " "
                    (current["public_share_permille"].as_i64().map(|p| format!("{:.1} %", p as f64 / 10.0)).unwrap_or_else(|| "—".into()))
                    " · " @if current["in_recorder"] == true { (t(l, "mask_in_recorder")) } @else { (t(l, "masks_native")) }
                }
            }
        }
        @if cam["awaiting_commission"] == true {
            section #commissioning {
                h2 { (t(l, "commissioning_still")) }
                p.note { (t(l, "commissioning_still_note")) }
                img #still src={ "/api/v1/cameras/" (id) "/still" } width="480" alt=(t(l, "commissioning_still"));
                (d.alert("commission"))
                @if me.can("registry.manage") {
                    form method="post" action={ "/cameras/" (id) "/masks" } data-confirm=(t(l, "confirm_irreversible")) {
                        (form_head(&me, "commission"))
                        // NIS-2, NIS-6: the camera keeps the footage; its cycle is recorded now.
                        @if profile["recording"]["camera_holds_footage"] == true {
                            label for="overwrite_cycle_days" { (t(l, "overwrite_cycle")) " (" (t(l, "days_unit")) ")" }
                            input #overwrite_cycle_days name="overwrite_cycle_days" type="number" min="1" required value=(d.v("commission", "overwrite_cycle_days"));
                            @if let Some(e) = d.err("commission", "overwrite_cycle_days") { p.field-error { (e) } }
                        }
                        button #commission { (t(l, "commission")) }
                    }
                }
            }
        } @else if !cam["commissioned_at"].is_null() {
            p #commissioned { (t(l, "commissioned_at")) " " (when(l, &cam["commissioned_at"])) " — " (t(l, "still_through_chain")) }
        }
        table #mask-versions {
            thead { tr { th { (t(l, "version")) } th { (t(l, "mask_polygons")) } th { (t(l, "public_share")) } th { (t(l, "mask_in_recorder")) } th { (t(l, "reason")) } th { (t(l, "by")) } th { (t(l, "at")) } } }
            tbody {
                @for v in &list {
                    tr {
                        td { (v["version"]) }
                        td { (v["polygons"].as_array().map_or(0, Vec::len)) }
                        td { (v["public_share_permille"].as_i64().map(|p| format!("{:.1} %", p as f64 / 10.0)).unwrap_or_default()) }
                        td { (yes(l, &v["in_recorder"])) }
                        td { (js(&v["reason"])) } td { (v["created_by"]) } td { (when(l, &v["created_at"])) }
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
                    (input(&d, "masks", "public_area", &t(l, "public_area_help").replace("{rule}", &coverage_rule), "text", false))
                    label.check { input type="checkbox" name="in_recorder" value="1" checked[!d.v("masks", "in_recorder").is_empty()]; (t(l, "mask_in_recorder")) }
                    (input(&d, "masks", "coverage_exemption", &t(l, "coverage_exemption"), "text", false))
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
    if txt(&f, "form") == "commission" {
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
                       "coverage_exemption": opt(&f, "coverage_exemption"), "reason": txt(&f, "reason") });
    match post_form(&ui, &s.headers, &f, &format!("/api/v1/cameras/{id}/masks"), body).await {
        Ok(_) => Redirect::to(&format!("/cameras/{id}/masks")).into_response(),
        Err((status, d)) => masks_page(&ui, s, id, d, status).await,
    }
}
