//! A full disk under the node's audit log (issue 25, D3): an append that cannot complete leaves
//! no torn line behind, so the log keeps verifying, and appends resume when space returns. On a
//! real tmpfs the test mounts (root, as CI has).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use audit::{AuditLog, CheckpointPolicy, Event, FileStore, Outcome, verify};
use ed25519_dalek::SigningKey;
use std::process::Command;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_never_leaves_a_torn_entry() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("small");
    std::fs::create_dir_all(&dir).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k"])
        .arg("tmpfs")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(ok.success(), "the test mounts a 64 KiB tmpfs and needs root (CI runs as root)");
    let _mount = Mount(dir.clone());
    let key = SigningKey::from_bytes(&[9; 32]);
    let path = dir.join("audit.log");
    let log =
        AuditLog::open(FileStore::open(&path).unwrap(), key.clone(), CheckpointPolicy::default())
            .await
            .unwrap();
    // Fill the disk with entries until one cannot be written; then keep trying.
    let mut written = 0;
    let mut failed = 0;
    for i in 0..2_000 {
        let mut ev = Event::new(
            "recorder",
            "recorder.segment_sealed",
            format!("camera:cam{i}"),
            Outcome::Ok,
        );
        ev.detail = serde_json::json!({ "seq": i, "padding": "x".repeat(200) });
        match log.append(ev).await {
            Ok(_) => written += 1,
            Err(_) => failed += 1,
        }
        if failed >= 5 {
            break;
        }
    }
    assert!(written > 10 && failed >= 5, "{written} written, {failed} failed");
    let store = FileStore::open(&path).unwrap();
    let report = verify(&store, Some(&key.verifying_key()), &[]).await.unwrap();
    assert!(report.is_ok(), "a full disk is not tampering: {report:?}");
    assert_eq!(report.entries, written);
    // Space returns: appending goes on where it stopped.
    std::fs::write(dir.join("ballast"), b"").unwrap();
    let _ = Command::new("mount").args(["-o", "remount,size=256k"]).arg(&dir).status();
    log.append(Event::new("recorder", "recorder.disk_space_returned", "node:n1", Outcome::Ok))
        .await
        .unwrap();
    let report =
        verify(&FileStore::open(&path).unwrap(), Some(&key.verifying_key()), &[]).await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.entries, written + 1);
}
