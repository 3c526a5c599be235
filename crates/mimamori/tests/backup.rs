//! Backup and restore (issue 22, item 5): a running city backed up, its machine wiped, the
//! backup restored into empty places — and then the audit logs verify, the city's dedicated PC
//! and accounts still work, and footage recorded before the backup is extracted from the
//! restored recorder into a package that verifies offline. A backup without footage holds no
//! footage key (erasure reaches backups); a wrong passphrase, an altered file or a place that
//! is not empty is refused with nothing written. PostgreSQL is backed up with pg_dump.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

mod common;

use common::city::Http;
use common::{Proc, free_port, start_demo, start_demo_in, wait_for_port};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn mimamori(args: &[&str], passphrase: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mimamori"));
    cmd.args(args).env_remove("MIMAMORI_BACKUP_PASSPHRASE").env("RUST_LOG", "warn");
    if let Some(p) = passphrase {
        cmd.env("MIMAMORI_BACKUP_PASSPHRASE", p);
    }
    cmd.output().unwrap()
}

fn said(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

const PASSPHRASE: &str = "the-city-archive-2026-winter";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_city_is_restored_into_an_empty_machine_and_everything_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let live = d.join("live");
    let (demo, base) = start_demo("asahikawa", &live, &["--cameras", "2", "--segment-secs", "2"]);
    let http = Http::new(&base);
    let city_pc = http.enrol_city_pc(&live).await;
    let from = jiff::Timestamp::now();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let to = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(3);

    // Backed up while it runs: with footage, and the everyday backup without.
    let pass = d.join("passphrase");
    private(&pass, &format!("{PASSPHRASE}\n"));
    let places = |root: &Path| {
        vec![
            "--db".to_owned(),
            root.join("mimamori.db").display().to_string(),
            "--key".to_owned(),
            root.join("node.key").display().to_string(),
            "--data".to_owned(),
            root.join("recorder").display().to_string(),
        ]
    };
    let live_places = places(&live);
    let live_args: Vec<&str> = live_places.iter().map(String::as_str).collect();
    let full = d.join("backup-full");
    let pass_arg = pass.display().to_string();
    let full_arg = full.display().to_string();
    let o = mimamori(
        &[
            &["backup", "--out", &full_arg, "--with-footage", "--passphrase-file", &pass_arg][..],
            &live_args,
        ]
        .concat(),
        None,
    );
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("destroy it when the footage's retention ends"), "{}", said(&o));
    let daily = d.join("backup-daily");
    let daily_arg = daily.display().to_string();
    let o =
        mimamori(&[&["backup", "--out", &daily_arg][..], &live_args].concat(), Some(PASSPHRASE));
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("no footage and no footage key"), "{}", said(&o));
    drop(demo);

    // rule: PROD-ERASE-1 — the everyday backup holds no footage key and no segment (no backup
    // brings a camera-day back after its erasure); the full one holds both.
    let count = async |db: &Path, table: &str| -> i64 {
        use sqlx::Connection;
        let mut c =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        let n = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        n
    };
    assert_eq!(count(&daily.join("recorder/node.db"), "day_keys").await, 0);
    assert_eq!(count(&daily.join("recorder/node.db"), "segments").await, 0);
    assert!(count(&full.join("recorder/node.db"), "day_keys").await >= 2);
    assert!(count(&full.join("recorder/node.db"), "segments").await >= 4);
    assert!(!daily.join("recorder/segments").exists());
    assert!(full.join("recorder/segments").is_dir());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(full.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["with_footage"], true);
    assert!(!std::fs::read_to_string(full.join("manifest.json")).unwrap().contains("BEGIN"));
    let key_hex = std::fs::read_to_string(live.join("node.key")).unwrap();
    for f in ["manifest.json", "secrets.sealed"] {
        let text = std::fs::read_to_string(full.join(f)).unwrap();
        assert!(!text.contains(key_hex.trim()), "{f} holds the node key in clear");
    }

    // The machine is wiped; restore goes into empty places only.
    std::fs::remove_dir_all(&live).unwrap();
    let restored = d.join("restored");
    let to_places = places(&restored);
    let to_args: Vec<&str> = to_places.iter().map(String::as_str).collect();
    let restore = |from: &str, pass: &str| {
        mimamori(&[&["restore", "--from", from][..], &to_args].concat(), Some(pass))
    };
    let o = restore(&full_arg, "not-the-city-passphrase");
    assert!(!o.status.success());
    assert!(said(&o).contains("does not open this backup"), "{}", said(&o));
    assert!(!restored.exists(), "nothing written on a wrong passphrase");
    // An altered copy: one byte of a segment.
    let altered = d.join("backup-altered");
    let o = Command::new("cp").arg("-a").arg(&full).arg(&altered).output().unwrap();
    assert!(o.status.success());
    let seg = Command::new("find")
        .arg(altered.join("recorder/segments"))
        .args(["-type", "f"])
        .output()
        .unwrap();
    let seg = String::from_utf8(seg.stdout).unwrap().lines().next().unwrap().to_owned();
    let mut bytes = std::fs::read(&seg).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&seg, bytes).unwrap();
    let o = restore(&altered.display().to_string(), PASSPHRASE);
    assert!(said(&o).contains("was altered or damaged"), "{}", said(&o));
    assert!(!restored.exists(), "nothing written from an altered backup");

    let o = restore(&full_arg, PASSPHRASE);
    assert!(o.status.success(), "{}", said(&o));
    let o = restore(&full_arg, PASSPHRASE);
    assert!(!o.status.success() && said(&o).contains("exists"), "{}", said(&o));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(restored.join("node.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the restored key is its owner's only");
    }

    // Both audit logs verify against what each keeps of the other, and the published file.
    let o = mimamori(&[&["serve", "--verify-audit", "--role", "all"][..], &to_args].concat(), None);
    assert!(o.status.success(), "governance log: {}", said(&o));
    assert!(said(&o).starts_with("VERIFIED"), "{}", said(&o));
    // The node's public key, as the city publishes it.
    let pubdir = d.join("published");
    let publish = || {
        mimamori(
            &[
                "recorder",
                "publish",
                "--data",
                &restored.join("recorder").display().to_string(),
                "--key",
                &restored.join("node.key").display().to_string(),
                "--out",
                &pubdir.display().to_string(),
            ],
            None,
        )
    };
    let o = publish();
    assert!(o.status.success(), "{}", said(&o));
    let public = pubdir.join("node-public-key.txt").display().to_string();
    let o = mimamori(
        &[
            "audit",
            "verify",
            "--log",
            &restored.join("recorder/audit.log").display().to_string(),
            "--public-key",
            &public,
            "--witness-db",
            &restored.join("mimamori.db").display().to_string(),
        ],
        None,
    );
    assert!(o.status.success(), "recorder log: {}", said(&o));

    // The restored city runs: the PC enrolled before the backup, the accounts, and footage
    // recorded before the backup taken out into a package that verifies offline.
    let data_arg = restored.display().to_string();
    let (_demo, base) = start_demo_in(
        Path::new("."),
        &["--profile", "asahikawa", "--data", &data_arg, "--cameras", "2", "--segment-secs", "2"],
    );
    let http = Http::new(&base);
    let (_, _, zip) = http.extract(&city_pc, "cam2", from, to).await;
    let pkg = d.join("package.zip");
    std::fs::write(&pkg, zip).unwrap();
    // The city's export certificate exists since its first export (this one).
    let o = publish();
    assert!(o.status.success(), "{}", said(&o));
    let o = mimamori(
        &[
            "verify",
            &pkg.display().to_string(),
            "--public-key",
            &public,
            "--city-cert",
            &pubdir.join("city-export.crt").display().to_string(),
        ],
        None,
    );
    assert!(o.status.success(), "the package from restored footage: {}", said(&o));
}

// issue 22, item 5 — PostgreSQL: pg_dump while the server runs, pg_restore into an empty
// database, and the audit log verifies; a database that is not empty is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_store_is_restored_with_its_audit_log() {
    let Ok(admin_url) = std::env::var("MIMAMORI_TEST_PG") else {
        panic!("MIMAMORI_TEST_PG is not set: run ./scripts/test");
    };
    let suffix = format!("{:x}", jiff::Timestamp::now().as_nanosecond() as u64);
    let (src, dst) = (format!("bk_src_{suffix}"), format!("bk_dst_{suffix}"));
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        for db in [&src, &dst] {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
    let url = |db: &str| {
        let mut u = url::Url::parse(&admin_url).unwrap();
        u.set_path(db);
        u.to_string()
    };
    let (src_url, dst_url) = (url(&src), url(&dst));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let key = d.join("centre/node.key").display().to_string();
    let listen = format!("127.0.0.1:{port}");
    let server = Proc(
        Command::new(env!("CARGO_BIN_EXE_mimamori"))
            .args(["serve", "--role", "central", "--db", &src_url, "--key", &key])
            .args(["--listen", &listen, "--profile", "kitakyushu"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for_port(port, Duration::from_secs(60));
    // Audited events: failed logins.
    let client = reqwest::Client::new();
    for who in ["nobody", "somebody"] {
        let r = client
            .post(format!("http://{listen}/api/v1/auth/login"))
            .json(&serde_json::json!({ "login": who, "password": "wrong-password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let out = d.join("backup").display().to_string();
    let o = mimamori(&["backup", "--db", &src_url, "--key", &key, "--out", &out], Some(PASSPHRASE));
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("governance database (postgres)"), "{}", said(&o));
    assert!(d.join("backup/governance.pgdump").exists());
    drop(server);

    let new_key = d.join("new/node.key").display().to_string();
    // Not into a database that holds tables.
    let o = mimamori(
        &["restore", "--from", &out, "--db", &src_url, "--key", &new_key],
        Some(PASSPHRASE),
    );
    assert!(said(&o).contains("restore into an empty database"), "{}", said(&o));
    let o = mimamori(
        &["restore", "--from", &out, "--db", &dst_url, "--key", &new_key],
        Some(PASSPHRASE),
    );
    assert!(o.status.success(), "{}", said(&o));
    let o = mimamori(
        &["serve", "--verify-audit", "--role", "central", "--db", &dst_url, "--key", &new_key],
        None,
    );
    assert!(o.status.success() && said(&o).starts_with("VERIFIED"), "{}", said(&o));
    assert!(said(&o).contains("entries"), "{}", said(&o));
}
