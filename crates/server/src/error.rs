//! API errors as RFC 9457 problem details (`application/problem+json`), with the rule ID when a
//! rule refused the action and the field at fault when an input was wrong.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use messages::Lang;
use policy::RuleId;
use policy::workflow::Refusal;
use serde::Serialize;
use std::collections::BTreeMap;

/// A message: its stable key in the problem catalogue (`messages::problems`) and its
/// parameters. A plain string is a message without a key of its own yet ([`messages::UNKEYED`]),
/// shown as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    key: &'static str,
    params: BTreeMap<String, String>,
}

impl Msg {
    /// The message `key` (a test checks every key the server names is in both catalogues).
    pub fn new(key: &'static str) -> Msg {
        Msg { key, params: BTreeMap::new() }
    }

    /// With parameter `name` = `value`.
    pub fn with(mut self, name: &str, value: impl ToString) -> Msg {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }

    /// A text without a key of its own, shown as written in every language: only for words
    /// that are not the server's (a peer's or the operating system's), never for its own.
    pub fn untranslated(text: impl Into<String>) -> Msg {
        Msg::new(messages::UNKEYED).with(messages::UNKEYED, text.into())
    }

    /// The message in English (for the audit log and the server's own log).
    pub fn english(&self) -> String {
        messages::render(Lang::En, self.key, &self.params)
    }
}

/// One problem with one input field. (Read back by the web app: a member it lacks reads empty.)
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FieldError {
    /// The field (`range.to`, `basis`…).
    pub field: String,
    /// The field's name in the answer's language (`内容` for `body`).
    pub label: String,
    /// What is wrong, in the answer's language.
    pub message: String,
    /// The message's stable key (`required`, `too_long`…; `text` for one without a key yet).
    pub code: String,
    /// The message's parameters.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// The rule that refused the value, if a rule did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl FieldError {
    /// `field` is wrong, as `msg` says.
    pub fn new(field: &str, msg: impl Into<Msg>) -> FieldError {
        let msg = msg.into();
        let mut e = FieldError {
            field: field.to_owned(),
            label: String::new(),
            message: String::new(),
            code: msg.key.to_owned(),
            params: msg.params,
            rule: None,
        };
        e.localize(Lang::En);
        e
    }

    fn localize(&mut self, lang: Lang) {
        self.label = messages::field_label(lang, &self.field);
        self.message = messages::render(lang, &self.code, &self.params);
    }
}

/// An error response (`application/problem+json`). The web app reads it back as this type; a
/// member it lacks reads empty.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short title.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened and what to do, in the answer's language (`Accept-Language`; English
    /// when the client names neither Japanese nor English).
    pub detail: String,
    /// The detail's stable message key (`login_failed`, `invalid_many`, `refusal`…; `text` for
    /// one without a key yet), for clients that show their own words.
    pub code: String,
    /// The detail's parameters.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// The rule that refused it (SPEC.md IDs), if a rule did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Input fields at fault — all of them, where the endpoint checks its fields together.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait before trying again (429).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
}

impl Problem {
    /// Renders the detail and every field's message in `lang`.
    pub fn localize(&mut self, lang: Lang) {
        for e in &mut self.errors {
            e.localize(lang);
        }
        if self.code == "refusal_keyed"
            && let Some(key) = self.params.get("key").cloned()
        {
            let text = messages::render(lang, &key, &self.params);
            self.params.insert("text".into(), text);
        }
        match (self.code.as_str(), self.errors.as_slice()) {
            ("invalid_one", [e]) => {
                self.params.insert("field".into(), e.label.clone());
                self.params.insert("message".into(), e.message.clone());
            }
            ("invalid_many", errors) => {
                let list: Vec<String> =
                    errors.iter().map(|e| format!("{}: {}", e.label, e.message)).collect();
                self.params.insert("count".into(), errors.len().to_string());
                self.params.insert("list".into(), list.join("; "));
            }
            _ => {}
        }
        self.detail = messages::render(lang, &self.code, &self.params);
    }
}

/// An error a handler returns.
#[derive(Debug, Clone)]
pub struct ApiError(pub Box<Problem>);

impl ApiError {
    fn new(status: StatusCode, kind: &str, msg: impl Into<Msg>) -> Self {
        let msg = msg.into();
        let mut p = Problem {
            kind: format!("https://mimamori.invalid/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: String::new(),
            code: msg.key.to_owned(),
            params: msg.params,
            rule: None,
            errors: Vec::new(),
            retry_after: None,
        };
        p.localize(Lang::En);
        ApiError(Box::new(p))
    }

    /// Renders the texts again after a change to codes, parameters or errors.
    fn rendered(mut self) -> Self {
        self.0.localize(Lang::En);
        self
    }

    /// 400: malformed input.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            Msg::new("bad_request").with("text", detail.into()),
        )
    }

    /// 400: malformed input, said by a message of the catalogue.
    pub fn malformed(msg: Msg) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", msg)
    }

    /// 401: not logged in, or the session is invalid.
    pub fn unauthenticated(msg: impl Into<Msg>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", msg)
    }

    /// 403: refused, citing a rule.
    pub fn forbidden(rule: &RuleId, msg: impl Into<Msg>) -> Self {
        let mut e = Self::new(StatusCode::FORBIDDEN, "forbidden", msg);
        e.0.rule = Some(rule.to_string());
        e
    }

    /// 404.
    pub fn not_found(msg: impl Into<Msg>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", msg)
    }

    /// 409: someone else acted first, or the record already exists.
    pub fn conflict(msg: impl Into<Msg>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", msg)
    }

    /// 422: well-formed but invalid input, naming the field.
    pub fn invalid(field: &str, msg: impl Into<Msg>) -> Self {
        Self::fields(vec![FieldError::new(field, msg)])
    }

    /// 422 naming every field at fault (at least one), each with its message; the first rule
    /// among them, if any, is the problem's rule.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let key = if errors.len() == 1 { "invalid_one" } else { "invalid_many" };
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", Msg::new(key));
        e.0.rule = errors.iter().find_map(|f| f.rule.clone());
        e.0.errors = errors;
        e.rendered()
    }

    /// 422 citing a rule.
    pub fn refused(rule: &RuleId, field: Option<&str>, msg: Msg) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused-by-rule", msg.clone());
        e.0.rule = Some(rule.to_string());
        if let Some(f) = field {
            let mut fe = FieldError::new(f, msg);
            fe.rule = Some(rule.to_string());
            e.0.errors.push(fe);
        }
        e
    }

    /// 503: a part the call needs (the recorder) could not do it; nothing was changed.
    pub fn unavailable(msg: impl Into<Msg>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", msg)
    }

    /// 423: account locked.
    pub fn locked(msg: impl Into<Msg>) -> Self {
        Self::new(StatusCode::LOCKED, "locked", msg)
    }

    /// 500, with nothing internal in the text.
    pub fn internal(context: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            Msg::new("internal").with("context", context),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The rule, if any.
    pub fn rule(&self) -> Option<&str> {
        self.0.rule.as_deref()
    }

    /// The field errors of a 422 (empty for any other problem).
    pub fn field_errors(&self) -> &[FieldError] {
        if self.0.status == StatusCode::UNPROCESSABLE_ENTITY.as_u16() {
            &self.0.errors
        } else {
            &[]
        }
    }
}

impl ApiError {
    /// 429: too many from this address; try again after `retry_after_s` seconds
    /// (`Retry-After`), said by message `key` with the minutes to wait as `{minutes}`.
    pub fn too_many(retry_after_s: i64, key: &'static str) -> Self {
        let minutes = (retry_after_s + 59) / 60;
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            Msg::new(key).with("minutes", minutes),
        );
        e.0.rule = Some(policy::rule::cited::CONTACT_RATE.to_string());
        e.0.retry_after = Some(retry_after_s);
        e
    }
}

/// Checks several input fields and answers once with every field at fault (issue 19, item 3:
/// an empty form is told everything it lacks in one answer).
#[derive(Debug, Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    /// A check with nothing found yet.
    pub fn new() -> Check {
        Check::default()
    }

    /// The value of a field's own check, or `None` with its field errors noted. Any other
    /// problem (a refusal without a field, a fault) ends the check at once.
    pub fn take<T>(&mut self, r: ApiResult<T>) -> ApiResult<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if !e.field_errors().is_empty() => {
                self.errors.extend(e.0.errors);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether a field is already at fault (a later check of it would only repeat).
    pub fn faults(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    /// Notes `field` as wrong.
    pub fn fail(&mut self, field: &str, msg: impl Into<Msg>) {
        self.errors.push(FieldError::new(field, msg));
    }

    /// `Ok` when nothing was found, else one 422 naming every field.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::fields(self.errors)) }
    }
}

/// Renders every problem answer in the language the client asked for (`Accept-Language`,
/// English by default), with `Content-Language`. The texts were rendered in English when the
/// problem was made; a Japanese answer is rendered again from the same keys.
pub async fn localize_problems(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let asked = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(asked, Lang::En);
    let mut resp = next.run(req).await;
    let Some(problem) = resp.extensions().get::<Problem>().cloned() else { return resp };
    resp.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    if lang == Lang::En {
        return resp;
    }
    let mut problem = problem;
    problem.localize(lang);
    let Ok(body) = serde_json::to_vec(&problem) else { return resp };
    resp.headers_mut().remove(header::CONTENT_LENGTH);
    resp.extensions_mut().insert(problem);
    *resp.body_mut() = axum::body::Body::from(body);
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let problem = (*self.0).clone();
        let retry_after = self.0.retry_after;
        let mut resp = (status, axum::Json(*self.0)).into_response();
        if let Some(s) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            resp.headers_mut().insert(header::RETRY_AFTER, s);
        }
        // The route guard audits every failed response from this copy.
        resp.extensions_mut().insert(problem);
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        resp
    }
}

/// A workflow refusal: the actor's role may not do this (403) or the input breaks a rule (422).
impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        if r.key.is_some() {
            return keyed_refusal(r);
        }
        // Every refusal of the policy crate has a key (a test scans for one without); this is
        // the last resort, in the refusal's own words.
        tracing::warn!(rule = %r.rule, "a refusal without a message key: {}", r.message);
        keyed_refusal(Refusal { key: Some(messages::UNKEYED), ..r })
    }
}

/// A refusal whose message has a catalogue key: said in the client's language, its English the
/// refusal's own text (parameter `en`).
fn keyed_refusal(r: Refusal) -> ApiError {
    let key = r.key.unwrap_or(messages::UNKEYED);
    let mut params: BTreeMap<String, String> =
        r.params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    params.insert("en".into(), r.message.clone());
    params.insert("rule".into(), r.rule.to_string());
    let status = if r.field.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if r.state_conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::FORBIDDEN
    };
    let kind = match status {
        StatusCode::UNPROCESSABLE_ENTITY => "refused-by-rule",
        StatusCode::CONFLICT => "conflict",
        _ => "forbidden",
    };
    let mut problem_params = params.clone();
    problem_params.insert("key".into(), key.to_owned());
    let mut e = ApiError::new(status, kind, Msg { key: "refusal_keyed", params: problem_params });
    e.0.rule = Some(r.rule.to_string());
    if let Some(f) = &r.field {
        let mut fe = FieldError::new(f, Msg { key, params });
        fe.rule = Some(r.rule.to_string());
        e.0.errors.push(fe);
    }
    e.rendered()
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Conflict(c) => {
                ApiError::conflict(Msg::new(c.key).with("en", c.text))
            }
            store::StoreError::NotFound(what) => {
                ApiError::not_found(Msg::new("record_not_found").with("en", what))
            }
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal("using the database")
            }
        }
    }
}

impl From<node::NodeError> for ApiError {
    /// The records' refusals are conflicts (409); a node that failed or cannot be reached is
    /// unavailable (503), with its words, which name no secret and no picture.
    fn from(e: node::NodeError) -> Self {
        match &e {
            node::NodeError::NotRecorded(camera) => {
                ApiError::conflict(Msg::new("node_not_recording").with("camera", camera))
            }
            node::NodeError::Refused(why) => {
                ApiError::conflict(Msg::new("node_refused").with("en", why))
            }
            node::NodeError::Failed(_) | node::NodeError::Unreachable(_) => {
                tracing::error!(error = %e, "recorder node error");
                ApiError::unavailable(Msg::new("node_failed").with("en", e.to_string()))
            }
        }
    }
}

impl From<audit::StoreError> for ApiError {
    fn from(e: audit::StoreError) -> Self {
        if let audit::StoreError::Halted(why) = &e {
            // The log failed verification at start: nothing that must be audited is done.
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit_halted",
                Msg::new("audit_halted").with("why", why),
            );
        }
        tracing::error!(error = %e, "audit store error");
        // A change and its audit entry commit together, and a read is answered only once its
        // entry is durable: a failed append means the call did not happen.
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", Msg::new("audit_write_failed"))
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;
