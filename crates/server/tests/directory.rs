//! Login with the city's directory (issue 22, item 2) against a real OpenLDAP server (Debian's
//! slapd, started here): a group maps to an organisation and a role; the account is made at the
//! first login; roles follow the groups; a disabled or unmapped person, a wrong password and a
//! login reused by another entry are refused; with the directory down its users get a clear
//! 503 and local accounts still sign in. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use crate::common;

use common::{BACKENDS, PASSWORD, World, org};
use serde_json::{Value, json};
use server::directory::{Directory, DirectoryConfig, GroupMapping};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SUFFIX: &str = "dc=city,dc=example";
const ROOT_PW: &str = "root-secret-2026";

/// A slapd on a free loopback port, killed when dropped.
struct Slapd {
    child: Child,
    port: u16,
    /// The LDAPS port, when started with TLS.
    tls_port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A CA of the city's own and a certificate for 127.0.0.1 signed by it (openssl), in `dir`.
fn city_ca(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let o = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
        assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "30",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=City Internal CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "dc.key",
        "-out",
        "dc.csr",
        "-subj",
        "/CN=dc1.city.local",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:dc1.city.local\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "dc.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "30",
        "-out",
        "dc.crt",
        "-extfile",
        "ext.cnf",
    ]);
}

impl Slapd {
    fn start() -> Slapd {
        Slapd::start_with(false)
    }

    /// With `tls`: also LDAPS, and StartTLS on the plain port, under a certificate of the city's
    /// own CA (`ca.crt` in [`Slapd::dir`]).
    fn start_with(tls: bool) -> Slapd {
        // The tests of this file run at once: choosing free ports and binding them is done one
        // slapd at a time, or two could pick the same port between the choice and the bind.
        static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one_at_a_time = STARTING.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("db")).unwrap();
        let conf = dir.path().join("slapd.conf");
        let d = dir.path().display();
        let mut text = format!(
            "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\npidfile {d}/slapd.pid\n\
             modulepath /usr/lib/ldap\nmoduleload back_mdb\n"
        );
        if tls {
            city_ca(dir.path());
            text += &format!(
                "TLSCACertificateFile {d}/ca.crt\nTLSCertificateFile {d}/dc.crt\nTLSCertificateKeyFile {d}/dc.key\n"
            );
        }
        text += &format!(
            "database mdb\nsuffix \"{SUFFIX}\"\nrootdn \"cn=admin,{SUFFIX}\"\nrootpw {ROOT_PW}\n\
             directory {d}/db\nmaxsize 10485760\n"
        );
        std::fs::write(&conf, text).unwrap();
        // A port chosen free may still be taken before slapd binds it — by a connection any test
        // of this binary opens meanwhile (outgoing connections draw from the same ephemeral
        // range): slapd then exits at once, and it is started again on other ports.
        let mut attempts = 0;
        let mut s = loop {
            attempts += 1;
            let port = free_port();
            let tls_port = if tls { free_port() } else { 0 };
            let mut urls = format!("ldap://127.0.0.1:{port}/");
            if tls {
                urls += &format!(" ldaps://127.0.0.1:{tls_port}/");
            }
            let child = Command::new("/usr/sbin/slapd")
                .arg("-f")
                .arg(&conf)
                .args(["-h", &urls, "-d", "0"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("slapd (Debian slapd): run scripts/test-deps.sh");
            let mut child = Some(child);
            let t = Instant::now();
            let ports = if tls { vec![port, tls_port] } else { vec![port] };
            let mut up = true;
            while ports.iter().any(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_err()) {
                if child.as_mut().unwrap().try_wait().unwrap().is_some() {
                    up = false;
                    break;
                }
                assert!(t.elapsed() < Duration::from_secs(20), "slapd did not start");
                std::thread::sleep(Duration::from_millis(100));
            }
            if up {
                break Slapd { child: child.take().unwrap(), port, tls_port, dir };
            }
            assert!(attempts < 5, "slapd exited {attempts} times (ports taken?)");
        };
        assert!(s.child.try_wait().unwrap().is_none(), "slapd exited");
        s.ldif("ldapadd", &base_ldif());
        s
    }

    fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// Runs `ldapadd`/`ldapmodify`/`ldapdelete` as the directory's administrator.
    fn ldif(&self, tool: &str, input: &str) {
        use std::io::Write;
        let mut c = Command::new(tool)
            .args(["-x", "-H", &self.url(), "-D", &format!("cn=admin,{SUFFIX}"), "-w", ROOT_PW])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldap-utils: run scripts/test-deps.sh");
        c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn person(uid: &str, ou: &str, name: &str, extra: &str) -> String {
    let mut s = format!(
        "dn: uid={uid},ou={ou},{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {name}\n\
         displayName: {name}\nuserPassword: {uid}-pass-2026\n"
    );
    if !extra.is_empty() {
        s += extra;
        s += "\n";
    }
    s + "\n"
}

fn group(cn: &str, members: &[&str]) -> String {
    let mut s = format!("dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n");
    for m in members {
        s.push_str(&format!("member: uid={m},ou=people,{SUFFIX}\n"));
    }
    s + "\n"
}

fn base_ldif() -> String {
    let mut s = format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: City\ndc: city\n\n\
         dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: cn=reader,{SUFFIX}\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\n\
         cn: reader\nuserPassword: reader-pass-2026\n\n"
    );
    s += &person("tanaka", "people", "田中 一郎", "");
    s += &person("suzuki", "people", "鈴木 花子", "");
    s += &person("sato", "people", "佐藤 次郎", "employeeType: disabled");
    s += &person("kato", "people", "加藤 三郎", "");
    s += &person("admin", "people", "同名の職員", "");
    s += &person("ito", "people", "伊藤 四郎", "");
    s += &person("watanabe", "people", "渡辺 五郎", "");
    s += &group("camera-officers", &["tanaka", "suzuki", "sato", "admin"]);
    s += &group("camera-managers", &["suzuki"]);
    s += &group("all-staff", &["tanaka", "suzuki", "sato", "kato"]);
    // A second city section's officers: ito there only, watanabe in both sections' groups.
    s += &group("parks-officers", &["ito", "watanabe"]);
    s += &group("camera-officers-2", &["watanabe"]);
    s
}

fn config(url: &str, city: &str) -> DirectoryConfig {
    DirectoryConfig {
        url: url.into(),
        starttls: false,
        ca_file: None,
        bind_dn: Some(format!("cn=reader,{SUFFIX}")),
        bind_password_file: None,
        bind_password: Some("reader-pass-2026".into()),
        user_base: format!("ou=people,{SUFFIX}"),
        user_filter: "(&(objectClass=inetOrgPerson)(uid={login})(!(employeeType=disabled)))".into(),
        group_base: format!("ou=groups,{SUFFIX}"),
        display_attribute: "displayName".into(),
        timeout_secs: 3,
        groups: vec![
            GroupMapping {
                group: format!("cn=camera-officers,ou=groups,{SUFFIX}"),
                organisation: city.into(),
                role: "handling_officer".into(),
            },
            GroupMapping {
                group: format!("CN=Camera-Managers,OU=Groups,{SUFFIX}"),
                organisation: city.into(),
                role: "manager".into(),
            },
        ],
    }
}

async fn login(w: &World, login: &str, password: &str) -> (u16, Value) {
    let (s, v) = w.api.login(login, password).await;
    (s.as_u16(), v)
}

async fn audit_reasons(w: &World) -> Vec<String> {
    let (_, v) = w.api.get("/api/v1/audit?action=login&limit=200", &w.admin).await;
    let items = v.get("items").cloned().unwrap_or(v);
    items
        .as_array()
        .map(|a| {
            a.iter().filter_map(|e| e["detail"]["reason"].as_str().map(str::to_owned)).collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn city_staff_sign_in_with_the_directory_and_its_groups_give_their_roles() {
    let ldap = Slapd::start();
    for backend in BACKENDS {
        let w = World::new("asahikawa", backend, "2026-12-04T10:00:00+09:00").await;
        let city = "管理部署";
        org(&w, "police", "旭川東警察署").await;

        // A mapping the profile cannot hold keeps the server from using the directory.
        let mut bad = config(&ldap.url(), city);
        bad.groups[0].organisation = "旭川東警察署".into();
        let e = Directory::resolve(&w.srv.state, bad).await.err().unwrap().to_string();
        assert!(e.contains("ASA-") && e.contains("police"), "{e}");

        // Two city sections, each with its own officers' group (several organisations of a kind).
        let parks = org(&w, "city", "公園緑地課").await;
        let mut two = config(&ldap.url(), city);
        two.groups.push(GroupMapping {
            group: format!("cn=parks-officers,ou=groups,{SUFFIX}"),
            organisation: "公園緑地課".into(),
            role: "handling_officer".into(),
        });
        let dir = Directory::resolve(&w.srv.state, two).await.unwrap();
        w.srv.state.set_directory(Some(Arc::new(dir)));
        let (s, v) = login(&w, "ito", "ito-pass-2026").await;
        assert_eq!(s, 200, "{v}");
        let ito = w.srv.state.db.account(v["account_id"].as_i64().unwrap()).await.unwrap().unwrap();
        assert_eq!(ito.organisation_id, parks, "the section its group maps to");
        // watanabe's groups map to both sections: an account is in one organisation, so the
        // login is refused and the reason audited.
        let mut both = config(&ldap.url(), city);
        both.groups.push(GroupMapping {
            group: format!("cn=parks-officers,ou=groups,{SUFFIX}"),
            organisation: "公園緑地課".into(),
            role: "handling_officer".into(),
        });
        both.groups.push(GroupMapping {
            group: format!("cn=camera-officers-2,ou=groups,{SUFFIX}"),
            organisation: city.into(),
            role: "handling_officer".into(),
        });
        w.srv
            .state
            .set_directory(Some(Arc::new(Directory::resolve(&w.srv.state, both).await.unwrap())));
        assert_eq!(login(&w, "watanabe", "watanabe-pass-2026").await.0, 401);
        let reasons = audit_reasons(&w).await;
        assert!(reasons.iter().any(|r| r.contains("2 organisations")), "{reasons:?}");
        let dir = Directory::resolve(&w.srv.state, config(&ldap.url(), city)).await.unwrap();
        w.srv.state.set_directory(Some(Arc::new(dir)));

        // First login: the account is made in the mapped organisation, with the mapped role.
        let (s, v) = login(&w, "tanaka", "tanaka-pass-2026").await;
        assert_eq!(s, 200, "{backend:?}: {v}");
        assert_eq!(v["roles"], json!(["handling_officer"]), "{v}");
        assert_eq!(v["display_name"], "田中 一郎");
        assert_eq!(v["must_acknowledge"], true, "the duty acknowledgement still applies");
        let tanaka = v["account_id"].as_i64().unwrap();
        let a = w.srv.state.db.account(tanaka).await.unwrap().unwrap();
        assert_eq!(
            a.directory_dn.as_deref(),
            Some(format!("uid=tanaka,ou=people,{SUFFIX}").as_str())
        );
        assert_eq!(a.organisation_id, w.orgs["city"]);
        // No password of its own: the directory's is never checked against a local hash.
        assert!(
            !server::auth::verify_password_blocking("tanaka-pass-2026", &a.password_hash).await
        );

        // Group case differs from the mapping's: DNs compare without case. Two groups, two roles.
        let (s, v) = login(&w, "suzuki", "suzuki-pass-2026").await;
        assert_eq!(s, 200, "{v}");
        let mut roles: Vec<String> = serde_json::from_value(v["roles"].clone()).unwrap();
        roles.sort();
        assert_eq!(roles, ["handling_officer", "manager"]);

        // The password is the directory's: no local change, no local expiry, and a step that
        // asks for it again (minting an API token) asks the directory.
        let suzuki = common::User {
            id: v["account_id"].as_i64().unwrap(),
            login: "suzuki".into(),
            token: v["token"].as_str().unwrap().into(),
            org: w.orgs["city"],
            role: "manager".into(),
            ws: None,
        };
        // The confidentiality duty is acknowledged as by anyone (ASA-3.6a).
        w.api.ok("/api/v1/me/acknowledge", &suzuki, json!({})).await;
        let (s, body) = w
            .api
            .post(
                "/api/v1/me/password",
                &suzuki,
                json!({ "current_password": "suzuki-pass-2026", "new_password": "another-pass-2026-x" }),
            )
            .await;
        assert_eq!(s.as_u16(), 422, "{body}");
        assert!(body.to_string().contains("directory"), "{body}");
        let mint = |pw: &str| json!({ "name": "集計用", "days": 7, "password": pw });
        let (s, body) = w.api.post("/api/v1/me/tokens", &suzuki, mint("wrong-password")).await;
        assert_eq!(s.as_u16(), 422, "{body}");
        let (s, body) = w.api.post("/api/v1/me/tokens", &suzuki, mint("suzuki-pass-2026")).await;
        assert_eq!(s.as_u16(), 200, "{body}");
        // A token of a directory account lasts a working session, not the 7 days asked: someone
        // removed from the directory keeps no access longer than that.
        let ends = common::t(body["expires_at"].as_str().unwrap());
        assert!(ends <= w.srv.clock.now() + jiff::SignedDuration::from_hours(8), "{body}");
        assert_eq!(v["expires_at"], body["expires_at"], "the bearer login is bounded alike");
        w.set_now("2027-12-04T10:00:00+09:00");
        let (s, v) = login(&w, "suzuki", "suzuki-pass-2026").await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["must_change_password"], false, "a year on: the directory rotates it");
        w.set_now("2026-12-04T10:05:00+09:00");

        // Refusals: a wrong password, a disabled person, one in no mapped group, an empty
        // password (never an anonymous bind).
        assert_eq!(login(&w, "tanaka", "wrong-password").await.0, 401);
        assert_eq!(login(&w, "sato", "sato-pass-2026").await.0, 401);
        assert_eq!(login(&w, "kato", "kato-pass-2026").await.0, 401);
        assert_eq!(login(&w, "nobody", "nobody-pass-2026").await.0, 401);
        let (s, _) = login(&w, "tanaka", "").await;
        assert_eq!(s, 422, "an empty password is a form error, never an anonymous bind");
        let reasons = audit_reasons(&w).await;
        assert!(
            reasons.iter().any(|r| r.contains("none of their groups is mapped")),
            "{reasons:?}"
        );
        assert!(reasons.iter().any(|r| r.contains("the directory refused")), "{reasons:?}");

        // A local account of the same name is the local one: the directory is not asked.
        assert_eq!(login(&w, "admin", "admin-pass-2026").await.0, 401);
        assert_eq!(login(&w, "admin", PASSWORD).await.0, 200);

        // Roles follow the groups: out of the officers' group, the role goes and the login is
        // refused (no mapped group is left); back in, with the managers' too, both come back.
        ldap.ldif(
            "ldapmodify",
            &format!("dn: cn=camera-officers,ou=groups,{SUFFIX}\nchangetype: modify\ndelete: member\nmember: uid=tanaka,ou=people,{SUFFIX}\n"),
        );
        assert_eq!(login(&w, "tanaka", "tanaka-pass-2026").await.0, 401);
        let now = w.srv.clock.now_ms();
        assert!(w.srv.state.db.active_roles(tanaka, now).await.unwrap().is_empty());
        ldap.ldif(
            "ldapmodify",
            &format!("dn: cn=camera-managers,ou=groups,{SUFFIX}\nchangetype: modify\nadd: member\nmember: uid=tanaka,ou=people,{SUFFIX}\n"),
        );
        let (s, v) = login(&w, "tanaka", "tanaka-pass-2026").await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["roles"], json!(["manager"]));
        // Each change is on the audit trail with the directory as its actor.
        let (_, trail) = w.api.get("/api/v1/audit?actor=directory&limit=50", &w.admin).await;
        let trail = trail.get("items").cloned().unwrap_or(trail).to_string();
        for action in ["account.create", "designation.create", "designation.revoke"] {
            assert!(trail.contains(action), "{action} not audited: {trail}");
        }

        // A login reused by another entry (the person left, another took the name) is not the
        // old account.
        ldap.ldif("ldapdelete", &format!("uid=tanaka,ou=people,{SUFFIX}\n"));
        ldap.ldif(
            "ldapadd",
            &format!(
                "dn: ou=newcomers,{SUFFIX}\nobjectClass: organizationalUnit\nou: newcomers\n\n{}",
                person("tanaka", "newcomers", "田中 新", "")
            ),
        );
        let mut moved = config(&ldap.url(), city);
        moved.user_base = SUFFIX.into();
        w.srv
            .state
            .set_directory(Some(Arc::new(Directory::resolve(&w.srv.state, moved).await.unwrap())));
        ldap.ldif(
            "ldapmodify",
            &format!("dn: cn=camera-managers,ou=groups,{SUFFIX}\nchangetype: modify\nadd: member\nmember: uid=tanaka,ou=newcomers,{SUFFIX}\n"),
        );
        assert_eq!(login(&w, "tanaka", "tanaka-pass-2026").await.0, 401);
        let reasons = audit_reasons(&w).await;
        assert!(
            reasons.iter().any(|r| r.contains("not the one this account was made for")),
            "{reasons:?}"
        );
        // Put the directory back as it was for the next backend.
        ldap.ldif("ldapdelete", &format!("uid=tanaka,ou=newcomers,{SUFFIX}\n"));
        ldap.ldif("ldapdelete", &format!("ou=newcomers,{SUFFIX}\n"));
        ldap.ldif("ldapadd", &person("tanaka", "people", "田中 一郎", ""));
        ldap.ldif(
            "ldapmodify",
            &format!("dn: cn=camera-officers,ou=groups,{SUFFIX}\nchangetype: modify\nadd: member\nmember: uid=tanaka,ou=people,{SUFFIX}\n"),
        );
        ldap.ldif(
            "ldapmodify",
            &format!("dn: cn=camera-managers,ou=groups,{SUFFIX}\nchangetype: modify\ndelete: member\nmember: uid=tanaka,ou=people,{SUFFIX}\nmember: uid=tanaka,ou=newcomers,{SUFFIX}\n"),
        );

        // The directory down: its users are told so (503, in Japanese by default), local
        // accounts still sign in.
        let mut down = config("ldap://127.0.0.1:9", city);
        down.timeout_secs = 2;
        w.srv
            .state
            .set_directory(Some(Arc::new(Directory::resolve(&w.srv.state, down).await.unwrap())));
        let r = w
            .api
            .http
            .post(format!("{}/api/v1/auth/login", w.api.base))
            .header("accept-language", "ja")
            .json(&json!({ "login": "suzuki", "password": "suzuki-pass-2026" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        let body: Value = r.json().await.unwrap();
        assert!(body.to_string().contains("ディレクトリ"), "{body}");
        let (s, _) = w.api.login("admin", PASSWORD).await;
        assert_eq!(s, 200, "a local account signs in with the directory down");
        w.srv.state.set_directory(None);
    }
}

// issue 22, item 2 — LDAPS and StartTLS, the directory's certificate checked against the city's
// own CA; a directory whose certificate is not trusted is not used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_reached_over_ldaps_and_starttls_trusting_the_citys_ca() {
    let ldap = Slapd::start_with(true);
    let w = World::new("asahikawa", common::Backend::Sqlite, "2026-12-04T10:00:00+09:00").await;
    let ca = ldap.dir.path().join("ca.crt");
    let try_login = async |c: DirectoryConfig| {
        let dir = Directory::resolve(&w.srv.state, c).await.unwrap();
        w.srv.state.set_directory(Some(Arc::new(dir)));
        login(&w, "suzuki", "suzuki-pass-2026").await.0
    };
    let mut ldaps = config(&format!("ldaps://127.0.0.1:{}", ldap.tls_port), "管理部署");
    ldaps.ca_file = Some(ca.clone());
    assert_eq!(try_login(ldaps.clone()).await, 200, "LDAPS with the city's CA");
    let mut starttls = config(&ldap.url(), "管理部署");
    starttls.starttls = true;
    starttls.ca_file = Some(ca.clone());
    assert_eq!(try_login(starttls).await, 200, "StartTLS with the city's CA");
    // The system's roots do not know the city's CA: the directory is not trusted, not used.
    ldaps.ca_file = None;
    assert_eq!(try_login(ldaps).await, 503);
    // A CA file that holds no certificate is refused at start.
    let empty = ldap.dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let mut bad = config(&ldap.url(), "管理部署");
    bad.ca_file = Some(empty);
    let e = Directory::resolve(&w.srv.state, bad).await.err().unwrap().to_string();
    assert!(e.contains("holds no certificate"), "{e}");
}
