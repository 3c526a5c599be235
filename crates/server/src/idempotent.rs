//! Idempotent writes (issue 26): a state-changing call that carries an `Idempotency-Key` header
//! runs at most once per key and account. The key is claimed before the call runs; a retry after
//! a timeout or a lost answer gets the first call's answer back (`Idempotent-Replayed: true`)
//! instead of a duplicate request, approval or filing. The web app sends its one-time form token
//! as the key, so Back + submit cannot file twice.
//!
//! A call that was refused or failed changed nothing (a change and its audit entry commit
//! together), so its claim is released and a retry runs again.

use crate::error::ApiError;
use crate::error::Msg;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use store::idempotency::Claim;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// Request bodies are at most this large (the router's own limit).
const MAX_BODY: usize = 64 * 1024;
/// Answers of state-changing calls are small JSON documents; a larger one is not remembered.
const MAX_ANSWER: usize = 1 << 20;

/// The key of a request, if it carries one: 8 to 128 visible ASCII characters.
fn key_of(req: &Request) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(HEADER) else { return Ok(None) };
    let k = v.to_str().unwrap_or("").trim();
    if !(8..=128).contains(&k.len()) || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "Idempotency-Key: 8 to 128 visible ASCII characters (a random token per request)",
        ));
    }
    Ok(Some(k.to_owned()))
}

/// Runs `req` through `next` once per (account, key); plain calls pass through.
pub async fn run(st: &AppState, account: i64, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let key = match key_of(&req) {
        Ok(Some(k)) => k,
        Ok(None) => return next.run(req).await,
        Err(e) => return e.into_response(),
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::bad_request("the request body is too large or was cut off")
            .into_response();
    };
    let mut h = blake3::Hasher::new_derive_key("mimamori idempotent request v1");
    h.update(parts.method.as_str().as_bytes());
    h.update(b"\0");
    h.update(parts.uri.to_string().as_bytes());
    h.update(b"\0");
    h.update(&bytes);
    let fingerprint = h.finalize().to_hex().to_string();
    let now = st.clock.now_ms();
    let claim = match st.db.claim_idempotent(account, &key, &fingerprint, now).await {
        Ok(c) => c,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match claim {
        Claim::Done { status, body } => {
            let mut resp = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                body,
            )
                .into_response();
            resp.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
            resp
        }
        Claim::Running => ApiError::conflict(Msg::new("idempotency_running")).into_response(),
        Claim::Mismatch => {
            ApiError::invalid("Idempotency-Key", Msg::new("idempotency_mismatch")).into_response()
        }
        Claim::New => {
            let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            if !resp.status().is_success() {
                if let Err(e) = st.db.release_idempotent(account, &key).await {
                    tracing::error!(error = %e, "could not release an idempotency key");
                }
                return resp;
            }
            let (parts, body) = resp.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_ANSWER).await else {
                tracing::error!("an answer too large to remember for its idempotency key");
                return ApiError::internal("answering").into_response();
            };
            if let Err(e) =
                st.db.finish_idempotent(account, &key, parts.status.as_u16(), &bytes).await
            {
                tracing::error!(error = %e, "could not record an idempotent answer");
            }
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}
