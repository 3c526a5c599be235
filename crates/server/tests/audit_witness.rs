//! The governance audit log's tail cannot be cut silently (issue 17, item 6), on SQLite and
//! PostgreSQL: the server signs its head on a timer, publishes the checkpoint, and exchanges
//! checkpoints with the recorder in its process (each witnesses the other's in its own log); at
//! start it verifies its chain against every checkpoint kept outside it and, on a finding,
//! halts — audited calls are refused with 503 — until an operator accepts the findings.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::{Api, BACKENDS, Server};
use server::audit_watch::{Watch, read_published};
use server::clock::Clock;
use std::time::Duration;

async fn recorder(dir: &std::path::Path) -> recorder::Recorder {
    let profile = policy::resolve_seed("asahikawa").unwrap();
    let mut cfg = recorder::config::RecorderConfig::new("node-w", dir.join("rec"));
    cfg.key_path = dir.join("rec").join("node.key");
    recorder::Recorder::start(cfg, profile, Clock::System).await.unwrap()
}

async fn start(dir: &std::path::Path, db: &str, rec: &recorder::Recorder) -> Server {
    let srv = Server::start("asahikawa", db, &dir.join("node.key"), Clock::System).await;
    srv.state.attach_node(std::sync::Arc::new(recorder::LocalNode::new(
        rec.ctx.clone(),
        dir.join("exports"),
    )));
    srv
}

fn watch(dir: &std::path::Path) -> Watch {
    Watch { published: dir.join("audit-checkpoints.jsonl"), every: Duration::from_secs(3600) }
}

async fn some_activity(srv: &Server, n: usize) {
    for i in 0..n {
        let ev = audit::Event::new(
            "manager",
            "request.read",
            format!("request:{i}"),
            audit::Outcome::Ok,
        );
        srv.state.audit.append_at(ev, srv.clock.now()).await.unwrap();
    }
}

#[tokio::test]
async fn a_cut_tail_is_found_at_start_and_halts_the_log_until_accepted() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let db = testkit::database_url(backend, dir.path()).await;
        let rec = recorder(dir.path()).await;
        let mut srv = start(dir.path(), &db, &rec).await;
        let w = watch(dir.path());

        // A fresh log verifies; the start is recorded and signed.
        let check = server::start_audit_watch(&srv.state, w.clone(), None).await.unwrap();
        assert!(check.may_append(), "{backend:?}: {:?}", check.open);
        some_activity(&srv, 12).await;
        server::audit_watch::checkpoint_and_witness(&srv.state, &w).await.unwrap();
        let head = audit::Store::head(srv.state.audit.store()).await.unwrap().unwrap();

        // Published, and witnessed by the recorder in its own log…
        let published = read_published(&w.published);
        assert_eq!(published.last().map(|c| c.seq), Some(head.seq), "{backend:?}");
        let server_log = srv.state.audit.store().id();
        let in_node = audit::witnessed_in(rec.ctx.audit.store(), &server_log).await.unwrap();
        assert_eq!(
            in_node.last().map(|c| (c.seq, c.hash)),
            Some((head.seq, head.hash)),
            "{backend:?}"
        );
        // …and the recorder's checkpoint witnessed in the governance log.
        let node_log = audit::Store::log_id(rec.ctx.audit.store()).await.unwrap();
        let in_server = srv.state.audit.store().witnessed(&node_log).await.unwrap();
        assert_eq!(in_server.len(), 1, "{backend:?}");
        // A second round with nothing new signs nothing and witnesses nothing again.
        server::audit_watch::checkpoint_and_witness(&srv.state, &w).await.unwrap();
        assert_eq!(srv.state.audit.store().witnessed(&node_log).await.unwrap().len(), 1);
        assert_eq!(
            audit::witnessed_in(rec.ctx.audit.store(), &server_log).await.unwrap().len(),
            in_node.len()
        );

        // The public page shows the key and the newest checkpoints.
        let api = Api::new(&srv.base);
        let (s, v) = api.call("GET", "/api/v1/public/audit", None, None).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["checkpoints"][0]["seq"], serde_json::json!(head.seq));
        assert!(v["halted"].is_null());
        srv.shutdown().await;

        // Someone with the database cuts the last entries and their checkpoint rows.
        let cut_from = head.seq - 4;
        {
            let raw = store::Db::connect(&db).await.unwrap();
            let a: &'static str = Box::leak(
                format!("DELETE FROM audit_entries WHERE seq >= {cut_from}").into_boxed_str(),
            );
            let b: &'static str = Box::leak(
                format!("DELETE FROM audit_checkpoints WHERE seq >= {cut_from}").into_boxed_str(),
            );
            sqlx::query(a).execute(raw.pool()).await.unwrap();
            sqlx::query(b).execute(raw.pool()).await.unwrap();
            raw.close().await;
        }
        // The shutdown wrote audit.close: the cut removed it too, and more.
        let mut srv = start(dir.path(), &db, &rec).await;
        let check = server::start_audit_watch(&srv.state, w.clone(), None).await.unwrap();
        assert!(!check.may_append(), "{backend:?}: the cut went unnoticed");
        assert!(check.open[0].contains("its tail was removed"), "{backend:?}: {:?}", check.open);
        // Halted: an audited call is refused and changes nothing; the public page says so.
        let (s, v) = api_of(&srv).login("admin", "x").await;
        assert_eq!(s, 503, "{backend:?}: {v}");
        assert!(v["detail"].as_str().unwrap().contains("failed verification"), "{v}");
        let (_, v) = api_of(&srv).call("GET", "/api/v1/public/audit", None, None).await;
        assert!(v["halted"].as_str().unwrap().contains("tail was removed"), "{v}");
        let before = audit::Store::head(srv.state.audit.store()).await.unwrap();
        srv.shutdown().await;
        let mut srv = start(dir.path(), &db, &rec).await;
        assert_eq!(
            audit::Store::head(srv.state.audit.store()).await.unwrap(),
            before,
            "a halted log gains nothing, not even audit.close"
        );

        // The operator accepts the findings with a reason: recorded, and the log resumes.
        let check = server::start_audit_watch(
            &srv.state,
            w.clone(),
            Some("cut by a restore from backup, incident 2026-12"),
        )
        .await
        .unwrap();
        assert!(check.may_append());
        let accepted = srv
            .state
            .audit
            .store()
            .search(None, Some("audit.findings_accepted"), None, 5)
            .await
            .unwrap();
        assert_eq!(accepted.len(), 1);
        assert!(
            accepted[0].detail.contains("incident 2026-12")
                && accepted[0].detail.contains("tail was removed")
        );
        srv.shutdown().await;
        // A later start accepts the same findings and halts on none.
        let mut srv = start(dir.path(), &db, &rec).await;
        let check = server::start_audit_watch(&srv.state, w.clone(), None).await.unwrap();
        assert!(check.may_append(), "{backend:?}: {:?}", check.open);
        assert!(!check.accepted.is_empty());
        srv.shutdown().await;
        rec.stop().await;
    }
}

fn api_of(srv: &Server) -> Api {
    Api::new(&srv.base)
}

/// The recorder's log is checked at start against its checkpoints witnessed in the governance
/// log: an edit is found, recorded in the governance log and shown publicly — and the recorder
/// keeps recording.
#[tokio::test]
async fn a_damaged_recorder_log_is_found_at_start() {
    for backend in BACKENDS {
        let dir = tempfile::tempdir().unwrap();
        let db = testkit::database_url(backend, dir.path()).await;
        let rec = recorder(dir.path()).await;
        let mut srv = start(dir.path(), &db, &rec).await;
        let w = watch(dir.path());
        let check = server::start_audit_watch(&srv.state, w.clone(), None).await.unwrap();
        assert!(check.node.is_empty(), "{backend:?}: {:?}", check.node);
        srv.shutdown().await;
        rec.stop().await;

        // Someone edits the recorder's start entry in its log file.
        let log = dir.path().join("rec").join("audit.log");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("node:node-w"));
        std::fs::write(&log, text.replacen("node:node-w", "node:node-x", 1)).unwrap();

        let rec = recorder(dir.path()).await;
        let mut srv = start(dir.path(), &db, &rec).await;
        let check = server::start_audit_watch(&srv.state, w.clone(), None).await.unwrap();
        assert!(check.may_append(), "the governance log itself is whole");
        assert!(
            check.node.iter().any(|f| f.contains("was edited")),
            "{backend:?}: {:?}",
            check.node
        );
        let found = srv
            .state
            .audit
            .store()
            .search(None, Some("audit.node_log_failed"), None, 5)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{backend:?}");
        let (_, v) = api_of(&srv).call("GET", "/api/v1/public/audit", None, None).await;
        assert!(v["recorder_findings"][0].as_str().unwrap().contains("was edited"), "{v}");
        srv.shutdown().await;
        rec.stop().await;
    }
}
