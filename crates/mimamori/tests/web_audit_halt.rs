//! When the audit log failed verification at start, the login page says so before anyone tries,
//! in Japanese, with the public page that explains it (issue 17, item 6).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

#[tokio::test]
async fn the_login_page_says_the_audit_log_is_halted() {
    let dir = tempfile::tempdir().unwrap();
    let app = server::build(server::Config {
        db: dir.path().join("m.db").display().to_string(),
        profile: policy::resolve_seed("nishiyodogawa").unwrap(),
        key_path: dir.path().join("node.key"),
        clock: server::clock::Clock::System,
        secure_cookies: false,
    })
    .await
    .unwrap();
    let state = app.state.clone();
    let app = server::App {
        router: webui::router(app.router.clone()).merge(app.router),
        state: app.state,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve_on(app, listener, async {
        let _ = rx.await;
    }));
    let page =
        || async { reqwest::get(format!("{base}/login")).await.unwrap().text().await.unwrap() };
    assert!(!page().await.contains("audit-halted"));
    // What the check at start does on a finding (server/tests/audit_witness.rs runs the check).
    state
        .audit
        .halt(Some("the log ends at entry 11 but a published checkpoint covers entry 15".into()));
    let html = page().await;
    assert!(html.contains("id=\"audit-halted\""), "{html}");
    assert!(html.contains("監査ログの検証に失敗"), "Japanese first: {html}");
    assert!(html.contains("href=\"/public/audit\""));
    // A login attempt is refused with the same banner.
    let r = reqwest::Client::new()
        .post(format!("{base}/login"))
        .form(&[("login", "admin"), ("password", "whatever-password-1"), ("totp", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("id=\"audit-halted\""));
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}
