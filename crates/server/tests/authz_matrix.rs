//! The authorization matrix: every role of every profile × every endpoint, expected allow or deny
//! computed from the profile's role → permission map. A denied call is refused by the route guard
//! (403 naming the rule) before any handler runs; an allowed call gets past the guard.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use serde_json::Value;

use common::*;
use server::api::endpoints;
use server::auth::Access;

#[tokio::test]
async fn every_role_times_every_endpoint() {
    let mut checked = 0;
    let guarded = endpoints()
        .iter()
        .filter(|e| !matches!(e.access, Access::Public | Access::SelfService))
        .count();
    let roles: usize = policy::profile::seeds().map(|p| p.roles.len()).sum();
    for profile_id in policy::profile::SEED_IDS {
        let w = World::new(profile_id, Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
        for (role, user) in &w.users {
            for ep in endpoints() {
                if matches!(ep.access, Access::Public | Access::SelfService) {
                    continue;
                }
                let expected_allow = match ep.access {
                    Access::Authenticated => true,
                    _ => ep.access.permissions().iter().any(|p| w.profile.allows(role, *p)),
                };
                let path = ep.path.replace("{id}", "999999");
                let body = (ep.method != "GET").then(|| serde_json::json!({}));
                let (status, v) = w.api.call(ep.method, &path, Some(user), body).await;
                let guard_denied = status == 403
                    && v["detail"].as_str().is_some_and(|d| d.starts_with("none of your roles"));
                assert_eq!(
                    !guard_denied, expected_allow,
                    "{profile_id}: role {role} on {} {}: got {status} {v}",
                    ep.method, ep.path
                );
                if guard_denied {
                    assert!(v["rule"].as_str().is_some(), "a denial names its rule: {v}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, guarded * roles, "every role × every guarded endpoint");
}

#[tokio::test]
async fn denials_name_the_profile_rule_where_the_profile_lacks_the_function() {
    let w = World::new("asahikawa", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    // rule: ASA-3.3c — no holds in Asahikawa: even the manager is refused, citing the clause.
    let (s, v) = w.api.post("/api/v1/holds", &w.admin, serde_json::json!({})).await;
    assert_eq!(s, 403);
    assert_eq!(v["rule"], "ASA-3.3c");
    let w = World::new("kitakyushu", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    // No emergency path in Kitakyushu.
    let (s, v) = w.api.post("/api/v1/emergency/orders", &w.admin, serde_json::json!({})).await;
    assert_eq!(s, 403);
    assert_eq!(v["rule"], "KIT-6.2");
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let w = World::new("saku", Backend::Sqlite, "2026-11-24T10:00:00+09:00").await;
    let (s, doc) = w.api.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(s, 200);
    for ep in endpoints() {
        let op = &doc["paths"][ep.path][ep.method.to_lowercase()];
        assert!(op.is_object(), "{} {} missing from the OpenAPI document", ep.method, ep.path);
        assert_eq!(op["summary"], ep.summary);
        if let Some(b) = ep.body {
            let name = (b.name)();
            assert!(doc["components"]["schemas"][name.as_ref()].is_object(), "schema {name}");
        }
    }
    // A typed answer (issue 23, item 4) is described, and what the server really answers has no
    // key the description lacks (each typed GET without a path parameter).
    let resolve = |s: &Value| -> Value {
        match s["$ref"].as_str() {
            Some(r) => {
                doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")].clone()
            }
            None => s.clone(),
        }
    };
    let mut typed = 0;
    for ep in endpoints().into_iter().filter(|e| e.response.is_some()) {
        typed += 1;
        let schema = &doc["paths"][ep.path][ep.method.to_lowercase()]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        assert!(schema.is_object(), "{} {}: no answer schema", ep.method, ep.path);
        if ep.method != "GET" || ep.path.contains('{') {
            continue;
        }
        // Asked by someone the endpoint lets in.
        let who = match ep.access.permissions().first() {
            None => Some(&w.admin),
            Some(p) => w
                .profile
                .roles
                .iter()
                .filter(|r| r.permissions.contains(p))
                .find_map(|r| w.users.get(&r.id)),
        };
        let Some(who) = who else { continue };
        let (s, v) = w.api.call("GET", ep.path, Some(who), None).await;
        if s == 404 {
            continue; // not in this city (Saku keeps no central room record)
        }
        assert_eq!(s, 200, "{} {v}", ep.path);
        if let Some(reads) = ep.reads_back {
            reads(&v).unwrap_or_else(|e| panic!("{} does not read back as its type: {e}", ep.path));
        }
        let (object, described) = match v {
            Value::Array(items) => (items.first().cloned(), resolve(&resolve(schema)["items"])),
            other => (Some(other), resolve(schema)),
        };
        if let Some(Value::Object(o)) = object {
            for k in o.keys() {
                assert!(
                    described["properties"][k].is_object(),
                    "{} answers {k}, which its schema does not describe: {described}",
                    ep.path
                );
            }
        }
    }
    assert!(typed >= 3, "typed answers: {typed}");
    // Every route of the router is in the registry: an unregistered path is a 404 problem.
    let (s, v) = w.api.call("GET", "/api/v1/nonexistent", None, None).await;
    assert_eq!(s, 404);
    assert_eq!(v["status"], 404);
}
