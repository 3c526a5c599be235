//! Login with the city's directory (issue 22, item 2): LDAP or Active Directory checks the
//! password of city staff; the directory's groups say which organisation they work in and which
//! of the profile's roles they hold, as the configuration maps them.
//!
//! - **Who signs in through it**: a login that is not a local account (police, agencies and
//!   contractors keep local accounts) or an account the directory created. The account is
//!   created at the first login from the directory's entry (name, organisation from the mapped
//!   group) and never has a password of its own.
//! - **Roles follow the groups.** At each login the designations the directory made are brought
//!   in line with the person's groups: a new mapped group designates (audited, actor
//!   `directory`, the group named as the document), a group left revokes. Designations made by
//!   hand in the product stay as they are. A role the profile time-boxes (KIT-3) or grounds on a
//!   document of its own (NIS-10.3) cannot come from a group, nor a role the mapped
//!   organisation's kind may not hold: the server does not start with such a mapping.
//! - **Everything else is the same login**: lockout, TOTP, the duty acknowledgement, the
//!   contractor gate, the audit entry.
//! - **The directory down**: directory users get "the directory could not be reached"
//!   (503); local accounts sign in as before.
//!
//! The client is `ldap3` (LDAP v3, LDAPS and StartTLS with rustls). An empty password is
//! refused before any bind: LDAP takes a simple bind with an empty password as an anonymous
//! bind, which "succeeds".

use crate::state::AppState;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[directory]` in the configuration file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// `ldaps://dc1.city.local` or `ldap://…` (with `starttls = true` unless on a trusted link).
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default)]
    pub starttls: bool,
    /// The CA certificates (PEM) the directory's certificate is checked against — the city's
    /// own CA, as Active Directory's usually is; without it, the system's trusted roots.
    pub ca_file: Option<std::path::PathBuf>,
    /// The service account that finds users (none: anonymous search).
    pub bind_dn: Option<String>,
    /// A file (owner-only) holding the service account's password.
    pub bind_password_file: Option<std::path::PathBuf>,
    /// Where users are searched (e.g. `OU=職員,DC=city,DC=local`).
    pub user_base: String,
    /// The filter finding one user by login, `{login}` replaced (escaped). Active Directory:
    /// `(&(objectClass=user)(sAMAccountName={login})(!(userAccountControl:1.2.840.113556.1.4.803:=2)))`
    /// — the last part leaves out disabled accounts.
    pub user_filter: String,
    /// Where groups are searched (groups whose `member` is the user).
    pub group_base: String,
    /// The attribute holding the display name.
    #[serde(default = "default_display")]
    pub display_attribute: String,
    /// Seconds to wait for the directory.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Groups mapped to an organisation and a role.
    #[serde(default)]
    pub groups: Vec<GroupMapping>,
    /// The service account's password, read from `bind_password_file` at start.
    #[serde(skip)]
    pub bind_password: Option<String>,
}

fn default_display() -> String {
    "displayName".into()
}

fn default_timeout() -> u64 {
    5
}

/// A directory group standing for a role in an organisation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupMapping {
    /// The group's DN.
    pub group: String,
    /// The organisation's name, as registered (e.g. 防災安全部交通防犯課).
    pub organisation: String,
    /// A role of the profile.
    pub role: String,
}

/// A mapping checked against the profile and the store.
#[derive(Debug, Clone)]
struct Mapping {
    group: String,
    organisation_id: i64,
    role: String,
}

/// The directory as the server uses it.
pub struct Directory {
    config: DirectoryConfig,
    mappings: Vec<Mapping>,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

/// A TLS client trusting only the CA certificates in `ca_file`.
fn tls_trusting(ca_file: &std::path::Path) -> anyhow::Result<std::sync::Arc<rustls::ClientConfig>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let shown = ca_file.display();
    for cert in CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| anyhow::anyhow!("directory.ca_file {shown}: {e}"))?
    {
        let cert = cert.map_err(|e| anyhow::anyhow!("directory.ca_file {shown}: {e}"))?;
        roots.add(cert).map_err(|e| anyhow::anyhow!("directory.ca_file {shown}: {e}"))?;
    }
    if roots.is_empty() {
        anyhow::bail!("directory.ca_file {shown} holds no certificate");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}

/// A person the directory vouched for.
#[derive(Debug, Clone)]
pub struct DirectoryUser {
    /// The entry's DN.
    pub dn: String,
    /// The name to show.
    pub display_name: String,
    /// The DNs of the groups the person is a member of.
    pub groups: Vec<String>,
}

/// The directory could not answer (as opposed to "no").
#[derive(Debug, thiserror::Error)]
#[error("the directory could not be reached or failed: {0}")]
pub struct Unreachable(pub String);

impl Directory {
    /// Checks the mappings against the profile and the registered organisations: the server does
    /// not start on a mapping that cannot hold.
    pub async fn resolve(st: &AppState, config: DirectoryConfig) -> anyhow::Result<Directory> {
        let orgs = st.db.organisations().await?;
        let mut mappings = Vec::new();
        for m in &config.groups {
            let role = st.profile.role(&m.role).ok_or_else(|| {
                anyhow::anyhow!(
                    "directory group {}: {:?} is not a role of profile {}",
                    m.group,
                    m.role,
                    st.profile.profile.id
                )
            })?;
            let org = orgs.iter().find(|o| o.name == m.organisation).ok_or_else(|| {
                anyhow::anyhow!(
                    "directory group {}: no organisation named {:?} is registered",
                    m.group,
                    m.organisation
                )
            })?;
            let kind_ok = role.organisations.iter().any(|k| {
                serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_owned)).as_deref()
                    == Some(org.kind.as_str())
            });
            if !kind_ok {
                anyhow::bail!(
                    "directory group {}: {} ({}) is held by members of a {:?} organisation, not {} ({})",
                    m.group,
                    role.name_ja,
                    role.rule,
                    role.organisations,
                    org.name,
                    org.kind
                );
            }
            if role.max_term_days.is_some() || role.designation_document.is_some() {
                anyhow::bail!(
                    "directory group {}: {} is designated for a term or on a document of its own ({}); designate it in mimamori, not through a group",
                    m.group,
                    role.name_ja,
                    role.rule
                );
            }
            mappings.push(Mapping {
                group: m.group.to_lowercase(),
                organisation_id: org.id,
                role: role.id.clone(),
            });
        }
        let tls = config.ca_file.as_deref().map(tls_trusting).transpose()?;
        Ok(Directory { config, mappings, tls })
    }

    /// Checks `login`'s password with the directory: the person, or `None` when the directory
    /// says no (no such user, a disabled one, a wrong password).
    pub async fn authenticate(
        &self,
        login: &str,
        password: &str,
    ) -> Result<Option<DirectoryUser>, Unreachable> {
        if password.is_empty() || login.is_empty() {
            return Ok(None);
        }
        let c = &self.config;
        let fail = |e: ldap3::LdapError| Unreachable(e.to_string());
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(Duration::from_secs(c.timeout_secs))
            .set_starttls(c.starttls);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        let (conn, mut ldap) =
            LdapConnAsync::with_settings(settings, &c.url).await.map_err(fail)?;
        ldap3::drive!(conn);
        let timeout = Duration::from_secs(c.timeout_secs);
        if let Some(dn) = &c.bind_dn {
            ldap.with_timeout(timeout)
                .simple_bind(dn, c.bind_password.as_deref().unwrap_or(""))
                .await
                .map_err(fail)?
                .success()
                .map_err(|e| Unreachable(format!("the service account's bind failed: {e}")))?;
        }
        let filter = c.user_filter.replace("{login}", &ldap_escape(login));
        let display = c.display_attribute.as_str();
        let (entries, _) = ldap
            .with_timeout(timeout)
            .search(&c.user_base, Scope::Subtree, &filter, vec![display, "cn", "memberOf"])
            .await
            .map_err(fail)?
            .success()
            .map_err(fail)?;
        let [entry] = &entries[..] else {
            let _ = ldap.unbind().await;
            return Ok(None);
        };
        let entry = SearchEntry::construct(entry.clone());
        // The user's own bind checks the password; "invalid credentials" (49) is a no.
        let bound =
            ldap.with_timeout(timeout).simple_bind(&entry.dn, password).await.map_err(fail)?;
        if bound.rc == 49 {
            let _ = ldap.unbind().await;
            return Ok(None);
        }
        bound.success().map_err(fail)?;
        let group_filter = format!("(member={})", ldap_escape(entry.dn.as_str()));
        let (groups, _) = ldap
            .with_timeout(timeout)
            .search(&c.group_base, Scope::Subtree, &group_filter, vec!["1.1"])
            .await
            .map_err(fail)?
            .success()
            .map_err(fail)?;
        let mut dns: Vec<String> =
            groups.into_iter().map(|g| SearchEntry::construct(g).dn).collect();
        // Active Directory also lists them on the user.
        dns.extend(entry.attrs.get("memberOf").cloned().unwrap_or_default());
        let _ = ldap.unbind().await;
        let name = |a: &str| entry.attrs.get(a).and_then(|v| v.first()).cloned();
        Ok(Some(DirectoryUser {
            display_name: name(display).or_else(|| name("cn")).unwrap_or_else(|| login.to_owned()),
            dn: entry.dn,
            groups: dns,
        }))
    }

    /// The (organisation, role) pairs `user`'s groups map to.
    pub fn roles_of(&self, user: &DirectoryUser) -> Vec<(i64, String, String)> {
        let groups: Vec<String> = user.groups.iter().map(|g| g.to_lowercase()).collect();
        let mut out: Vec<(i64, String, String)> = self
            .mappings
            .iter()
            .filter(|m| groups.contains(&m.group))
            .map(|m| (m.organisation_id, m.role.clone(), m.group.clone()))
            .collect();
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        out
    }
}

/// When a session or API token of `account` ends, asked for `wanted`: a directory account's
/// lasts at most a working session (8 h). Its roles are brought in line with the directory's
/// groups at each login, so someone removed from a group (or the directory) keeps no access
/// longer than that — never the 30 days of a token.
pub fn session_bound(account: &store::accounts::Account, now: i64, wanted: i64) -> i64 {
    if account.directory_dn.is_some() { wanted.min(now + crate::auth::SESSION_MS) } else { wanted }
}

/// The note a designation made by the directory carries, and its document reference.
pub fn designation_reference(group: &str) -> String {
    format!("directory:{group}")
}

/// The one organisation `roles` are in; a reason when none or several.
fn single_organisation(roles: &[(i64, String, String)]) -> Result<i64, String> {
    let mut orgs: Vec<i64> = roles.iter().map(|r| r.0).collect();
    orgs.dedup();
    match orgs[..] {
        [org] => Ok(org),
        [] => Err(
            "the directory vouched for this person, and none of their groups is mapped to a role"
                .into(),
        ),
        _ => Err(format!(
            "this person's directory groups map to roles in {} organisations; an account is in one",
            orgs.len()
        )),
    }
}

/// Makes the account of a person the directory vouched for, at their first login: in the
/// organisation their groups map to, holding the mapped roles. `Err(reason)` when the groups
/// map to no role or to roles in several organisations.
pub async fn provision(
    st: &AppState,
    dir: &Directory,
    login: &str,
    user: &DirectoryUser,
) -> crate::error::ApiResult<Result<store::accounts::Account, String>> {
    let roles = dir.roles_of(user);
    let org = match single_organisation(&roles) {
        Ok(o) => o,
        Err(reason) => return Ok(Err(reason)),
    };
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    let account =
        ch.create_directory_account(login, &user.display_name, org, &user.dn, now).await?;
    let mut ev = audit::Event::new(
        "directory",
        "account.create",
        format!("account:{}", account.id),
        audit::Outcome::Ok,
    );
    ev.detail = serde_json::json!({ "login": login, "organisation": org, "directory_dn": user.dn });
    st.audit_in(&ch, ev).await?;
    sync_designations(st, &ch, account.id, &roles, now).await?;
    ch.commit().await?;
    Ok(Ok(account))
}

/// At each later login: the entry must be the one the account was made for (a login reused by
/// another person is not their account), in the same organisation; the name and the
/// directory's designations follow the directory.
pub async fn reconcile(
    st: &AppState,
    dir: &Directory,
    account: &store::accounts::Account,
    user: &DirectoryUser,
) -> crate::error::ApiResult<Result<(), String>> {
    if !account.directory_dn.as_deref().is_some_and(|dn| dn.eq_ignore_ascii_case(&user.dn)) {
        return Ok(Err(format!(
            "the directory entry {} is not the one this account was made for",
            user.dn
        )));
    }
    let roles = dir.roles_of(user);
    let org = match single_organisation(&roles) {
        Ok(o) => o,
        Err(reason) => {
            // Left every mapped group: the roles go at once, the login is refused.
            let now = st.clock.now_ms();
            let ch = st.change().await?;
            sync_designations(st, &ch, account.id, &[], now).await?;
            ch.commit().await?;
            return Ok(Err(reason));
        }
    };
    if org != account.organisation_id {
        return Ok(Err(
            "the directory's groups place this person in another organisation; an administrator moves the account".into(),
        ));
    }
    let now = st.clock.now_ms();
    let ch = st.change().await?;
    if account.display_name != user.display_name {
        ch.set_display_name(account.id, &user.display_name).await?;
    }
    sync_designations(st, &ch, account.id, &roles, now).await?;
    ch.commit().await?;
    Ok(Ok(()))
}

/// Brings the designations the directory made for `account` in line with `roles`, in the
/// change `ch`, each audited with the directory as the actor.
async fn sync_designations(
    st: &AppState,
    ch: &store::Db,
    account: i64,
    roles: &[(i64, String, String)],
    now: i64,
) -> crate::error::ApiResult<()> {
    let by_directory: Vec<store::accounts::Designation> = ch
        .designations_of(account)
        .await?
        .into_iter()
        .filter(|d| {
            d.revoked_at.is_none()
                && d.document_ref.as_deref().is_some_and(|r| r.starts_with("directory:"))
        })
        .collect();
    for (_, role, group) in roles {
        if by_directory.iter().any(|d| &d.role == role) {
            continue;
        }
        let reference = designation_reference(group);
        let d = ch
            .designate_with(
                &store::accounts::NewDesignation {
                    account_id: account,
                    role,
                    by: None,
                    valid_until: None,
                    note: "ディレクトリのグループによる指定 / designated by a directory group",
                    document_ref: Some(&reference),
                },
                now,
            )
            .await?;
        let mut ev = audit::Event::new(
            "directory",
            "designation.create",
            format!("designation:{}", d.id),
            audit::Outcome::Ok,
        );
        ev.detail = serde_json::json!({ "account": account, "role": role, "group": group });
        st.audit_in(ch, ev).await?;
    }
    for d in by_directory.iter().filter(|d| !roles.iter().any(|r| r.1 == d.role)) {
        ch.revoke_designation_by_directory(d.id, now).await?;
        let mut ev = audit::Event::new(
            "directory",
            "designation.revoke",
            format!("designation:{}", d.id),
            audit::Outcome::Ok,
        );
        ev.detail = serde_json::json!({ "account": account, "role": d.role, "reason": "no longer in the group" });
        st.audit_in(ch, ev).await?;
    }
    Ok(())
}
