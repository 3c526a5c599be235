//! Calls into the API router in process, as the browser's session.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

/// The API, called in process.
#[derive(Clone)]
pub struct Api {
    router: Router,
}

/// An API answer.
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// JSON body (or `Null`).
    pub json: Value,
    /// `Set-Cookie` headers to pass on to the browser.
    pub set_cookies: Vec<HeaderValue>,
}

impl Answer {
    /// Whether the call succeeded.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The problem's text, for a failed call.
    pub fn detail(&self) -> String {
        self.json["detail"].as_str().unwrap_or("").to_owned()
    }

    /// Field errors of a problem: (field, message).
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.json["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["field"].as_str().unwrap_or("").to_owned(),
                    e["message"].as_str().unwrap_or("").to_owned(),
                )
            })
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
        let mut rb = Request::builder().method(method).uri(path);
        for name in
            [header::COOKIE.as_str(), header::AUTHORIZATION.as_str(), "x-mimamori-workstation"]
        {
            if let Some(v) = browser.get(name) {
                rb = rb.header(name, v);
            }
        }
        if let Some(t) = csrf {
            rb = rb.header(server::auth::CSRF_HEADER, t);
        }
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
        };
        let Ok(req) = req else { return failed("could not build the request") };
        // The router's error type is Infallible: every failure is a response.
        let Ok(resp) = self.router.clone().oneshot(req).await;
        let status = resp.status();
        let set_cookies = resp.headers().get_all(header::SET_COOKIE).iter().cloned().collect();
        let bytes = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, json, set_cookies }
    }

    /// GET.
    pub async fn get(&self, path: &str, browser: &HeaderMap) -> Answer {
        self.call(Method::GET, path, browser, None, None).await
    }

    /// POST with the CSRF token.
    pub async fn post(&self, path: &str, browser: &HeaderMap, csrf: &str, body: Value) -> Answer {
        self.call(Method::POST, path, browser, Some(csrf), Some(body)).await
    }
}
