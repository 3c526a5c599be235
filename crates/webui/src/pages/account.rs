//! My account: confidentiality duty, password, TOTP; enrolling a workstation.
use super::*;
use server::api::session::{RecoveryCodes, TotpConfirmed, TotpEnrolment};
/// `GET /account`: confidentiality acknowledgement, password change and the second factor;
/// `?done=password` (…) shows the confirmation of what was just done.
pub async fn account(
    s: Session,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let Session { l, me, .. } = s;
    let done = Draft { done: q.get("done").cloned(), ..Draft::default() };
    account_page(l, &me, Some(&done), None, None).into_response()
}

/// Secrets the account page shows once: a TOTP enrolment in progress (the secret and its
/// `otpauth://` URL), or a new set of recovery codes.
enum Shown {
    Enrolment { secret: String, url: String },
    RecoveryCodes(Vec<String>),
}

/// The TOTP key as a QR code of its `otpauth://` URL, inline SVG drawn here (no script, no
/// request for an image that a proxy could log).
fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML: without the XML declaration.
    Some(svg.find("<svg").map_or(svg.clone(), |i| svg[i..].to_owned()))
}

fn account_page(
    l: Lang,
    me: &Me,
    done: Option<&Draft>,
    error: Option<&str>,
    shown: Option<&Shown>,
) -> Markup {
    let conf = if l == Lang::Ja { &me.confidentiality.ja } else { &me.confidentiality.en };
    page(
        l,
        Some(me),
        &me.display_name,
        html! {
            @if let Some(d) = done { (d.confirmation(l)) }
            @if let Some(e) = error { p.problem role="alert" { (e) } }
            p { (t(l, "role")) ": " (me.roles(l)) }
            @if me.must_acknowledge {
                section {
                    p.duty { (conf) }
                    form method="post" action="/account" {
                        input type="hidden" name="csrf" value=(me.csrf());
                        input type="hidden" name="op" value="acknowledge";
                        button #acknowledge { "OK" }
                    }
                }
            }
            section #date-style {
                h2 { (t(l, "date_style")) }
                p {
                    @if years() == policy::jst::Years::Western {
                        (t(l, "date_style_western"))
                        " · " a #years-era href="/years/era" { (t(l, "date_style_use_era")) }
                    } @else {
                        (t(l, "date_style_era"))
                        " · " a #years-western href="/years/western" {
                                (t(l, "date_style_use_western")) }
                    }
                }
            }
            section {
                h2 { (t(l, "password")) }
                form method="post" action="/account" {
                    input type="hidden" name="csrf" value=(me.csrf());
                    input type="hidden" name="op" value="password";
                    label for="current" { (t(l, "password_current")) }
                    input #current name="current" type="password" autocomplete="current-password"
                        required;
                    label for="new" { (t(l, "password_new")) }
                    input #new name="new" type="password" autocomplete="new-password" required;
                    label for="confirm" { (t(l, "password_confirm")) }
                    input #confirm name="confirm" type="password" autocomplete="new-password"
                        required;
                    button { (t(l, "change_password")) }
                }
            }
            section #totp-section {
                h2 { (t(l, "totp_title")) }
                @if let Some(Shown::RecoveryCodes(codes)) = shown {
                    p.duty { (t(l, "recovery_codes_once")) }
                    ol #recovery-codes { @for c in codes { li { code { (c) } } } }
                }
                @if let Some(Shown::Enrolment { secret, url }) = shown {
                    p { (t(l, "totp_scan")) }
                    @if let Some(svg) = qr_svg(url) {
                        div #totp-qr.qr role="img" aria-label=(t(l, "totp_qr")) {
                                (maud::PreEscaped(svg)) }
                    }
                    p { (t(l, "totp_key")) ": " code #totp-secret { (secret) } }
                    form method="post" action="/account" {
                        input type="hidden" name="csrf" value=(me.csrf());
                        input type="hidden" name="op" value="totp_confirm";
                        // Only to show the same key again after a mistyped code: the server
                        // checks the code against the seed it keeps pending, never this field.
                        input type="hidden" name="secret" value=(secret);
                        input type="hidden" name="url" value=(url);
                        label for="code" { (t(l, "totp_code")) }
                        input #code name="code" inputmode="numeric" autocomplete="one-time-code"
                            required;
                        button #totp-confirm { (t(l, "totp_confirm")) }
                    }
                } @else if me.totp_enabled {
                    p #totp-on { (t(l, "totp_on")) }
                    p #recovery-left { (t(l, "recovery_codes_left"))
                        ": " (me.recovery_codes_left.unwrap_or(0)) }
                    form method="post" action="/account" {
                        input type="hidden" name="csrf" value=(me.csrf());
                        input type="hidden" name="op" value="recovery_codes";
                        label for="rc-password" { (t(l, "password")) }
                        input #rc-password name="password" type="password"
                            autocomplete="current-password" required;
                        label for="rc-code" { (t(l, "totp")) }
                        input #rc-code name="code" autocomplete="one-time-code" required;
                        button #recovery-renew { (t(l, "recovery_codes_renew")) }
                    }
                } @else {
                    p { (t(l, "totp_off")) }
                    form method="post" action="/account" {
                        input type="hidden" name="csrf" value=(me.csrf());
                        input type="hidden" name="op" value="totp";
                        label for="totp-password" { (t(l, "password")) }
                        input #totp-password name="password" type="password"
                            autocomplete="current-password" required;
                        button #totp-start { (t(l, "totp_start")) }
                    }
                }
            }
        },
    )
}

/// What a form on the account page asks (its `op` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum AccountOp {
    /// The notice about the rules was read (first login).
    Acknowledge,
    /// A new password.
    Password,
    /// Two-step login: a new key (shown once).
    Totp,
    /// Two-step login: the first code, which turns it on.
    TotpConfirm,
    /// New recovery codes (shown once).
    RecoveryCodes,
}

/// `POST /account`.
pub async fn account_update(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<Plain>,
) -> Response {
    let l = lang(&headers);
    let Some(op) = f.fields.get("op").and_then(|op| super::forms::named::<AccountOp>(op)) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (path, body) = match op {
        AccountOp::Acknowledge => ("/api/v1/me/acknowledge", json!({})),
        AccountOp::Password => {
            // The confirmation is the form's own check: the API takes one new password.
            if txt(&f, "new") != txt(&f, "confirm") {
                return match me(&ui, &headers).await {
                    Ok(m) => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        account_page(l, &m, None, Some(&t(l, "password_mismatch")), None),
                    )
                        .into_response(),
                    Err(r) => r,
                };
            }
            (
                "/api/v1/me/password",
                json!({ "current_password": txt(&f, "current"), "new_password": txt(&f, "new") }),
            )
        }
        AccountOp::Totp => ("/api/v1/me/totp", json!({ "password": txt(&f, "password") })),
        AccountOp::TotpConfirm => ("/api/v1/me/totp/confirm", json!({ "code": txt(&f, "code") })),
        AccountOp::RecoveryCodes => (
            "/api/v1/me/recovery-codes",
            json!({ "password": txt(&f, "password"), "totp": txt(&f, "code") }),
        ),
    };
    let a = ui.api.post(path, &headers, &f.csrf, body).await;
    // What is shown once: the new key, or the recovery codes (an answer that does not read as
    // its type is the server's error, never a page without them).
    let read = |a: &crate::client::Answer| -> Result<Option<Shown>, serde_json::Error> {
        use serde::Deserialize;
        Ok(match op {
            _ if !a.ok() => None,
            AccountOp::Totp => {
                let e = TotpEnrolment::deserialize(&a.json)?;
                Some(Shown::Enrolment { secret: e.secret, url: e.otpauth_url })
            }
            AccountOp::TotpConfirm => {
                Some(Shown::RecoveryCodes(TotpConfirmed::deserialize(&a.json)?.recovery_codes))
            }
            AccountOp::RecoveryCodes => {
                Some(Shown::RecoveryCodes(RecoveryCodes::deserialize(&a.json)?.recovery_codes))
            }
            AccountOp::Acknowledge | AccountOp::Password => None,
        })
    };
    let shown = match read(&a) {
        Ok(shown) => shown,
        Err(e) => {
            tracing::error!(%e, "an account answer did not read as its type");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if let Some(e) = shown {
        let done = Draft {
            done: (op == AccountOp::TotpConfirm).then(|| "totp".to_owned()),
            ..Draft::default()
        };
        return match me(&ui, &headers).await {
            Ok(m) => account_page(l, &m, Some(&done), None, Some(&e)).into_response(),
            Err(r) => r,
        };
    }
    if a.ok() {
        let to = match op {
            AccountOp::Password => "/account?done=password#done",
            AccountOp::Acknowledge => "/account?done=acknowledge#done",
            _ => "/",
        };
        return with_cookies(Redirect::to(to).into_response(), &a.set_cookies);
    }
    // A mistyped code keeps the enrolment on screen with the same key (the server still holds
    // it pending); the key shown comes back from the form only if it has a key's shape.
    let retry = (op == AccountOp::TotpConfirm)
        .then(|| (txt(&f, "secret"), txt(&f, "url")))
        .filter(|(secret, url)| {
            !secret.is_empty()
                && secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
                && url.starts_with("otpauth://totp/")
                && url.contains(&format!("secret={secret}&"))
        })
        .map(|(secret, url)| Shown::Enrolment { secret: secret.to_owned(), url: url.to_owned() });
    match me(&ui, &headers).await {
        Ok(m) => {
            let error = match &retry {
                Some(_) => format!("{} {}", a.detail(), t(l, "totp_retry")),
                None => a.detail(),
            };
            (a.status, account_page(l, &m, None, Some(&error), retry.as_ref())).into_response()
        }
        Err(r) => r,
    }
}

/// `GET /enrol/{code}`: the page a workstation's one-time enrolment link opens — a button that
/// enrols this PC. Opening the link changes nothing (a link previewer or a second look does not
/// spend it); the POST does (issue 16, L8).
pub async fn enrol(headers: HeaderMap, Path(code): Path<String>) -> Response {
    let l = lang(&headers);
    if !enrol_code_shape(&code) {
        return enrol_result(l, StatusCode::NOT_FOUND, None);
    }
    page(
        l,
        None,
        &t(l, "workstation"),
        html! {
            p { (t(l, "enrol_explain")) }
            form method="post" action={ "/enrol/" (code) } {
                button #enrol type="submit" { (t(l, "enrol_this_pc")) }
            }
        },
    )
    .into_response()
}

/// `POST /enrol/{code}`: redeems the code through the API, which sets the device cookie on this
/// browser once; a used, expired or unknown code is refused with a clear message.
pub async fn enrol_confirm(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let l = lang(&headers);
    if !enrol_code_shape(&code) {
        return enrol_result(l, StatusCode::NOT_FOUND, None);
    }
    let a = ui
        .api
        .call(
            axum::http::Method::POST,
            "/api/v1/workstations/enrol",
            &headers,
            None,
            Some(json!({ "code": code })),
        )
        .await;
    if a.ok() {
        let name = <server::api::admin::Enrolled as serde::Deserialize>::deserialize(&a.json)
            .map(|e| e.name)
            .unwrap_or_default();
        return with_cookies(enrol_result(l, StatusCode::OK, Some(&name)), &a.set_cookies);
    }
    enrol_result(l, a.status, None)
}

/// A code of the shape the API issues (64 hex digits); anything else is answered at once.
fn enrol_code_shape(code: &str) -> bool {
    code.len() == 64 && code.bytes().all(|b| b.is_ascii_hexdigit())
}

fn enrol_result(l: Lang, status: StatusCode, enrolled: Option<&str>) -> Response {
    let body = match enrolled {
        Some(name) => html! {
            p #enrolled { (t(l, "enrolled")) " " strong { (name) } }
            a href="/login" { (t(l, "login")) }
        },
        None if status == StatusCode::TOO_MANY_REQUESTS => {
            html! { p.problem #enrol-refused { (t(l, "enrol_too_many")) } }
        }
        None => html! { p.problem #enrol-refused { (t(l, "enrol_link_invalid")) } },
    };
    (status, page(l, None, &t(l, "workstation"), body)).into_response()
}
