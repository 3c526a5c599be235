//! What one client can take (issue 16, M10, M11): connections held open without sending a
//! request are closed after the header-read timeout, one address gets only its share of
//! connections, and the public contact form takes ten submissions per address and hour.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; how long it took.
async fn closed_after(mut s: TcpStream, at_most: Duration) -> Option<Duration> {
    let t = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(at_most, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(t.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn silent_and_surplus_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let app = server::build(server::Config {
        db: dir.path().join("m.db").display().to_string(),
        profile: policy::resolve_seed("kitakyushu").unwrap(),
        key_path: dir.path().join("node.key"),
        clock: server::clock::Clock::System,
        secure_cookies: true,
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = server::limits::Limits {
        connections: 16,
        per_source: 3,
        header_read: Duration::from_secs(1),
        ..Default::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::limits::serve_limited(app.router, listener, limits, async {
        let _ = rx.await;
    }));

    // Three silent connections from this address: its share.
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A fourth is closed at once.
    let fourth = TcpStream::connect(addr).await.unwrap();
    let t = closed_after(fourth, Duration::from_millis(900)).await;
    assert!(t.is_some(), "a connection over the per-address share is closed at once");
    // The silent ones are closed after the header-read timeout, one that started its headers
    // but never finished them too.
    let mut partial = silent.pop().unwrap();
    partial.write_all(b"GET /api/v1/public/cameras HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    for s in silent.into_iter().chain([partial]) {
        let t = closed_after(s, Duration::from_secs(5)).await.expect("closed by the server");
        assert!(t < Duration::from_secs(3), "{t:?}");
    }
    // Then the address is served again.
    let r = reqwest::get(format!("http://{addr}/api/v1/public/cameras")).await.unwrap();
    assert_eq!(r.status(), 200);
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

// rule: PROD-RATE-1 — the public contact form: ten submissions per address and hour.
#[tokio::test]
async fn the_public_form_takes_ten_submissions_per_address_and_hour() {
    let w = World::new("kitakyushu", Backend::Sqlite, "2026-12-29T22:00:00+09:00").await;
    let body = json!({ "category": "privacy", "body": "カメラの向きについて", "contact": "090-0000-0000" });
    // A refused submission counts too (each costs an audit entry).
    let (s, _) = w
        .api
        .call(
            "POST",
            "/api/v1/public/complaints",
            None,
            Some(json!({ "category": "x", "body": "" })),
        )
        .await;
    assert_eq!(s, 422);
    for i in 1..10 {
        let (s, v) =
            w.api.call("POST", "/api/v1/public/complaints", None, Some(body.clone())).await;
        assert_eq!(s, 200, "message {i}: {v}");
    }
    let r = w
        .api
        .http
        .post(format!("{}/api/v1/public/complaints", w.srv.base))
        .header("x-mimamori-peer", "203.0.113.9")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "a peer header sent by the client does not reset the count");
    let wait: i64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 3000 && wait <= 3600, "{wait}");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["rule"], "PROD-RATE-1");
    // Every entry names the client's address (ASVS V7.1.3): the public form, logins, calls.
    let (_, log) = w.api.get("/api/v1/audit?action=complaint.receive&limit=5", &w.admin).await;
    assert_eq!(log[0]["client"], "127.0.0.1", "{log}");
    let (_, log) = w.api.get("/api/v1/audit?action=login&limit=5", &w.admin).await;
    assert_eq!(log[0]["client"], "127.0.0.1", "{log}");
    let (s, v) = w.api.get("/api/v1/audit/verify", &w.admin).await;
    assert_eq!((s.as_u16(), v["ok"].as_bool()), (200, Some(true)), "{v}");
    // An hour later the address may write again.
    w.set_now("2026-12-29T23:00:01+09:00");
    let (s, _) = w.api.call("POST", "/api/v1/public/complaints", None, Some(body)).await;
    assert_eq!(s, 200);
}
