//! Organisations, accounts, role designations and sessions.

use crate::{At, Db, Result, StoreError, changed_one};
use serde::Serialize;

/// How a session is presented: a browser's cookie, or an API token in an `Authorization`
/// header. A session is honoured only when presented its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A session cookie (with a CSRF token, an idle limit).
    Cookie,
    /// A bearer token (login with `bearer`, or a named API token).
    Bearer,
}

policy::stored_names!(SessionKind, "session kind", {
    Cookie => "cookie",
    Bearer => "bearer",
});

/// An organisation: a city section, a contractor, a police station, an agency, a community group
/// or a facility.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Organisation {
    /// Id.
    pub id: i64,
    /// What kind of organisation it is (an unknown stored name is a decoding error).
    #[sqlx(try_from = "String")]
    pub kind: policy::profile::OrgKind,
    /// Name.
    pub name: String,
    /// Created (UTC ms).
    pub created_at: At,
    /// Its own retention period in days, within the profile's bounds (SAK-9), if set.
    pub retention_days: Option<i64>,
    /// Its own retention period in months (SAK-9), if set.
    pub retention_months: Option<i64>,
}

/// An account. Holds the password hash: never serialise it to clients.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Account {
    /// Id.
    pub id: i64,
    /// Login name.
    pub login: String,
    /// Name shown to others.
    pub display_name: String,
    /// Its organisation.
    pub organisation_id: i64,
    /// argon2id PHC string.
    pub password_hash: String,
    /// When the password was last set (UTC ms).
    pub password_changed_at: At,
    /// 1 when the next login must change the password (set by an administrator).
    #[sqlx(try_from = "i64")]
    pub must_change_password: crate::Flag,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Locked until (UTC ms).
    pub locked_until: Option<At>,
    /// TOTP secret (base32), when enrolled.
    pub totp_secret: Option<String>,
    /// 1 when TOTP is confirmed and required.
    #[sqlx(try_from = "i64")]
    pub totp_enabled: crate::Flag,
    /// A new TOTP secret awaiting confirmation while the current one stays in force (sealed).
    pub totp_pending: Option<String>,
    /// When the confidentiality duty was acknowledged.
    pub confidentiality_ack_at: Option<At>,
    /// Disabled since.
    pub disabled_at: Option<At>,
    /// Created.
    pub created_at: At,
    /// Created by (account id).
    pub created_by: Option<i64>,
    /// The directory entry (LDAP DN) whose password signs this account in; `None` for an
    /// account with a password of its own.
    pub directory_dn: Option<String>,
    /// 1 while the account waits for a second administrator's activation (PROD-SOD-6).
    #[sqlx(try_from = "i64")]
    pub pending_activation: crate::Flag,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// Login name.
    pub login: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Organisation.
    pub organisation_id: i64,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// Force a password change at first login.
    pub must_change_password: bool,
    /// Creator.
    pub created_by: Option<i64>,
    /// Waits for a second administrator's activation before it signs in (PROD-SOD-6).
    pub pending_activation: bool,
}

/// A designation to record.
#[derive(Debug, Clone)]
pub struct NewDesignation<'a> {
    /// The account designated.
    pub account_id: i64,
    /// The role.
    pub role: &'a str,
    /// Who designates (`None`: bootstrap).
    pub by: Option<i64>,
    /// End of a time-boxed designation.
    pub valid_until: Option<At>,
    /// Note.
    pub note: &'a str,
    /// The reference of the document it rests on (NIS-10.3's 届出).
    pub document_ref: Option<&'a str>,
}

/// A role designation: who holds which role, designated by whom and when.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct Designation {
    /// Id.
    pub id: i64,
    /// Holder.
    pub account_id: i64,
    /// Role id of the profile.
    pub role: String,
    /// Designating account (None: set up by the administrator).
    pub designated_by: Option<i64>,
    /// When.
    pub designated_at: At,
    /// End of a time-boxed designation (KIT-3 temporary operator).
    pub valid_until: Option<At>,
    /// Revoked at.
    pub revoked_at: Option<At>,
    /// Revoked by.
    pub revoked_by: Option<i64>,
    /// Note.
    pub note: String,
    /// The reference of the document the designation rests on (NIS-10.3's 届出), if the
    /// profile names one for the role.
    pub document_ref: Option<String>,
}

impl Designation {
    /// In force at `now`.
    pub fn in_force(&self, now: i64) -> bool {
        self.revoked_at.is_none_or(|r| r.ms() > now)
            && self.valid_until.is_none_or(|u| u.ms() > now)
            && self.designated_at.ms() <= now
    }
}

/// A login session (cookie) or an API token (bearer).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    /// Id.
    pub id: i64,
    /// BLAKE3 of the token; the token itself is never stored.
    pub token_hash: String,
    /// Owner.
    pub account_id: i64,
    /// How it is presented (an unknown stored name is a decoding error).
    #[sqlx(try_from = "String")]
    pub kind: SessionKind,
    /// Label of an API token.
    pub name: String,
    /// CSRF token bound to a cookie session.
    pub csrf_token: String,
    /// Created.
    pub created_at: At,
    /// Expires.
    pub expires_at: At,
    /// Last used.
    pub last_seen_at: At,
    /// Revoked.
    pub revoked_at: Option<At>,
}

macro_rules! account_cols {
    () => {
        "id, login, display_name, organisation_id, password_hash, password_changed_at, \
    must_change_password, failed_logins, locked_until, totp_secret, totp_enabled, totp_pending, confidentiality_ack_at, \
    disabled_at, created_at, created_by, directory_dn, pending_activation"
    };
}

impl Db {
    /// Creates an organisation.
    pub async fn create_organisation(
        &self,
        kind: &str,
        name: &str,
        now: i64,
    ) -> Result<Organisation> {
        sqlx::query_as("INSERT INTO organisations (kind, name, created_at) VALUES ($1, $2, $3) RETURNING id, kind, name, created_at, retention_days, retention_months")
            .bind(kind)
            .bind(name)
            .bind(now)
            .fetch_one(&mut *self.conn().await?)
            .await
            .map_err(|e| StoreError::from_write(e, "exists_organisation", "an organisation with that name"))
    }

    /// An organisation by id.
    pub async fn organisation(&self, id: i64) -> Result<Option<Organisation>> {
        Ok(sqlx::query_as("SELECT id, kind, name, created_at, retention_days, retention_months FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// All organisations.
    pub async fn organisations(&self) -> Result<Vec<Organisation>> {
        Ok(sqlx::query_as("SELECT id, kind, name, created_at, retention_days, retention_months FROM organisations ORDER BY id")
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// Sets an organisation's own retention period (SAK-9); `None` returns it to the profile's
    /// default. The caller checks the period against the profile's bounds.
    pub async fn set_organisation_retention(
        &self,
        id: i64,
        days: Option<i64>,
        months: Option<i64>,
    ) -> Result<Organisation> {
        sqlx::query_as(
            "UPDATE organisations SET retention_days = $2, retention_months = $3 WHERE id = $1 \
             RETURNING id, kind, name, created_at, retention_days, retention_months",
        )
        .bind(id)
        .bind(days)
        .bind(months)
        .fetch_optional(&mut *self.conn().await?)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("organisation {id}")))
    }

    /// Activates an account that waited for a second administrator (PROD-SOD-6). False when it
    /// was not waiting (already activated, or never needed it).
    pub async fn activate_account(&self, id: i64, by: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE accounts SET pending_activation = 0, activated_by = $2, activated_at = $3 \
             WHERE id = $1 AND pending_activation = 1",
        )
        .bind(id)
        .bind(by)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Creates the account of a directory user at their first login: no password of its own
    /// (the stored hash is no hash, so no password ever matches it).
    pub async fn create_directory_account(
        &self,
        login: &str,
        display_name: &str,
        organisation_id: i64,
        dn: &str,
        now: i64,
    ) -> Result<Account> {
        sqlx::query_as(concat!("INSERT INTO accounts (login, display_name, organisation_id, password_hash, password_changed_at, \
             must_change_password, created_at, created_by, directory_dn) VALUES ($1, $2, $3, '!directory', $4, 0, $4, NULL, $5) RETURNING ", account_cols!()))
        .bind(login)
        .bind(display_name)
        .bind(organisation_id)
        .bind(now)
        .bind(dn)
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_account", "an account with that login or directory entry"))
    }

    /// Sets the name a directory account shows, as the directory has it now.
    pub async fn set_display_name(&self, id: i64, name: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET display_name = $2 WHERE id = $1")
            .bind(id)
            .bind(name)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Creates an account.
    pub async fn create_account(&self, a: &NewAccount<'_>, now: i64) -> Result<Account> {
        sqlx::query_as(concat!("INSERT INTO accounts (login, display_name, organisation_id, password_hash, password_changed_at, \
             must_change_password, created_at, created_by, pending_activation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ", account_cols!()))
        .bind(a.login)
        .bind(a.display_name)
        .bind(a.organisation_id)
        .bind(a.password_hash)
        .bind(now)
        .bind(i64::from(a.must_change_password))
        .bind(now)
        .bind(a.created_by)
        .bind(i64::from(a.pending_activation))
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(|e| StoreError::from_write(e, "exists_account", "an account with that login"))
    }

    /// An account by id.
    pub async fn account(&self, id: i64) -> Result<Option<Account>> {
        Ok(sqlx::query_as(concat!("SELECT ", account_cols!(), " FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// An account by login name.
    pub async fn account_by_login(&self, login: &str) -> Result<Option<Account>> {
        Ok(sqlx::query_as(concat!("SELECT ", account_cols!(), " FROM accounts WHERE login = $1"))
            .bind(login)
            .fetch_optional(&mut *self.conn().await?)
            .await?)
    }

    /// All accounts.
    pub async fn accounts(&self) -> Result<Vec<Account>> {
        Ok(sqlx::query_as(concat!("SELECT ", account_cols!(), " FROM accounts ORDER BY id"))
            .fetch_all(&mut *self.conn().await?)
            .await?)
    }

    /// Claims one login attempt before the password is checked (issue 16, M3/L1), atomically:
    /// `None` while the account is locked (nothing is checked then). A lock that has run out
    /// starts the count afresh, so one wrong try cannot renew it; the attempt that reaches
    /// `lock_after` locks the account for `lock_ms`, so parallel guesses get at most
    /// `lock_after` checks per lock. A success clears the count
    /// ([`Db::record_login_success`]).
    pub async fn claim_login_attempt(
        &self,
        id: i64,
        now: i64,
        lock_after: i64,
        lock_ms: i64,
    ) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "UPDATE accounts SET \
             failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_logins + 1 END, \
             locked_until = CASE \
               WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_logins + 1 END) >= $3 THEN $4 \
               WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL \
               ELSE locked_until END \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING failed_logins",
        )
        .bind(id)
        .bind(now)
        .bind(lock_after)
        .bind(now + lock_ms)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Accepts TOTP time step `step` for an account once: false if it (or a later one) was used.
    pub async fn use_totp_step(&self, id: i64, step: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(id)
        .bind(step)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Counts a failed login; locks the account for `lock_ms` once `lock_after` failures are
    /// reached. Returns the updated account.
    pub async fn record_login_failure(
        &self,
        id: i64,
        now: i64,
        lock_after: i64,
        lock_ms: i64,
    ) -> Result<Account> {
        sqlx::query_as(concat!(
            "UPDATE accounts SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE id = $1 RETURNING ",
            account_cols!()
        ))
        .bind(id)
        .bind(lock_after)
        .bind(now + lock_ms)
        .fetch_one(&mut *self.conn().await?)
        .await
        .map_err(Into::into)
    }

    /// Clears the failure count after a successful login.
    pub async fn record_login_success(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Unlocks an account.
    pub async fn unlock_account(&self, id: i64) -> Result<()> {
        self.record_login_success(id).await
    }

    /// Replaces the account's recovery codes with `hashes` (the old set stops working).
    pub async fn replace_recovery_codes(
        &self,
        account_id: i64,
        hashes: &[String],
        now: i64,
    ) -> Result<()> {
        let mut conn = self.conn().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *conn)
            .await?;
        for h in hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (account_id, code_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(account_id)
            .bind(h)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Spends one of the account's recovery codes at `now`, in one statement: true when an
    /// unused code with this hash was there (and is now used).
    pub async fn use_recovery_code(
        &self,
        account_id: i64,
        code_hash: &str,
        now: i64,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(account_id)
        .bind(code_hash)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// How many of the account's recovery codes are left.
    pub async fn recovery_codes_left(&self, account_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
        )
        .bind(account_id)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// The hashes of the account's earlier passwords, newest first, at most `limit`.
    pub async fn password_history(&self, account_id: i64, limit: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT password_hash FROM password_history WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Keeps `old_hash` (the password being replaced) in the account's history, and no more
    /// than `keep` entries.
    pub async fn push_password_history(
        &self,
        account_id: i64,
        old_hash: &str,
        at: i64,
        keep: i64,
    ) -> Result<()> {
        let mut conn = self.conn().await?;
        sqlx::query(
            "INSERT INTO password_history (account_id, password_hash, replaced_at) VALUES ($1, $2, $3)",
        )
        .bind(account_id)
        .bind(old_hash)
        .bind(at)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "DELETE FROM password_history WHERE account_id = $1 AND id NOT IN \
             (SELECT id FROM password_history WHERE account_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(account_id)
        .bind(keep)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Sets a new password hash.
    pub async fn set_password(
        &self,
        id: i64,
        hash: &str,
        now: i64,
        must_change: bool,
    ) -> Result<()> {
        sqlx::query("UPDATE accounts SET password_hash = $2, password_changed_at = $3, must_change_password = $4 WHERE id = $1")
            .bind(id)
            .bind(hash)
            .bind(now)
            .bind(i64::from(must_change))
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Records the confidentiality acknowledgement.
    pub async fn acknowledge_confidentiality(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE accounts SET confidentiality_ack_at = $2 WHERE id = $1 AND confidentiality_ack_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Stores a TOTP secret (pending until `enabled`).
    pub async fn set_totp(&self, id: i64, secret: Option<&str>, enabled: bool) -> Result<()> {
        sqlx::query(
            "UPDATE accounts SET totp_secret = $2, totp_enabled = $3, totp_pending = NULL WHERE id = $1",
        )
            .bind(id)
            .bind(secret)
            .bind(i64::from(enabled))
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Sets the TOTP secret awaiting confirmation, leaving the one in force as it is.
    pub async fn set_totp_pending(&self, id: i64, secret: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET totp_pending = $2 WHERE id = $1")
            .bind(id)
            .bind(secret)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Disables (Some) or re-enables (None) an account.
    pub async fn set_disabled(&self, id: i64, at: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE accounts SET disabled_at = $2 WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Designates `account_id` to `role`.
    pub async fn designate(
        &self,
        account_id: i64,
        role: &str,
        by: Option<i64>,
        now: i64,
        valid_until: Option<At>,
        note: &str,
    ) -> Result<Designation> {
        let d = NewDesignation { account_id, role, by, valid_until, note, document_ref: None };
        self.designate_with(&d, now).await
    }

    /// Designates with every field, including the document the designation rests on
    /// (NIS-10.3).
    pub async fn designate_with(&self, d: &NewDesignation<'_>, now: i64) -> Result<Designation> {
        Ok(sqlx::query_as(
            "INSERT INTO designations (account_id, role, designated_by, designated_at, valid_until, note, document_ref) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, account_id, role, designated_by, designated_at, valid_until, revoked_at, revoked_by, note, document_ref",
        )
        .bind(d.account_id)
        .bind(d.role)
        .bind(d.by)
        .bind(now)
        .bind(d.valid_until)
        .bind(d.note)
        .bind(d.document_ref)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// A designation by id.
    pub async fn designation(&self, id: i64) -> Result<Option<Designation>> {
        Ok(sqlx::query_as(
            "SELECT id, account_id, role, designated_by, designated_at, valid_until, revoked_at, revoked_by, note, document_ref FROM designations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Revokes a designation still in force.
    pub async fn revoke_designation(&self, id: i64, by: i64, now: i64) -> Result<()> {
        let r = sqlx::query("UPDATE designations SET revoked_at = $3, revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(by)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        changed_one(&r, || format!("designation {id} is already revoked or does not exist"))
    }

    /// Revokes a designation the directory made, when the person left the group it rests on
    /// (no account revokes it: `revoked_by` stays empty, the audit entry names the directory).
    pub async fn revoke_designation_by_directory(&self, id: i64, now: i64) -> Result<()> {
        let r = sqlx::query(
            "UPDATE designations SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *self.conn().await?)
        .await?;
        changed_one(&r, || format!("designation {id} is already revoked or does not exist"))
    }

    /// Every designation of an account, past and present.
    pub async fn designations_of(&self, account_id: i64) -> Result<Vec<Designation>> {
        Ok(sqlx::query_as(
            "SELECT id, account_id, role, designated_by, designated_at, valid_until, revoked_at, revoked_by, note, document_ref \
             FROM designations WHERE account_id = $1 ORDER BY id",
        )
        .bind(account_id)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Every designation, past and present.
    pub async fn all_designations(&self) -> Result<Vec<Designation>> {
        Ok(sqlx::query_as(
            "SELECT id, account_id, role, designated_by, designated_at, valid_until, revoked_at, revoked_by, note, document_ref FROM designations ORDER BY id",
        )
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Roles an account holds at `now`.
    pub async fn active_roles(&self, account_id: i64, now: i64) -> Result<Vec<String>> {
        let mut roles: Vec<String> = self
            .designations_of(account_id)
            .await?
            .into_iter()
            .filter(|d| d.in_force(now))
            .map(|d| d.role)
            .collect();
        roles.sort();
        roles.dedup();
        Ok(roles)
    }

    /// Creates a session or API token.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        token_hash: &str,
        account_id: i64,
        kind: SessionKind,
        name: &str,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<Session> {
        Ok(sqlx::query_as(
            "INSERT INTO sessions (token_hash, account_id, kind, name, csrf_token, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $6) RETURNING id, token_hash, account_id, kind, name, csrf_token, created_at, expires_at, last_seen_at, revoked_at",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(kind.as_str())
        .bind(name)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *self.conn().await?)
        .await?)
    }

    /// A session by the hash of its token.
    pub async fn session_by_token(&self, token_hash: &str) -> Result<Option<Session>> {
        Ok(sqlx::query_as(
            "SELECT id, token_hash, account_id, kind, name, csrf_token, created_at, expires_at, last_seen_at, revoked_at \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *self.conn().await?)
        .await?)
    }

    /// Sessions and API tokens in force at `now` (neither expired nor revoked), by kind.
    pub async fn live_session_counts(&self, now: i64) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT kind, COUNT(*) FROM sessions WHERE revoked_at IS NULL AND expires_at > $1 GROUP BY kind ORDER BY kind",
        )
        .bind(now)
        .fetch_all(&mut *self.conn().await?)
        .await?)
    }

    /// Marks a session used.
    pub async fn touch_session(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Revokes one session.
    pub async fn revoke_session(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Revokes every session of an account (password change, disable).
    pub async fn revoke_sessions_of(
        &self,
        account_id: i64,
        now: i64,
        except: Option<i64>,
    ) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL AND id <> $3")
            .bind(account_id)
            .bind(now)
            .bind(except.unwrap_or(-1))
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }
}
