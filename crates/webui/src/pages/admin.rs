//! Accounts and role designations: who may touch the system (ASA-3.1, KIT-3, NIS-2).

use super::*;
use server::api::admin::{AccountView, DesignationView, OrganisationView};

/// `GET /accounts`: accounts with their lock state, and the role designations.
pub async fn accounts(State(ui): State<Arc<Ui>>, s: Session) -> Response {
    accounts_page(&ui, s, Draft::default(), StatusCode::OK).await
}

async fn accounts_page(ui: &Ui, s: Session, d: Draft, status: StatusCode) -> Response {
    let Session { l, me, headers } = s;
    // An accounts administrator sees the accounts, a designator the designations; either page
    // part alone is the page, and a person who is neither is refused.
    let accounts = ui.api.get_as::<Vec<AccountView>>("/api/v1/accounts", &headers).await;
    let designations =
        ui.api.get_as::<Vec<DesignationView>>("/api/v1/designations", &headers).await;
    let (accounts, designations) = match (accounts, designations) {
        (Err(_), Err(a)) => return problem_page(l, Some(&me), &a),
        (accounts, designations) => (accounts.ok(), designations.ok()),
    };
    let profile = or_problem!(ui.profile(&headers).await, l, &me);
    let orgs = ui.api.get_as::<Vec<OrganisationView>>("/api/v1/organisations", &headers).await;
    let all_accounts = accounts.as_deref().unwrap_or_default();
    let login_of = |id: i64| {
        all_accounts
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| format!("#{id}"), |a| format!("{} ({})", a.display_name, a.login))
    };
    let account_options: Vec<(String, String)> = all_accounts
        .iter()
        .filter(|a| a.disabled_at.is_none())
        .map(|a| (a.id.to_string(), format!("{} ({})", a.display_name, a.login)))
        .collect();
    let role_name_of = |r: &policy::profile::RoleDef| {
        if l == Lang::Ja { r.name_ja.clone() } else { r.name_en.clone() }
    };
    let role_options: Vec<(String, String)> =
        profile.roles.iter().map(|r| (r.id.clone(), role_name_of(r))).collect();
    let org_options: Vec<(String, String)> = orgs
        .into_iter()
        .flatten()
        .map(|o| (o.id.to_string(), format!("{} ({})", o.name, o.kind.as_str())))
        .collect();
    let confirm = t(l, "confirm_irreversible");
    let body = html! {
        @if let Some(accounts) = &accounts {
            h2 #accounts-h { (t(l, "accounts")) }
            table #accounts aria-labelledby="accounts-h" {
                thead { tr { th { (t(l, "login_name")) } th { (t(l, "person_name")) }
                        th { (t(l, "password_changed")) } th { "TOTP" }
                        th { (t(l, "acknowledged")) }
                        th { (t(l, "account_state")) } th { "" } } }
                tbody {
                    @for a in accounts {
                        tr {
                            td { (a.login) } td { (a.display_name) }
                            td { (when_at(l, &a.password_changed_at)) }
                            td { @if a.totp_enabled { (t(l, "yes")) } @else { (t(l, "no")) } }
                            td { (at(l, &a.acknowledged_at)) }
                            td {
                                @if a.disabled_at.is_some() { (t(l, "disabled"))
                                    " " (at(l, &a.disabled_at)) }
                                @else if a.pending_activation { (t(l, "pending_activation")) }
                                @else if let Some(until) = &a.locked_until { (t(l, "locked"))
                                    " 〜" (until) }
                            }
                            td {
                                // PROD-SOD-6: a second administrator activates an
                                // outsider's account.
                                @if a.pending_activation && a.disabled_at.is_none() {
                                    form.inline method="post" action="/accounts" {
                                            (form_head(&me, "activate"))
                                        input type="hidden" name="id" value=(a.id);
                                        button { (t(l, "activate")) } }
                                }
                                @if a.locked_until.is_some() {
                                    form.inline method="post" action="/accounts" {
                                            (form_head(&me, "unlock"))
                                        input type="hidden" name="id" value=(a.id);
                                        button { (t(l, "unlock")) } }
                                }
                                @if a.disabled_at.is_none() && a.id != me.id() {
                                    form.inline method="post" action="/accounts"
                                        data-confirm=(confirm) { (form_head(&me, "disable"))
                                        input type="hidden" name="id" value=(a.id);
                                        button { (t(l, "disable")) } }
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
                    (input(
                        &d, "account", "initial_password", &t(l, "initial_password"), "password",
                        true,
                    ))
                    button #create-account { (t(l, "register")) }
                }
            }
        }
        @if let Some(designations) = &designations {
            h2 #designations-h { (t(l, "designations")) }
            table #designations aria-labelledby="designations-h" {
                (head(l, &[
                    "login_name", "role", "designated_at", "valid_until", "designation_document",
                    "in_force", "",
                ]))
                tbody {
                    @for x in designations {
                        tr {
                            td { (login_of(x.account_id)) } td { (role_name(l, x)) }
                            td { (when_at(l, &x.designated_at)) } td { (at(l, &x.valid_until)) }
                            td { (x.document_ref.as_deref().unwrap_or("")) }
                            td { @if x.in_force { (t(l, "yes")) }
                                @else { (t(l, "no")) " " (at(l, &x.revoked_at)) } }
                            td { @if x.in_force {
                                form.inline method="post" action="/accounts"
                                    data-confirm=(confirm) { (form_head(&me, "revoke"))
                                    input type="hidden" name="id" value=(x.id);
                                    button { (t(l, "revoke")) } }
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
                        (input(
                            &d, "designation", "account_id", &t(l, "account_id"), "number", true
                        ))
                    } @else {
                        (select(
                            &d, "designation", "account_id", &t(l, "login_name"), &account_options
                        ))
                    }
                    (select(&d, "designation", "role", &t(l, "role"), &role_options))
                    (input(&d, "designation", "valid_until", &t(l, "valid_until"), "date", false))
                    (input(&d, "designation", "note", &t(l, "designation_note"), "text", false))
                    // Where the role rests on a document (NIS-10.3 届出), its reference.
                    (input(
                        &d, "designation", "document_ref", &t(l, "designation_document"), "text",
                        false,
                    ))
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
    let (path, body) = match f.form() {
        Some(PageForm::Account) => (
            "/api/v1/accounts".to_owned(),
            json!({ "login": txt(&f, "login"), "display_name": txt(&f, "display_name"),
                    "organisation_id": num(&f, "organisation_id"),
                    "initial_password": raw(&f, "initial_password") }),
        ),
        Some(PageForm::Designation) => {
            let until = txt(&f, "valid_until");
            (
                "/api/v1/designations".to_owned(),
                json!({ "account_id": num(&f, "account_id"), "role": txt(&f, "role"),
                        "valid_until": end_of_day(&until),
                        "note": opt(&f, "note"), "document_ref": opt(&f, "document_ref") }),
            )
        }
        Some(PageForm::Activate) => (format!("/api/v1/accounts/{id}/activate"), json!({})),
        Some(PageForm::Unlock) => (format!("/api/v1/accounts/{id}/unlock"), json!({})),
        Some(PageForm::Disable) => (format!("/api/v1/accounts/{id}/disable"), json!({})),
        Some(PageForm::Revoke) => (format!("/api/v1/designations/{id}/revoke"), json!({})),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match post_form(&ui, &s.headers, &f, &path, body).await {
        Ok(_) => Redirect::to("/accounts").into_response(),
        Err((status, d)) => accounts_page(&ui, s, d, status).await,
    }
}

/// A designation's role by its name in `l` (the Japanese name where the API gives no English
/// one); never its code (issue 19, item 4).
fn role_name(l: Lang, x: &DesignationView) -> String {
    let en = x.role_name_en.as_deref().filter(|_| l == Lang::En);
    en.or(x.role_name_ja.as_deref()).unwrap_or("").to_owned()
}
