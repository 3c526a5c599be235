//! API errors as RFC 9457 problem details (`application/problem+json`), with the rule ID when a
//! rule refused the action and the field at fault when an input was wrong.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use policy::RuleId;
use policy::workflow::Refusal;
use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field (`range.to`, `basis`…).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// An error response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short title.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened and what to do.
    pub detail: String,
    /// The rule that refused it (SPEC.md IDs), if a rule did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Input fields at fault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait before trying again (429).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<i64>,
}

/// An error a handler returns.
#[derive(Debug, Clone)]
pub struct ApiError(pub Box<Problem>);

impl ApiError {
    fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        ApiError(Box::new(Problem {
            kind: format!("https://mimamori.invalid/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            rule: None,
            errors: Vec::new(),
            retry_after: None,
        }))
    }

    /// 400: malformed input.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    /// 401: not logged in, or the session is invalid.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    /// 403: refused, citing a rule.
    pub fn forbidden(rule: &RuleId, detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::FORBIDDEN, "forbidden", detail);
        e.0.rule = Some(rule.to_string());
        e
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// 409: someone else acted first, or the record already exists.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 422: well-formed but invalid input, naming the field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut e =
            Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{field}: {message}"));
        e.0.errors.push(FieldError { field: field.to_owned(), message });
        e
    }

    /// 422 citing a rule.
    pub fn refused(rule: &RuleId, field: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused-by-rule", detail.clone());
        e.0.rule = Some(rule.to_string());
        if let Some(f) = field {
            e.0.errors.push(FieldError { field: f.to_owned(), message: detail });
        }
        e
    }

    /// 503: a part the call needs (the recorder) could not do it; nothing was changed.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// 423: account locked.
    pub fn locked(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::LOCKED, "locked", detail)
    }

    /// 500, with nothing internal in the text.
    pub fn internal(context: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("internal error while {context}; the event is logged"),
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
}

impl ApiError {
    /// 429: too many from this address; try again after `retry_after_s` seconds
    /// (`Retry-After`).
    pub fn too_many(retry_after_s: i64, detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail);
        e.0.rule = Some(policy::rule::cited::CONTACT_RATE.to_string());
        e.0.retry_after = Some(retry_after_s);
        e
    }
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
        let mut e = match &r.field {
            Some(f) => ApiError::refused(&r.rule, Some(f), r.message.clone()),
            None if r.state_conflict => {
                let mut e = ApiError::conflict(r.message.clone());
                e.0.rule = Some(r.rule.to_string());
                e
            }
            None => ApiError::forbidden(&r.rule, r.message.clone()),
        };
        e.0.detail = format!("{}: {}", r.rule, r.message);
        e
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Conflict(m) => ApiError::conflict(m),
            store::StoreError::NotFound(m) => ApiError::not_found(m),
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
        if e.is_refusal() {
            ApiError::conflict(e.to_string())
        } else {
            tracing::error!(error = %e, "recorder node error");
            ApiError::unavailable(e.to_string())
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
                format!("{why}; the call was not carried out and nothing was changed"),
            );
        }
        tracing::error!(error = %e, "audit store error");
        // A change and its audit entry commit together, and a read is answered only once its
        // entry is durable: a failed append means the call did not happen.
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the audit log could not be written, so the call was not carried out and nothing \
             was changed; try again, and tell the system administrator if it persists",
        )
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, ApiError>;
