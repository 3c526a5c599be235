//! Input from the network, as a property (issue 16): arbitrary bytes, arbitrary JSON and
//! arbitrary path segments sent to the real server over HTTP — to public endpoints, and to
//! authenticated ones as a user who may use them — are answered with a client error in the
//! problem format, never a server error, and the server keeps serving.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use policy::Permission;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// JSON of any shape, a few levels deep, with the field names the bodies use.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let key = prop_oneof![
            Just("login".to_owned()),
            Just("password".to_owned()),
            Just("cameras".to_owned()),
            Just("from".to_owned()),
            Just("to".to_owned()),
            Just("code".to_owned()),
            Just("basis".to_owned()),
            Just("purpose".to_owned()),
            Just("documents".to_owned()),
            Just("site_id".to_owned()),
            Just("rtsp_url".to_owned()),
            Just("masks".to_owned()),
            "[a-z_]{1,12}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One hostile input: a body (raw bytes or JSON) for an endpoint, or a path segment.
#[derive(Debug, Clone)]
enum Input {
    Bytes(usize, Vec<u8>),
    Json(usize, Value),
    Segment(String),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        (0..ENDPOINTS.len(), prop::collection::vec(any::<u8>(), 0..600))
            .prop_map(|(e, b)| Input::Bytes(e, b)),
        (0..ENDPOINTS.len(), any_json()).prop_map(|(e, v)| Input::Json(e, v)),
        "\\PC{0,60}".prop_map(Input::Segment),
    ]
}

/// (path, who calls it: None = nobody logged in, Some(permission) = a holder of it).
const ENDPOINTS: [(&str, Option<Permission>); 7] = [
    ("/api/v1/auth/login", None),
    ("/api/v1/public/complaints", None),
    ("/api/v1/workstations/enrol", None),
    ("/api/v1/requests", Some(Permission::RequestSubmit)),
    ("/api/v1/cameras", Some(Permission::RegistryManage)),
    ("/api/v1/sites", Some(Permission::RegistryManage)),
    ("/api/v1/holds", Some(Permission::HoldManage)),
];

#[test]
fn hostile_input_gets_a_client_error_never_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let w = rt.block_on(World::new("kawaguchi", Backend::Sqlite, "2026-11-24T10:00:00+09:00"));
    let http = reqwest::Client::new();
    let mut runner = TestRunner::new(Config { cases: 1000, ..Config::default() });
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    runner
        .run(&input(), |inp| {
            let (status, body) = rt.block_on(async {
                let rb = match &inp {
                    Input::Bytes(e, _) | Input::Json(e, _) => {
                        let (path, who) = ENDPOINTS[*e];
                        let mut rb = http.post(format!("{}{path}", w.srv.base));
                        if let Some(perm) = who {
                            rb = rb.bearer_auth(&w.holder(perm).token);
                        }
                        match &inp {
                            Input::Bytes(_, b) => {
                                rb.header("content-type", "application/json").body(b.clone())
                            }
                            Input::Json(_, v) => rb.json(v),
                            Input::Segment(_) => unreachable!(),
                        }
                    }
                    Input::Segment(s) => {
                        let seg = percent_encoding::utf8_percent_encode(
                            s,
                            percent_encoding::NON_ALPHANUMERIC,
                        );
                        let reader = w.holder(Permission::RequestReview);
                        http.get(format!("{}/api/v1/requests/{seg}", w.srv.base))
                            .bearer_auth(&reader.token)
                    }
                };
                let r = rb.send().await.unwrap();
                (r.status(), r.text().await.unwrap_or_default())
            });
            *seen.lock().unwrap().entry(status.as_u16()).or_default() += 1;
            prop_assert!(status.as_u16() < 500, "{inp:?} → {status}: {body}");
            if status.as_u16() >= 400 {
                let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                prop_assert!(v["status"] == status.as_u16(), "{inp:?} → not a problem: {body}");
            }
            Ok(())
        })
        .unwrap();
    // The inputs reached the handlers' own checks (422 with the field), not only the body
    // parser (400).
    let seen = seen.into_inner().unwrap();
    assert!(seen.contains_key(&400) && seen.contains_key(&422), "{seen:?}");
    // Still serving, and still well.
    let (s, _) = rt.block_on(w.api.get("/api/v1/me", &w.admin));
    assert_eq!(s, 200);
}
