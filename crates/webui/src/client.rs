//! Calls into the API router in process, as the browser's session.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use server::error::Problem;
use tower::ServiceExt;

/// The API, called in process.
#[derive(Clone)]
pub struct Api {
    router: Router,
}

/// One field at fault, as the API named it.
#[derive(Debug, Clone, Default)]
pub struct FieldProblem {
    /// The field (`body`, `documents[0].reference`…).
    pub field: String,
    /// Its name in the page's language.
    pub label: String,
    /// What is wrong, in the page's language.
    pub message: String,
}

impl FieldProblem {
    /// A problem the page itself found in `field`, before asking the API.
    pub fn local(field: &str, message: String) -> FieldProblem {
        FieldProblem { field: field.to_owned(), label: String::new(), message }
    }
}

/// An API answer.
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// JSON body (or `Null`).
    pub json: Value,
    /// `Set-Cookie` headers to pass on to the browser.
    pub set_cookies: Vec<HeaderValue>,
    /// The next page of a list (`Link: <…>; rel="next"`), as an API path.
    pub next: Option<String>,
}

impl Answer {
    /// Whether the call succeeded.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The problem of a failed call, as the API's own type (`server::error::Problem`); a body
    /// that is no problem document reads as an empty one.
    pub fn problem(&self) -> Problem {
        Problem::deserialize(&self.json).unwrap_or_default()
    }

    /// The problem's text, for a failed call.
    pub fn detail(&self) -> String {
        self.problem().detail
    }

    /// The rule that refused a failed call (a SPEC.md ID), if a rule did.
    pub fn rule(&self) -> Option<String> {
        self.problem().rule
    }

    /// The body of a successful answer as the API's own response type `T` (the structs
    /// `server::api` serialises, so a field renamed there fails to compile here rather than
    /// showing empty). A refusal comes back as it is; a body that does not read as `T` becomes a
    /// server error naming the type, never a page of defaults.
    pub fn read<T: DeserializeOwned>(self) -> Result<T, Answer> {
        if !self.ok() {
            return Err(self);
        }
        T::deserialize(&self.json).map_err(|e| {
            let what = std::any::type_name::<T>();
            tracing::error!(%e, what, "an API answer did not read as its type");
            Answer {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                json: serde_json::json!({
                    "detail": format!("the answer did not read as {what}: {e}")
                }),
                set_cookies: self.set_cookies,
                next: self.next,
            }
        })
    }

    /// Field errors of a problem, in the page's language.
    pub fn field_errors(&self) -> Vec<FieldProblem> {
        self.problem()
            .errors
            .into_iter()
            .map(|e| FieldProblem { field: e.field, label: e.label, message: e.message })
            .collect()
    }
}

impl Api {
    /// Wraps the API router.
    pub fn new(router: Router) -> Api {
        Api { router }
    }

    /// Calls `method path` with the browser's cookies (and, for a POST, its CSRF token).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        browser: &HeaderMap,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.call_once(method, path, browser, csrf, None, body).await
    }

    /// [`Api::call`] with an idempotency key: the API runs the call at most once per key
    /// (`server::idempotent`), so a form sent twice files once.
    pub async fn call_once(
        &self,
        method: Method,
        path: &str,
        browser: &HeaderMap,
        csrf: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut rb = Request::builder().method(method).uri(path);
        // Values from a form body: one that cannot be a header (a newline in it) is left out,
        // so the API refuses the call as it refuses a missing token — never a server error.
        let valid = |v: &str| HeaderValue::from_str(v).is_ok();
        if let Some(k) = key.filter(|k| valid(k)) {
            rb = rb.header(server::idempotent::HEADER, k);
        }
        for name in
            [header::COOKIE.as_str(), header::AUTHORIZATION.as_str(), "x-mimamori-workstation"]
        {
            if let Some(v) = browser.get(name) {
                rb = rb.header(name, v);
            }
        }
        if let Some(t) = csrf.filter(|t| valid(t)) {
            rb = rb.header(server::auth::CSRF_HEADER, t);
        }
        // The API answers problems in the page's language: the user's choice, Japanese first.
        let jar = axum_extra::extract::cookie::CookieJar::from_headers(browser);
        let lang = messages::Lang::parse(jar.get(messages::LANG_COOKIE).map(|c| c.value()));
        rb = rb.header(header::ACCEPT_LANGUAGE, lang.code());
        let req = match body {
            Some(b) => rb
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(&b).unwrap_or_default())),
            None => rb.body(Body::empty()),
        };
        let failed = |what: &str| Answer {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            json: serde_json::json!({ "detail": what }),
            set_cookies: Vec::new(),
            next: None,
        };
        let Ok(req) = req else { return failed("could not build the request") };
        // The router's error type is Infallible: every failure is a response.
        let Ok(resp) = self.router.clone().oneshot(req).await;
        let status = resp.status();
        let set_cookies = resp.headers().get_all(header::SET_COOKIE).iter().cloned().collect();
        let next =
            resp.headers().get(header::LINK).and_then(|v| v.to_str().ok()).and_then(next_link);
        let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, json, set_cookies, next }
    }

    /// GET.
    pub async fn get(&self, path: &str, browser: &HeaderMap) -> Answer {
        self.call(Method::GET, path, browser, None, None).await
    }

    /// GET, read as the API's response type `T` ([`Answer::read`]).
    pub async fn get_as<T: DeserializeOwned>(
        &self,
        path: &str,
        browser: &HeaderMap,
    ) -> Result<T, Answer> {
        self.get(path, browser).await.read()
    }

    /// POST with the CSRF token.
    pub async fn post(&self, path: &str, browser: &HeaderMap, csrf: &str, body: Value) -> Answer {
        self.call(Method::POST, path, browser, Some(csrf), Some(body)).await
    }
}

/// The target of a `Link` header's `rel="next"` (RFC 8288), e.g.
/// `</api/v1/requests?…>; rel="next"`.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let rel_next = params.split(';').any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        rel_next.then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_next_page_is_read_from_the_link_header() {
        assert_eq!(
            super::next_link("</api/v1/requests?limit=50&before=7>; rel=\"next\"").as_deref(),
            Some("/api/v1/requests?limit=50&before=7")
        );
        assert_eq!(super::next_link("</x>; rel=\"prev\""), None);
    }
}
