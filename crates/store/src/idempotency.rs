//! Idempotency keys: a retried state-changing call is answered from the first call's record
//! instead of changing anything again (issue 26).

use crate::{Db, Result, StoreError};
use sqlx::Row;

/// How long a key is remembered.
pub const KEEP_MS: i64 = 24 * 3_600_000;

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: the call runs, then [`Db::finish_idempotent`] or
    /// [`Db::release_idempotent`].
    New,
    /// The call with this key completed: its status and body.
    Done {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: Vec<u8>,
    },
    /// A call with this key is running (or was interrupted before it answered).
    Running,
    /// The key was used for a different request.
    Mismatch,
}

impl Db {
    /// Claims `key` of `account` for a request with `fingerprint`, forgetting keys older than
    /// [`KEEP_MS`].
    pub async fn claim_idempotent(
        &self,
        account: i64,
        key: &str,
        fingerprint: &str,
        now: i64,
    ) -> Result<Claim> {
        let mut conn = self.conn().await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now - KEEP_MS)
            .execute(&mut *conn)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, idem_key, fingerprint, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, idem_key) DO NOTHING",
        )
        .bind(account)
        .bind(key)
        .bind(fingerprint)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(Claim::New);
        }
        let row = sqlx::query(
            "SELECT fingerprint, status, body FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2",
        )
        .bind(account)
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
        let stored: String = row.try_get("fingerprint")?;
        if stored != fingerprint {
            return Ok(Claim::Mismatch);
        }
        let status: Option<i64> = row.try_get("status")?;
        Ok(match status {
            None => Claim::Running,
            Some(s) => Claim::Done {
                status: u16::try_from(s)
                    .map_err(|_| StoreError::Corrupt(format!("idempotent status {s}")))?,
                body: row.try_get::<Option<Vec<u8>>, _>("body")?.unwrap_or_default(),
            },
        })
    }

    /// Records the answer of a claimed call.
    pub async fn finish_idempotent(
        &self,
        account: i64,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, body = $2 WHERE account_id = $3 AND idem_key = $4",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(account)
        .bind(key)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// Forgets a claimed call that changed nothing (it was refused or failed), so a retry runs.
    pub async fn release_idempotent(&self, account: i64, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE account_id = $1 AND idem_key = $2")
            .bind(account)
            .bind(key)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }
}
