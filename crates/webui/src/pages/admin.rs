//! Accounts and role designations: who may touch the system (ASA-3.1, KIT-3, NIS-2).

use super::*;

/// `GET /accounts`: accounts with their lock state, and the role designations.
pub async fn accounts(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    accounts_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn accounts_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    let accounts = ui.api.get("/api/v1/accounts", &headers).await;
    let designations = ui.api.get("/api/v1/designations", &headers).await;
    if !accounts.ok() && !designations.ok() {
        return problem_page(l, Some(&me), &designations);
    }
    let profile = ui.api.get("/api/v1/profile", &headers).await.json;
    let orgs = ui.api.get("/api/v1/organisations", &headers).await;
    let name_key = if l == Lang::Ja { "name_ja" } else { "name_en" };
    let login_of = |id: &Value| {
        accounts.json.as_array().into_iter().flatten().find(|a| a["id"] == *id).map_or_else(
            || format!("#{id}"),
            |a| format!("{} ({})", js(&a["display_name"]), js(&a["login"])),
        )
    };
    let account_options: Vec<(String, String)> = accounts
        .json
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["disabled_at"].is_null())
        .map(|a| (a["id"].to_string(), format!("{} ({})", js(&a["display_name"]), js(&a["login"]))))
        .collect();
    let role_options: Vec<(String, String)> = profile["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| (js(&r["id"]).to_owned(), js(&r[name_key]).to_owned()))
        .collect();
    let org_options: Vec<(String, String)> = orgs
        .json
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| (o["id"].to_string(), format!("{} ({})", js(&o["name"]), js(&o["kind"]))))
        .collect();
    let confirm = t(l, "confirm_irreversible");
    let body = html! {
        @if accounts.ok() {
            h2 #accounts-h { (t(l, "accounts")) }
            table #accounts aria-labelledby="accounts-h" {
                thead { tr { th { (t(l, "login_name")) } th { (t(l, "person_name")) } th { (t(l, "password_changed")) } th { "TOTP" } th { (t(l, "acknowledged")) } th { (t(l, "account_state")) } th { "" } } }
                tbody {
                    @for a in accounts.json.as_array().into_iter().flatten() {
                        tr {
                            td { (js(&a["login"])) } td { (js(&a["display_name"])) } td { (when(l, &a["password_changed_at"])) }
                            td { @if a["totp_enabled"] == true { (t(l, "yes")) } @else { (t(l, "no")) } }
                            td { (when(l, &a["acknowledged_at"])) }
                            td {
                                @if !a["disabled_at"].is_null() { (t(l, "disabled")) " " (when(l, &a["disabled_at"])) }
                                @else if a["pending_activation"] == true { (t(l, "pending_activation")) }
                                @else if !a["locked_until"].is_null() { (t(l, "locked")) " 〜" (js(&a["locked_until"])) }
                            }
                            td {
                                // PROD-SOD-6: a second administrator activates an outsider's account.
                                @if a["pending_activation"] == true && a["disabled_at"].is_null() {
                                    form.inline method="post" action="/accounts" { (form_head(&me, "activate")) input type="hidden" name="id" value=(a["id"]); button { (t(l, "activate")) } }
                                }
                                @if !a["locked_until"].is_null() {
                                    form.inline method="post" action="/accounts" { (form_head(&me, "unlock")) input type="hidden" name="id" value=(a["id"]); button { (t(l, "unlock")) } }
                                }
                                @if a["disabled_at"].is_null() && a["id"].as_i64() != Some(me.id()) {
                                    form.inline method="post" action="/accounts" data-confirm=(confirm) { (form_head(&me, "disable")) input type="hidden" name="id" value=(a["id"]); button { (t(l, "disable")) } }
                                }
                            }
                        }
                    }
                }
            }
            (d.alert("activate")) (d.alert("unlock")) (d.alert("disable"))
            section.actions {
                h2 { (t(l, "new_account")) }
                (d.alert("account"))
                form method="post" action="/accounts" novalidate {
                    (form_head(&me, "account"))
                    (input(&d, "account", "login", &t(l, "login_name"), "text", true))
                    (input(&d, "account", "display_name", &t(l, "person_name"), "text", true))
                    (select(&d, "account", "organisation_id", &t(l, "organisation"), &org_options))
                    (input(&d, "account", "initial_password", &t(l, "initial_password"), "password", true))
                    button #create-account { (t(l, "register")) }
                }
            }
        }
        @if designations.ok() {
            h2 #designations-h { (t(l, "designations")) }
            table #designations aria-labelledby="designations-h" {
                thead { tr { th { (t(l, "login_name")) } th { (t(l, "role")) } th { (t(l, "designated_at")) } th { (t(l, "valid_until")) } th { (t(l, "designation_document")) } th { (t(l, "in_force")) } th { "" } } }
                tbody {
                    @for x in designations.json.as_array().into_iter().flatten() {
                        tr {
                            td { (login_of(&x["account_id"])) } td { (role_name(l, x)) }
                            td { (when(l, &x["designated_at"])) } td { (when(l, &x["valid_until"])) } td { (js(&x["document_ref"])) }
                            td { @if x["in_force"] == true { (t(l, "yes")) } @else { (t(l, "no")) " " (when(l, &x["revoked_at"])) } }
                            td { @if x["in_force"] == true {
                                form.inline method="post" action="/accounts" data-confirm=(confirm) { (form_head(&me, "revoke")) input type="hidden" name="id" value=(x["id"]); button { (t(l, "revoke")) } }
                            } }
                        }
                    }
                }
            }
            (d.alert("revoke"))
            section.actions {
                h2 { (t(l, "designate")) }
                (d.alert("designation"))
                form method="post" action="/accounts" novalidate {
                    (form_head(&me, "designation"))
                    @if account_options.is_empty() {
                        (input(&d, "designation", "account_id", &t(l, "account_id"), "number", true))
                    } @else {
                        (select(&d, "designation", "account_id", &t(l, "login_name"), &account_options))
                    }
                    (select(&d, "designation", "role", &t(l, "role"), &role_options))
                    (input(&d, "designation", "valid_until", &t(l, "valid_until"), "date", false))
                    (input(&d, "designation", "note", &t(l, "designation_note"), "text", false))
                    // Where the role rests on a document (NIS-10.3 届出), its reference.
                    (input(&d, "designation", "document_ref", &t(l, "designation_document"), "text", false))
                    button #designate { (t(l, "designate")) }
                }
            }
        }
    };
    (status, page(l, Some(&me), &t(l, "accounts"), body)).into_response()
}

/// `POST /accounts`.
pub async fn accounts_post(
    State(ui): State<Arc<Ui>>,
    s: Session,
    Form(f): Form<Plain>,
) -> Response {
    let id = txt(&f, "id");
    let (path, body) = match f.fields.get("form").map(String::as_str) {
        Some("account") => (
            "/api/v1/accounts".to_owned(),
            json!({ "login": txt(&f, "login"), "display_name": txt(&f, "display_name"),
                    "organisation_id": num(&f, "organisation_id"),
                    "initial_password": f.fields.get("initial_password").cloned().unwrap_or_default() }),
        ),
        Some("designation") => {
            let until = txt(&f, "valid_until");
            (
                "/api/v1/designations".to_owned(),
                json!({ "account_id": num(&f, "account_id"), "role": txt(&f, "role"),
                        "valid_until": if until.is_empty() { Value::Null } else { json!(format!("{until}T23:59:59+09:00")) },
                        "note": opt(&f, "note"), "document_ref": opt(&f, "document_ref") }),
            )
        }
        Some("activate") => (format!("/api/v1/accounts/{id}/activate"), json!({})),
        Some("unlock") => (format!("/api/v1/accounts/{id}/unlock"), json!({})),
        Some("disable") => (format!("/api/v1/accounts/{id}/disable"), json!({})),
        Some("revoke") => (format!("/api/v1/designations/{id}/revoke"), json!({})),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/accounts").into_response(),
        Err((status, d)) => accounts_page(&ui, s, d, status).await,
    }
}

/// A designation's role by its name in `l` (the Japanese name where the API gives no English
/// one); never its code (issue 19, item 4).
fn role_name(l: Lang, x: &Value) -> String {
    let en = x["role_name_en"].as_str().filter(|_| l == Lang::En);
    en.or(x["role_name_ja"].as_str()).unwrap_or("").to_owned()
}
